"""An article's live text cut into overlapping passages for retrieval (pure): ~150 words, 30 words
shared with the previous passage, each passage prefixed with the article's title (as measured in
docs: ../shared/RETRIEVAL.md). A passage's content hash depends on its text only, not on any model,
so re-indexing unchanged text embeds nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

CHUNK_WORDS = 150
OVERLAP_WORDS = 30


@dataclass(frozen=True)
class Chunk:
    position: int
    title: str
    text: str  # the body's words in this passage, without the title

    @property
    def passage(self) -> str:
        """What is embedded: the title, then the words."""
        return f"{self.title}\n\n{self.text}" if self.text else self.title

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.passage.encode()).hexdigest()


def chunk_article(title: str, body_text: str, *, size: int = CHUNK_WORDS, overlap: int = OVERLAP_WORDS) -> list[Chunk]:
    """`body_text` is plain text (markup already removed). Always at least one chunk (the title
    alone when the body has no words); the last chunk ends at the last word."""
    if not 0 <= overlap < size:
        raise ValueError("the overlap must be smaller than the chunk")
    words = body_text.split()
    chunks: list[Chunk] = []
    start = 0
    while True:
        end = min(start + size, len(words))
        chunks.append(Chunk(position=len(chunks), title=title, text=" ".join(words[start:end])))
        if end >= len(words):
            return chunks
        start = end - overlap
