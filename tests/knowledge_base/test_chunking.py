"""Chunks of ~150 words overlapping by 30, each with the article's title; hashes follow the text."""

import itertools

import pytest

from knowledge_base.chunking import CHUNK_WORDS, OVERLAP_WORDS, chunk_article


def words(count: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{n}" for n in range(count))


def test_a_short_article_is_one_chunk_with_the_title_prefixed() -> None:
    [chunk] = chunk_article("Refunds", "Write to us\nwithin 14 days.")
    assert chunk.text == "Write to us within 14 days."
    assert chunk.passage == "Refunds\n\nWrite to us within 14 days."
    assert chunk.position == 0


def test_an_article_without_words_is_its_title() -> None:
    [chunk] = chunk_article("Refunds", "  ")
    assert chunk.passage == "Refunds"


def test_long_articles_overlap_and_every_word_is_in_some_chunk() -> None:
    body = words(400)
    chunks = chunk_article("Title", body)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text.split()) <= CHUNK_WORDS for c in chunks)
    assert len(chunks[0].text.split()) == CHUNK_WORDS
    for before, after in itertools.pairwise(chunks):
        assert before.text.split()[-OVERLAP_WORDS:] == after.text.split()[:OVERLAP_WORDS]
    covered = {word for chunk in chunks for word in chunk.text.split()}
    assert covered == set(body.split())
    assert chunks[-1].text.split()[-1] == "w399"
    assert len(chunk_article("Title", words(CHUNK_WORDS))) == 1
    assert len(chunk_article("Title", words(CHUNK_WORDS + 1))) == 2


def test_the_hash_follows_the_text_and_the_title_only() -> None:
    first = chunk_article("Refunds", words(200))
    again = chunk_article("Refunds", words(200))
    assert [c.content_hash for c in first] == [c.content_hash for c in again]
    assert len(first[0].content_hash) == 64
    retitled = chunk_article("Returns", words(200))
    assert {c.content_hash for c in retitled}.isdisjoint(c.content_hash for c in first)
    edited = chunk_article("Refunds", words(200).replace("w190", "changed"))
    assert edited[0].content_hash == first[0].content_hash
    assert edited[1].content_hash != first[1].content_hash


def test_the_overlap_must_be_smaller_than_the_chunk() -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_article("T", "a b c", size=10, overlap=10)
