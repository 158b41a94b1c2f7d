"""A deterministic, instant `Embedder` for tests: a hashed bag of words (so texts sharing words are
close), L2-normalised, 384 dimensions. `synonyms` maps a word to another before hashing, to make a
question match an article by meaning only (no word in common for the lexical leg). It counts what it
embeds, and can be told to fail."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

WORD = re.compile(r"\w+")


class HashingEmbedder:
    dim = 384

    def __init__(self, *, model_id: str = "hashing-test", synonyms: dict[str, str] | None = None) -> None:
        self.model_id = model_id
        self.synonyms = synonyms or {}
        self.passages_embedded = 0
        self.queries_embedded = 0
        self.failing = False

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in WORD.findall(text.casefold()):
            word = self.synonyms.get(word, word)
            vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % self.dim] += 1.0
        norm = math.sqrt(sum(value * value for value in vector)) or 1.0
        return [value / norm for value in vector]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        if self.failing:
            raise RuntimeError("the embedder is down")
        self.passages_embedded += len(texts)
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        if self.failing:
            raise RuntimeError("the embedder is down")
        self.queries_embedded += 1
        return self._vector(text)
