"""Imported files become articles: a Markdown file's title from its first `# Heading` (else its
name), refused when not UTF-8, empty or too long; an HTML page's main content as Markdown (headings,
lists, links made absolute, code with its language), page furniture and scripts dropped."""

import pytest

from core.errors import InvalidInput
from knowledge_base.importing import (
    article_from_html,
    article_from_markdown_file,
    fit_title,
    split_title,
    title_from_file_name,
    title_from_url,
)
from knowledge_base.validation import BODY_MAX, TITLE_MAX

PAGE = """<!doctype html>
<html><head><title>Refunds | Acme help</title><style>p { color: red }</style>
<script>window.tracking = 1</script></head>
<body>
<header><h1>Acme</h1><nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav></header>
<main>
  <h1>How refunds work</h1>
  <p>Read <a href="/terms#refunds">the terms</a> first, or <a href="mailto:help@acme.test">write to us</a>.
     <a href="javascript:alert(1)">Click</a> <a href="#top">Top</a></p>
  <script>alert("never")</script>
  <h2>Steps</h2>
  <ul><li>Find the <strong>order</strong></li><li>Press <em>Refund</em>
    <ol><li>choose a reason</li></ol></li></ul>
  <pre><code class="language-python">def refund(order):
    return order.total &lt; 100
</code></pre>
  <p><img src="img/receipt.png" alt="A receipt"><img src="data:image/png;base64,xx" alt="inline"></p>
  <aside>Related: shipping</aside>
  <div hidden>secret draft</div>
</main>
<footer>© Acme, <a href="/privacy">Privacy</a></footer>
</body></html>
"""


def test_a_markdown_file_takes_its_title_from_the_first_heading() -> None:
    article = article_from_markdown_file("refunds.md", b"# Refunds\n\nWithin **14 days**.\n\n## How\n\n- ask\n")
    assert article.title == "Refunds"
    assert article.body == "Within **14 days**.\n\n## How\n\n- ask\n"


def test_without_a_heading_the_file_name_is_the_title() -> None:
    article = article_from_markdown_file("docs/how-to_reset.password.MD", b"Press *Forgot password*.\n")
    assert (article.title, article.body) == ("How to reset password", "Press *Forgot password*.\n")
    assert title_from_file_name("faq.markdown") == "Faq"


def test_headings_in_code_blocks_and_deeper_levels_are_not_titles() -> None:
    text = "## Intro\n\n```sh\n# a comment\n```\n\n# The title #\n\nBody\n"
    assert split_title(text) == ("The title", "## Intro\n\n```sh\n# a comment\n```\n\nBody\n")
    assert split_title("#hashtag, not a heading\n") == (None, "#hashtag, not a heading\n")


def test_a_bom_and_windows_line_ends_are_accepted() -> None:
    article = article_from_markdown_file("a.md", "\ufeff# Привет\r\n\r\nТекст\r\n".encode())
    assert (article.title, article.body) == ("Привет", "Текст\n")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("latin1.md", "Café".encode("latin-1"), "The file is not UTF-8 text."),
        ("empty.md", b" \n\n\t\n", "The file is empty."),
        ("big.md", b"x" * (BODY_MAX + 1), "An article may have at most 100000 characters."),
        ("notes.txt", b"# Notes", "Only Markdown files (.md) can be imported."),
    ],
)
def test_unusable_files_are_refused_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        article_from_markdown_file(name, data)
    assert refused.value.message == reason


def test_a_long_heading_is_cut_at_a_word() -> None:
    title = fit_title("word " * 100)
    assert len(title) <= TITLE_MAX and title.endswith("word…")


def test_a_page_becomes_markdown_of_its_main_content() -> None:
    article = article_from_html(PAGE.encode(), url="https://acme.test/help/refunds.html")
    assert article.title == "How refunds work"
    body = article.body
    assert "## Steps" in body
    assert "[the terms](https://acme.test/terms#refunds)" in body
    assert "[write to us](mailto:help@acme.test)" in body
    assert "- Find the **order**" in body and "1. choose a reason" in body
    assert "```python\ndef refund(order):\n    return order.total < 100\n```" in body
    assert "![A receipt](https://acme.test/help/img/receipt.png)" in body
    for dropped in ("alert", "tracking", "color: red", "Pricing", "Privacy", "shipping", "secret", "data:", "# How"):
        assert dropped not in body, dropped
    assert "Click" in body and "javascript" not in body and "Top" in body  # the text stays, the link goes


def test_the_title_falls_back_to_the_title_tag_then_the_address() -> None:
    titled = b"<html><head><title> Shipping  times </title></head><body><p>Two days.</p></body></html>"
    assert article_from_html(titled, url="https://acme.test/x").title == "Shipping times"
    untitled = b"<p>Two days.</p>"
    assert article_from_html(untitled, url="https://acme.test/help/shipping-times.html").title == "Shipping times"
    assert title_from_url("https://acme.test/") == "acme.test"


def test_an_article_element_is_the_content_when_there_is_no_main() -> None:
    page = b"<body><nav>Menu</nav><article><header><h1>News</h1></header><p>Text</p></article></body>"
    article = article_from_html(page, url="https://acme.test/news")
    assert (article.title, article.body) == ("News", "Text\n")


def test_the_declared_encoding_is_used() -> None:
    page = "<h1>Возврат</h1><p>Деньги вернутся.</p>".encode("cp1251")
    article = article_from_html(page, url="https://acme.test/", encoding="windows-1251")
    assert (article.title, article.body) == ("Возврат", "Деньги вернутся.\n")


def test_a_page_without_text_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        article_from_html(b"<html><body><nav>Menu</nav><script>x()</script></body></html>", url="https://a.test/")
    assert refused.value.message == "The page has no text to import."
