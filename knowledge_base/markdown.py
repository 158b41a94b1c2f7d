"""Markdown to HTML that is safe to put in a page: rendered by markdown-it (CommonMark, tables,
strikethrough; raw HTML passed through) and then sanitised by nh3 (ammonia) against an allow-list:
no scripts, no event attributes, no `javascript:` URLs; links get rel="noopener nofollow"."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

_TAGS = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "kbd"),
        *("strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small"),
        *("ul", "ol", "li", "dl", "dt", "dd", "a", "img", "span", "div", "details", "summary"),
        *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
    }
)
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},  # "language-python" from fenced blocks
}
_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_renderer = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])


def render_markdown(source: str) -> str:
    """Sanitised HTML for `source`. Raw HTML in the Markdown is allowed and cleaned like the rest."""
    return nh3.clean(
        _renderer.render(source),
        tags=set(_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel="noopener nofollow",
        strip_comments=True,
    )


def plain_text(source: str, *, limit: int) -> str:
    """The article's words without markup, cut at a word boundary: for snippets in listings."""
    words = html.unescape(nh3.clean(_renderer.render(source), tags=set())).split()
    text = ""
    for word in words:
        if len(text) + len(word) + 1 > limit:
            return text + "…"
        text = f"{text} {word}" if text else word
    return text
