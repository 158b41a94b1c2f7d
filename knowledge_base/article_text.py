"""An article's sanitised HTML as plain text for an operator to paste into a reply (pure): blocks
apart by a blank line, list items on their own lines with "- " or "1. ", a link's address after its
words, code blocks as written."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "hr"}
    | {"ul", "ol", "li", "dl", "dt", "dd", "details", "summary", "caption"}
)
_SPACES = re.compile(r"\s+")


def article_text(html: str) -> str:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.text()


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._blocks: list[tuple[str, int | None]] = []  # (text, its outermost list: items of one are tight)
        self._words: list[str] = []
        self._marker: str | None = None  # the list item's "- " or "3. ", until its first words
        self._lists: list[int | None] = []  # per open list: the next number, None when bulleted
        self._links: list[tuple[int, str | None]] = []  # per open link: where its words start, its href
        self._outermost = 0  # a number for each outermost list
        self._pre = False

    def text(self) -> str:
        self._end_block()
        joined = ""
        for index, (block, group) in enumerate(self._blocks):
            if index:
                joined += "\n" if group is not None and group == self._blocks[index - 1][1] else "\n\n"
            joined += block
        return joined

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._end_block()
        if tag in {"ul", "ol"}:
            self._outermost += not self._lists
            start = dict(attrs).get("start")
            self._lists.append(None if tag == "ul" else int(start) if start and start.isdigit() else 1)
        elif tag == "li":
            self._marker = "  " * max(len(self._lists) - 1, 0) + self._next_marker()
        elif tag == "pre":
            self._pre = True
        elif tag == "br":
            self._words.append("\n")
        elif tag in {"td", "th"} and "".join(self._words).strip():
            self._words.append(" | ")
        elif tag == "a":
            self._links.append((len(self._words), dict(attrs).get("href")))
        elif tag == "img":
            self._words.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._links:
            start, href = self._links.pop()
            words = " ".join("".join(self._words[start:]).split())
            if href and href != words and not href.startswith("#"):
                self._words.append(f" ({href})")
        if tag in _BLOCKS:
            self._end_block()
        if tag in {"ul", "ol"} and self._lists:
            self._lists.pop()
        elif tag == "pre":
            self._pre = False

    def handle_data(self, data: str) -> None:
        # Outside <pre> a run of white space is one space, as a browser shows it; lines break at <br>.
        self._words.append(data if self._pre else _SPACES.sub(" ", data))

    def _next_marker(self) -> str:
        if not self._lists or self._lists[-1] is None:
            return "- "
        number = self._lists[-1]
        self._lists[-1] = number + 1
        return f"{number}. "

    def _end_block(self) -> None:
        raw = "".join(self._words)
        self._words = []
        text = raw.strip("\n") if self._pre else _flowed(raw)
        if not text:
            return  # a list item's marker waits for its words (a loose item's paragraph)
        group = None if self._marker is None else self._outermost
        self._blocks.append(((self._marker or "") + text, group))
        self._marker = None


def _flowed(raw: str) -> str:
    """Lines (broken at <br>) with their spaces as a browser shows them."""
    return "\n".join(" ".join(line.split()) for line in raw.split("\n")).strip()
