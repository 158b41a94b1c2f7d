"""OpenAIEmbedder through the real (synchronous) openai client against the fake OpenAI server, called
in a thread as indexing and search call it: vectors of the fixed size, batches, the base64 encoding
the client asks for by default, and a clear error for a model of another size."""

import asyncio
import base64
import math
import struct
from collections.abc import AsyncIterator, Iterator

import openai
import pytest

from knowledge_base.embedders import Embedder
from knowledge_base.openai_embedder import EmbeddingError, OpenAIEmbedder
from tests.fakes.openai_server import FakeOpenAI, GarbageKind, float32_base64, hashed_vector

TEXTS = ["Refunds take 14 days.", "Paste one script tag into your pages.", "Возврат денег"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
def embedder(fake: FakeOpenAI) -> Iterator[OpenAIEmbedder]:
    openai_embedder = OpenAIEmbedder(fake.base_url, "sk-test", "text-embedding-3-small", max_retries=0)
    yield openai_embedder
    openai_embedder.close()


def as_float32(vector: list[float]) -> list[float]:
    return list(struct.unpack(f"<{len(vector)}f", struct.pack(f"<{len(vector)}f", *vector)))


def from_base64(encoded: object) -> list[float]:
    assert isinstance(encoded, str)
    raw = base64.b64decode(encoded)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


async def test_passages_and_queries_are_embedded_at_the_fixed_size(fake: FakeOpenAI, embedder: OpenAIEmbedder) -> None:
    contract: Embedder = embedder
    assert (contract.model_id, contract.dim) == ("openai:text-embedding-3-small:384", 384)
    vectors = await asyncio.to_thread(embedder.embed_passages, TEXTS)
    assert vectors == [hashed_vector(text, 384) for text in TEXTS]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0) for v in vectors)
    assert await asyncio.to_thread(embedder.embed_query, TEXTS[0]) == vectors[0]
    assert await asyncio.to_thread(embedder.embed_passages, []) == []
    first = fake.requests[0]
    assert first.path == "/v1/embeddings" and first.headers["authorization"] == "Bearer sk-test"
    assert first.body == {
        "model": "text-embedding-3-small",
        "input": TEXTS,
        "dimensions": 384,
        "encoding_format": "float",
    }
    assert len(fake.requests) == 2


async def test_many_passages_go_in_batches_and_keep_their_order(fake: FakeOpenAI, embedder: OpenAIEmbedder) -> None:
    texts = [f"article number {n}" for n in range(130)]
    vectors = await asyncio.to_thread(embedder.embed_passages, texts)
    assert vectors == [hashed_vector(text, 384) for text in texts]
    batches = [request.body["input"] for request in fake.requests]
    assert [len(batch) if isinstance(batch, list) else None for batch in batches] == [64, 64, 2]


async def test_float_and_base64_encodings_carry_the_same_vectors(fake: FakeOpenAI) -> None:
    """The client asks for base64 when the caller names no encoding and then decodes it itself; asked
    for base64 explicitly, it hands back the string."""
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0, timeout=5)
    try:
        floats = await client.embeddings.create(model="m", input=TEXTS, dimensions=384, encoding_format="float")
        packed = await client.embeddings.create(model="m", input=TEXTS, dimensions=384, encoding_format="base64")
        decoded = await client.embeddings.create(model="m", input=TEXTS, dimensions=384)
    finally:
        await client.close()
    assert [request.body.get("encoding_format") for request in fake.requests] == ["float", "base64", "base64"]
    as_floats = [as_float32(item.embedding) for item in floats.data]
    assert [from_base64(item.embedding) for item in packed.data] == as_floats
    assert [item.embedding for item in decoded.data] == as_floats
    assert float32_base64([0.1, 0.2, 0.3]) == "zczMPc3MTD6amZk+"  # the vector in PROTOCOLS.md §3.2


async def test_a_model_of_another_size_is_refused_clearly(fake: FakeOpenAI, embedder: OpenAIEmbedder) -> None:
    fake.honour_dimensions = False  # like a model that cannot shorten its vectors
    fake.default_dim = 1536
    with pytest.raises(EmbeddingError, match="returned 1536-dimensional vectors, but 384 are needed"):
        await asyncio.to_thread(embedder.embed_query, "refunds")


@pytest.mark.parametrize("kind", ["not-json", "no-choices"])
async def test_garbage_is_an_embedding_error(fake: FakeOpenAI, embedder: OpenAIEmbedder, kind: GarbageKind) -> None:
    fake.script_garbage(kind)
    with pytest.raises(EmbeddingError, match="answered no list of 1 embeddings"):
        await asyncio.to_thread(embedder.embed_query, "refunds")


async def test_a_rejected_key_is_an_embedding_error(fake: FakeOpenAI, embedder: OpenAIEmbedder) -> None:
    fake.script_error(401)
    with pytest.raises(EmbeddingError, match="401"):
        await asyncio.to_thread(embedder.embed_passages, TEXTS)
    assert len(fake.requests) == 1


async def test_the_client_retries_a_rate_limit_itself(fake: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(fake.base_url, "", "nomic-embed-text")
    fake.script_error(429, None, headers={"retry-after-ms": "10"})
    try:
        assert await asyncio.to_thread(embedder.embed_query, "refunds") == hashed_vector("refunds", 384)
    finally:
        embedder.close()
    assert len(fake.requests) == 2
    assert fake.requests[1].headers["authorization"] == "Bearer none"
