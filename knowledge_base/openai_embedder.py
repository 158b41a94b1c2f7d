"""`Embedder` over an OpenAI-compatible embeddings endpoint (OpenAI, vLLM, llama.cpp, Ollama…). The
vector column has a fixed size (knowledge_base.models.EMBEDDING_DIM), so every request asks for
`dimensions=dim` and every returned vector is checked to have exactly that many values. Synchronous,
like every Embedder: callers run it in a thread. The client retries 429, 5xx and connection failures
itself (a few times, honouring `retry-after`)."""

from __future__ import annotations

from collections.abc import Sequence

import openai
from openai.types import CreateEmbeddingResponse

from knowledge_base.models import EMBEDDING_DIM

PLACEHOLDER_KEY = "none"  # the client insists on a key; keyless servers (Ollama, llama.cpp) ignore it
BATCH = 64  # inputs per request
TIMEOUT_SECONDS = 30.0
MAX_RETRIES = 3


class EmbeddingError(RuntimeError):
    """The endpoint failed or answered something that is not `dim`-sized vectors."""


class OpenAIEmbedder:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        dim: int = EMBEDDING_DIM,
        *,
        timeout_seconds: float = TIMEOUT_SECONDS,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self._model = model
        self._dim = dim
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key if api_key else PLACEHOLDER_KEY,
            max_retries=max_retries,
            timeout=timeout_seconds,
        )

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}:{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors.extend(self._embed(texts[start : start + BATCH]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def close(self) -> None:
        self._client.close()

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        try:
            response = self._client.embeddings.create(
                model=self._model, input=list(texts), dimensions=self._dim, encoding_format="float"
            )
        except (openai.OpenAIError, ValueError) as error:
            raise EmbeddingError(f"embedding with {self._model!r} failed: {error}") from error
        return self._vectors(response, expected=len(texts))

    def _vectors(self, response: object, *, expected: int) -> list[list[float]]:
        """Check the answer: a 200 that is not JSON comes back from the client as a `str`, and a JSON
        body without the fields as a response with None in them."""
        data: object = response.data if isinstance(response, CreateEmbeddingResponse) else None
        if not isinstance(data, list) or len(data) != expected:
            raise EmbeddingError(f"{self._model!r} answered no list of {expected} embeddings")
        vectors: list[list[float]] = [[] for _ in range(expected)]
        for position, item in enumerate(data):
            index: object = getattr(item, "index", position)
            vector: object = getattr(item, "embedding", None)
            if not isinstance(index, int) or not 0 <= index < expected or not isinstance(vector, list):
                raise EmbeddingError(f"{self._model!r} answered a malformed embedding")
            if len(vector) != self._dim:
                raise EmbeddingError(
                    f"{self._model!r} returned {len(vector)}-dimensional vectors, but {self._dim} are needed: "
                    "the model must support the `dimensions` parameter or have exactly that size"
                )
            vectors[index] = [float(value) for value in vector]
        if any(not vector for vector in vectors):
            raise EmbeddingError(f"{self._model!r} answered duplicate embedding indexes")
        return vectors
