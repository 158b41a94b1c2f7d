"""Chunks follow the article's headings: each section (a '#' in a code block is not a heading) is cut
into ~150-word windows overlapping by 30, prefixed with the title and the heading path; tiny sections
join the next one under the same parent; without headings, chunks are those of the plain words."""

import itertools

import pytest

from knowledge_base.chunking import (
    CHUNK_WORDS,
    MIN_SECTION_WORDS,
    OVERLAP_WORDS,
    Chunk,
    Section,
    chunk_article,
    merge_small_sections,
    split_sections,
)
from knowledge_base.markdown import plain_text
from knowledge_base.validation import TITLE_MAX


def words(count: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{n}" for n in range(count))


def titles(chunks: list[Chunk]) -> list[str]:
    return [chunk.title for chunk in chunks]


def test_a_short_article_is_one_chunk_with_the_title_prefixed() -> None:
    [chunk] = chunk_article("Refunds", "Write to us\nwithin 14 days.")
    assert chunk.text == "Write to us within 14 days."
    assert chunk.passage == "Refunds\n\nWrite to us within 14 days."
    assert chunk.position == 0


def test_an_article_without_words_is_its_title() -> None:
    [chunk] = chunk_article("Refunds", "  ")
    assert chunk.passage == "Refunds"
    [chunk] = chunk_article("Refunds", "## Empty\n\n### Also empty\n")
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


def test_without_headings_the_chunks_are_those_of_the_plain_words_as_before() -> None:
    markdown = (
        f"Refunds are **simple**: [write to us](https://example.com).\n\n- {words(120, 'a')}\n- {words(120, 'b')}"
    )
    chunks = chunk_article("Refunds", markdown)
    assert chunks == chunk_article("Refunds", plain_text(markdown, limit=10_000))
    plain = plain_text(markdown, limit=10_000).split()
    assert plain[:6] == ["Refunds", "are", "simple:", "write", "to", "us."]
    assert [(chunk.title, chunk.text) for chunk in chunks] == [
        ("Refunds", " ".join(plain[:CHUNK_WORDS])),
        ("Refunds", " ".join(plain[CHUNK_WORDS - OVERLAP_WORDS :])),
    ]


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


def test_an_edit_in_one_section_changes_only_that_sections_hashes() -> None:
    body = f"## Eligibility\n\n{words(60, 'e')}\n\n## How to ask\n\n{words(60, 'h')}\n"
    before = chunk_article("Refunds", body)
    after = chunk_article("Refunds", body.replace("h59", "changed"))
    assert before[0].content_hash == after[0].content_hash
    assert before[1].content_hash != after[1].content_hash


def test_headings_split_the_body_and_prefix_each_chunk_with_their_path() -> None:
    body = f"## Eligibility\n\n{words(60, 'e')}\n\n## How to ask for one\n\nWrite to *us*: {words(60, 'h')}\n"
    chunks = chunk_article("Refunds", body)
    assert titles(chunks) == ["Refunds — Eligibility", "Refunds — How to ask for one"]
    assert chunks[0].text == words(60, "e")
    assert chunks[1].text == "Write to us: " + words(60, "h")  # the heading is in the title, not the text
    assert chunks[1].passage.startswith("Refunds — How to ask for one\n\nWrite to us:")
    assert [chunk.position for chunk in chunks] == [0, 1]


def test_nested_headings_make_a_path_and_a_heading_closes_deeper_ones() -> None:
    body = "\n\n".join(
        [
            f"Intro {words(50, 'i')}",
            f"# Payments\n\n{words(50, 'p')}",
            f"## Cards\n\n{words(50, 'c')}",
            f"### Declined cards\n\n{words(50, 'd')}",
            f"## Invoices\n\n{words(50, 'v')}",
            f"#### Not a split (level 4)\n\n{words(50, 'n')}",
            f"# Refunds\n\n{words(50, 'r')}",
        ]
    )
    chunks = chunk_article("Billing", body)
    assert titles(chunks) == [
        "Billing",
        "Billing — Payments",
        "Billing — Payments — Cards",
        "Billing — Payments — Cards — Declined cards",
        "Billing — Payments — Invoices",
        "Billing — Refunds",
    ]
    assert chunks[4].text == words(50, "v") + " Not a split (level 4) " + words(50, "n")


def test_a_heading_that_repeats_the_title_is_not_repeated_in_the_prefix() -> None:
    chunks = chunk_article("Refunds", f"# Refunds\n\n{words(50)}\n\n## How to ask\n\n{words(50)}")
    assert titles(chunks) == ["Refunds", "Refunds — How to ask"]


def test_a_hash_in_a_fenced_code_block_is_not_a_heading() -> None:
    body = (
        f"## Install\n\n{words(45)}\n\n```sh\n# install the package\npip install firstline\n```\n\n"
        "~~~\n## still code\n~~~\n\nAfter the code.\n\n    # indented code\n\n> # a quoted heading\n"
    )
    [chunk] = chunk_article("Setup", body)
    assert chunk.title == "Setup — Install"
    assert "# install the package pip install firstline ## still code After the code." in chunk.text
    assert chunk.text.endswith("# indented code a quoted heading")
    assert [section.path for section in split_sections(body)] == [("Install",)]


def test_heading_text_loses_its_markup_and_setext_headings_split_too() -> None:
    body = f"## 1. Install *the* `widget` &amp; more\n\n{words(50)}\n\nLimits\n------\n\n{words(50)}"
    assert titles(chunk_article("Widget", body)) == ["Widget — 1. Install the widget & more", "Widget — Limits"]


def test_a_tiny_section_joins_its_next_sibling() -> None:
    body = f"## Short\n\nOnly a few words.\n\n## Long\n\n{words(60)}"
    [chunk] = chunk_article("Refunds", body)
    assert chunk.title == "Refunds — Short / Long"
    assert chunk.text == "Only a few words. " + words(60)


def test_a_tiny_introduction_joins_the_first_section_nested_in_it() -> None:
    body = "\n\n".join(
        ["Read this first.", "## Refunds", "In short:", "### How to ask for one", words(60), "### When", words(60)]
    )
    chunks = chunk_article("Billing", body)
    assert titles(chunks) == ["Billing — Refunds — How to ask for one", "Billing — Refunds — When"]
    assert chunks[0].text == "Read this first. In short: " + words(60)


def test_a_tiny_section_does_not_join_a_section_under_another_parent() -> None:
    body = f"## A\n\n{words(60)}\n\n### A1\n\nA few words.\n\n## B\n\n{words(60)}"
    assert titles(chunk_article("T", body)) == ["T — A", "T — A — A1", "T — B"]


def test_a_tiny_last_section_joins_the_sibling_before_it() -> None:
    body = f"## Refunds\n\n{words(60)}\n\n## Contact\n\nsupport@firstline.example"
    [chunk] = chunk_article("Billing", body)
    assert chunk.title == "Billing — Refunds / Contact"
    assert chunk.text.endswith("w59 support@firstline.example")


def test_merging_is_by_word_count_and_chains_until_big_enough() -> None:
    small = [Section(("Parent", name), tuple(words(15, name).split())) for name in ("a", "b", "c")]
    big = Section(("Parent", "d"), tuple(words(MIN_SECTION_WORDS, "d").split()))
    merged, after = merge_small_sections([*small, big])
    assert merged.path == ("Parent", "a / b / c")  # 45 words: big enough, d stays apart
    assert len(merged.words) == 45
    assert after == big
    assert merge_small_sections([*small[:2], big])[0].path == ("Parent", "a / b / d")
    assert merge_small_sections([big, *small], minimum=0) == [big, *small]


def test_a_long_section_is_windowed_with_overlap_and_windows_never_span_sections() -> None:
    body = f"## First\n\n{words(200, 'f')}\n\n## Second\n\n{words(200, 's')}"
    chunks = chunk_article("Guide", body)
    assert titles(chunks) == ["Guide — First"] * 2 + ["Guide — Second"] * 2
    assert [c.position for c in chunks] == [0, 1, 2, 3]
    assert [len(c.text.split()) for c in chunks] == [CHUNK_WORDS, 200 - CHUNK_WORDS + OVERLAP_WORDS] * 2
    assert chunks[0].text.split()[-OVERLAP_WORDS:] == chunks[1].text.split()[:OVERLAP_WORDS]
    assert chunks[1].text.split()[-1] == "f199"
    assert chunks[2].text.split()[0] == "s0"


def test_a_long_heading_path_is_cut_to_what_the_title_column_holds() -> None:
    chunks = chunk_article("T" * 190, f"## {'Heading ' * 5}\n\n{words(50)}")
    assert len(chunks[0].title) == TITLE_MAX
    assert chunks[0].title.endswith("…")


def test_the_overlap_must_be_smaller_than_the_chunk() -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_article("T", "a b c", size=10, overlap=10)
