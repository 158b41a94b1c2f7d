"""Turning imported files into articles (pure): a Markdown file's title and body, and an HTML page's
main content converted to Markdown by markdownify (over BeautifulSoup's standard-library parser),
links made absolute. Results keep to the article limits; the renderer sanitises them like any text."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning
from markdownify import MarkdownConverter

from core.errors import InvalidInput
from knowledge_base.validation import TITLE_MAX, check_body

MAX_FILES = 50  # Markdown files in one import
MAX_PAGE_BYTES = 2 * 1024 * 1024  # an HTML page fetched by URL
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# Page furniture, never an article's text.
_NOISE = (
    *("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "button"),
    *("iframe", "frame", "object", "embed", "svg", "canvas", "select", "input", "textarea", "dialog"),
)
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_ATX_HEADING = re.compile(r"^ {0,3}#[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LANGUAGE_CLASS = re.compile(r"^(?:language|lang)-(?P<name>[\w+#.-]+)$")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SEPARATORS = re.compile(r"[\s_\-.]+")


@dataclass(frozen=True)
class ImportedArticle:
    title: str
    body: str


def article_from_markdown_file(file_name: str, data: bytes) -> ImportedArticle:
    """Title from the first `# Heading` (removed from the body), else from the file name."""
    if not file_name.lower().endswith(MARKDOWN_SUFFIXES):
        raise InvalidInput("Only Markdown files (.md) can be imported.", field="files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", field="files") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput("The file is empty.", field="files")
    heading, body = split_title(text)
    title = heading if heading else title_from_file_name(file_name)
    return ImportedArticle(title=fit_title(title), body=check_body(body))


def split_title(text: str) -> tuple[str | None, str]:
    """(the first level-one ATX heading outside code blocks, the text without that line)."""
    lines = text.split("\n")
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        heading = None if fenced else _ATX_HEADING.match(line)
        if heading is not None and heading["text"].strip():
            after = index + 2 if index + 1 < len(lines) and not lines[index + 1].strip() else index + 1
            rest = "\n".join(lines[:index] + lines[after:]).strip("\n")
            return heading["text"].strip(), rest + "\n" if rest else ""
    return None, text.strip("\n") + "\n"


def title_from_file_name(file_name: str) -> str:
    """ "how-to_reset.password.md" -> "How to reset password"."""
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in MARKDOWN_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    words = _SEPARATORS.sub(" ", name).strip()
    return words[:1].upper() + words[1:] if words else file_name


def fit_title(title: str) -> str:
    """Whitespace collapsed; a title over the limit is cut at a word boundary."""
    cleaned = " ".join(title.split())
    if len(cleaned) <= TITLE_MAX:
        return cleaned
    cut = cleaned[: TITLE_MAX - 1].rsplit(" ", 1)[0]
    return cut + "…"


def article_from_html(data: bytes, *, url: str, encoding: str | None = None) -> ImportedArticle:
    """The page's main content (<main>, else <article>, else <body>) as Markdown. The title is its
    first <h1> (taken out of the body), else the <title>, else the URL's last path segment."""
    with warnings.catch_warnings():
        # XHTML served as HTML, or a body that looks like a file name: both parse fine as HTML.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(data, "html.parser", from_encoding=encoding)
    root = _main_content(soup)
    title = _take_title(soup, root) or title_from_url(url)
    for tag in root.find_all(_NOISE):
        tag.decompose()
    for tag in root.select("[hidden], [aria-hidden=true]"):
        tag.decompose()
    _absolute_links(root, url)
    converter = MarkdownConverter(heading_style="atx", bullets="-", code_language_callback=_code_language)
    body = _BLANK_RUNS.sub("\n\n", converter.convert_soup(root)).strip()
    if not body:
        raise InvalidInput("The page has no text to import.", field="url")
    return ImportedArticle(title=fit_title(title), body=check_body(body + "\n"))


def title_from_url(url: str) -> str:
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    segment = re.sub(r"\.(html?|php|aspx?)$", "", segment, flags=re.IGNORECASE)
    words = _SEPARATORS.sub(" ", segment).strip()
    return words[:1].upper() + words[1:] if words else parts.hostname or url


def _main_content(soup: BeautifulSoup) -> Tag:
    for selector in ("main", "article", "[role=main]", "body"):
        found = soup.select_one(selector)
        if found is not None:
            return found
    return soup


def _take_title(soup: BeautifulSoup, root: Tag) -> str | None:
    """The first <h1> of the content that is not page furniture, removed; else the <title>."""
    furniture = {"nav", "footer", "aside"} if root.name in ("main", "article") else {"nav", "footer", "aside", "header"}
    for heading in root.find_all("h1"):
        text = " ".join(heading.get_text(" ").split())
        if text and not any(parent.name in furniture for parent in heading.parents):
            heading.decompose()
            return text
    if soup.title is not None:
        return " ".join(soup.title.get_text(" ").split()) or None
    return None


def _absolute_links(root: Tag, url: str) -> None:
    """Relative links and images would point into the help center: resolve them against the page.
    Links that lead nowhere useful (in-page anchors, `javascript:`) keep only their text."""
    for link in root.select("a"):
        href = link.get("href")
        target = urljoin(url, href.strip()) if isinstance(href, str) and not href.startswith("#") else ""
        if urlsplit(target).scheme in _LINK_SCHEMES:
            link.attrs = {"href": target}
        else:
            link.unwrap()
    for image in root.select("img"):
        src = image.get("src")
        source = urljoin(url, src.strip()) if isinstance(src, str) else ""
        if urlsplit(source).scheme in ("http", "https"):
            alt = image.get("alt")
            image.attrs = {"src": source, "alt": alt if isinstance(alt, str) else ""}
        else:
            image.decompose()


def _code_language(pre: Tag) -> str | None:
    """`language-python` (or `lang-python`) on the <pre> or its <code> gives the fence its language."""
    code = pre.find("code")
    for element in (pre, code if isinstance(code, Tag) else None):
        if element is None:
            continue
        for name in element.get_attribute_list("class"):
            found = _LANGUAGE_CLASS.match(name or "")
            if found is not None:
                return found["name"]
    return None
