"""An article's live text cut into overlapping passages for retrieval (pure), following its Markdown
structure. The body is split at its headings (#, ##, ###, outside code blocks and quotes); a section
of fewer than ~40 words joins the next section under the same parent (or nested in it), so no
crumbs are indexed; then each section is cut into windows of ~150 words, 30 words shared with the
previous window of the same section (as measured in ../shared/RETRIEVAL.md). Each passage is
prefixed with the article's title and its section's heading path: "Refunds — How to ask for one".
A body without headings is one section: the passages are those of its plain words, as before.
A passage's content hash depends on its text only, not on any model, so re-indexing unchanged
text embeds nothing."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from knowledge_base.markdown import plain_text
from knowledge_base.validation import TITLE_MAX

CHUNK_WORDS = 150
OVERLAP_WORDS = 30
MIN_SECTION_WORDS = 40  # a smaller section joins its neighbour under the same parent
SPLIT_LEVELS = frozenset({"h1", "h2", "h3"})
PATH_SEPARATOR = " — "
JOINED_SEPARATOR = " / "  # between the headings of sibling sections merged into one
# Structure only: the same CommonMark block rules (raw HTML on) as the renderer that makes the words.
_blocks = MarkdownIt("commonmark", {"html": True})
_BREAKS = frozenset({"softbreak", "hardbreak"})
_HEADING_PARTS = frozenset({"text", "code_inline", "image", *_BREAKS})


@dataclass(frozen=True)
class Chunk:
    position: int
    title: str  # the article's title and the section's heading path, what the passage starts with
    text: str  # the section's words in this passage, without the headings

    @property
    def passage(self) -> str:
        """What is embedded: the title (with the heading path), then the words."""
        return f"{self.title}\n\n{self.text}" if self.text else self.title

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.passage.encode()).hexdigest()


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]  # the headings above the words, outermost first; () before any heading
    words: tuple[str, ...]


def chunk_article(
    title: str,
    body: str,
    *,
    size: int = CHUNK_WORDS,
    overlap: int = OVERLAP_WORDS,
    min_section: int = MIN_SECTION_WORDS,
) -> list[Chunk]:
    """`body` is the article's Markdown (plain text is Markdown without headings). Always at least
    one chunk (the title alone when the body has no words); each section's last window ends at
    its last word, and no window spans two sections."""
    if not 0 <= overlap < size:
        raise ValueError("the overlap must be smaller than the chunk")
    chunks: list[Chunk] = []
    for section in merge_small_sections(split_sections(body), min_section):
        prefix = _prefix(title, section.path)
        for window in _windows(section.words, size, overlap):
            chunks.append(Chunk(position=len(chunks), title=prefix, text=" ".join(window)))
    return chunks or [Chunk(position=0, title=title, text="")]


def split_sections(body: str) -> list[Section]:
    """The body's words cut at its top-level headings of levels 1 to 3, each section with its heading
    path (a heading closes the sections of its level and deeper). Sections without words are left
    out: their headings live on in the paths of the sections nested in them."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading) of the open headings
    start = 0
    for level, heading, first_line, end_line in _headings(body):
        sections.append(Section(tuple(text for _, text in stack), _words(lines[start:first_line])))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        start = end_line
    sections.append(Section(tuple(text for _, text in stack), _words(lines[start:])))
    return [section for section in sections if section.words]


def merge_small_sections(sections: Sequence[Section], minimum: int = MIN_SECTION_WORDS) -> list[Section]:
    """A section under `minimum` words joins the section after it when that one is its sibling or
    nested in it; the last one, left small, joins the sibling before it. Others stay as they are."""
    merged: list[Section] = []
    small: Section | None = None
    for section in sections:
        if small is not None:
            joined = _joined(small, section)
            if joined is None:
                merged.append(small)
            else:
                section = joined
            small = None
        if len(section.words) < minimum:
            small = section
        else:
            merged.append(section)
    if small is not None:
        before = merged.pop() if merged and _siblings(merged[-1], small) else None
        merged.append(small if before is None else _joined_siblings(before, small))
    return merged


def _headings(body: str) -> Iterator[tuple[int, str, int, int]]:
    """(level, plain heading text, first line, line after it) of each top-level heading to split at."""
    tokens = _blocks.parse(body)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.tag in SPLIT_LEVELS and token.map:
            inline = tokens[index + 1].children if index + 1 < len(tokens) else None
            yield int(token.tag[1]), _heading_text(inline or []), token.map[0], token.map[1]


def _heading_text(inline: Sequence[Token]) -> str:
    """A heading's words: its text, code and image descriptions, without markup or raw HTML."""
    parts = [" " if child.type in _BREAKS else child.content for child in inline if child.type in _HEADING_PARTS]
    return " ".join("".join(parts).split())


def _words(lines: Sequence[str]) -> tuple[str, ...]:
    """The words readers see in these Markdown lines, markup removed."""
    source = "\n".join(lines)
    return tuple(plain_text(source, limit=sys.maxsize).split()) if source.strip() else ()


def _siblings(first: Section, second: Section) -> bool:
    return bool(first.path) and bool(second.path) and first.path[:-1] == second.path[:-1]


def _joined(first: Section, second: Section) -> Section | None:
    """`first` followed by `second` as one section, if `second` is nested in it or its sibling."""
    if second.path[: len(first.path)] == first.path:
        return Section(second.path, first.words + second.words)
    if _siblings(first, second):
        return _joined_siblings(first, second)
    return None


def _joined_siblings(first: Section, second: Section) -> Section:
    heading = f"{first.path[-1]}{JOINED_SEPARATOR}{second.path[-1]}"
    return Section((*first.path[:-1], heading), first.words + second.words)


def _prefix(title: str, path: Sequence[str]) -> str:
    """The title and the headings, less a heading that only repeats the title; at most TITLE_MAX
    characters (what a chunk's title column holds)."""
    headings = [heading for heading in path if heading and heading.casefold() != title.casefold()]
    prefix = PATH_SEPARATOR.join([title, *headings])
    return prefix if len(prefix) <= TITLE_MAX else prefix[: TITLE_MAX - 1].rstrip() + "…"


def _windows(words: Sequence[str], size: int, overlap: int) -> Iterator[Sequence[str]]:
    start = 0
    while True:
        end = min(start + size, len(words))
        yield words[start:end]
        if end >= len(words):
            return
        start = end - overlap
