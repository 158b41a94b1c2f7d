"""An article's sanitised HTML as text to paste into a reply: blocks apart, list items on their own
lines (numbered from `start`, nested ones indented), links followed by their address, code as written."""

from knowledge_base.article_text import article_text
from knowledge_base.markdown import render_markdown


def text_of(markdown: str) -> str:
    return article_text(render_markdown(markdown))


def test_paragraphs_and_headings_are_blocks_and_spaces_are_as_shown() -> None:
    assert text_of("# Refunds\n\nMoney   back\nwithin **14 days**.  \nAsk us.") == (
        "Refunds\n\nMoney back within 14 days.\nAsk us."
    )


def test_lists_keep_their_markers_and_separate_lists_stay_apart() -> None:
    markdown = "3. Open *Orders*\n4. Press refund\n   - by card\n   - by cash\n\n---\n\n- loose\n\n- list\n"
    assert text_of(markdown) == "3. Open Orders\n4. Press refund\n  - by card\n  - by cash\n\n- loose\n- list"


def test_links_give_their_address_unless_it_is_their_words() -> None:
    markdown = "See [the policy](https://example.com/p), <https://example.com/q> and [top](#top)."
    assert text_of(markdown) == "See the policy (https://example.com/p), https://example.com/q and top."


def test_code_tables_and_images() -> None:
    markdown = "```\nif x:\n    go()\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![the form](https://e.com/f.png)"
    assert text_of(markdown) == "if x:\n    go()\n\na | b\n\n1 | 2\n\nthe form"


def test_markup_and_entities_are_gone() -> None:
    assert text_of("<script>alert(1)</script>Tom &amp; Jerry &lt;3") == "Tom & Jerry <3"
