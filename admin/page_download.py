"""Downloading one web page for the knowledge-base import: http(s) only, private and loopback
addresses refused unless the workspace allows them (bots.webhooks.check_address, at every redirect),
10 seconds in all, at most 2 MB, HTML only. Failures become readable InvalidInput-style errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp

from bots.webhooks import AddressRefused, check_address
from core.errors import InvalidInput, PayloadTooLarge, UnsupportedType
from knowledge_base.importing import HTML_TYPES, MAX_PAGE_BYTES

TIMEOUT_SECONDS = 10
MAX_REDIRECTS = 5
URL_MAX = 2000
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {"Accept": "text/html,application/xhtml+xml", "User-Agent": "Firstline knowledge-base import"}


@dataclass(frozen=True)
class DownloadedPage:
    url: str  # after redirects: relative links resolve against it
    body: bytes
    charset: str | None


def check_page_url(url: str) -> str:
    cleaned = url.strip()
    parts = urlsplit(cleaned)
    if len(cleaned) > URL_MAX or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("Give the page's address starting with http:// or https://.", field="url")
    return cleaned


async def download_page(url: str, *, allow_private: bool) -> DownloadedPage:
    """Redirects are followed by hand so that each hop's address is checked before it is called.
    (The address is resolved again on connecting; a host that rebinds in between is not caught.)"""
    host = urlsplit(url).hostname or url
    try:
        async with (
            asyncio.timeout(TIMEOUT_SECONDS),
            aiohttp.ClientSession(headers=_HEADERS, timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as http,
        ):
            for _ in range(MAX_REDIRECTS + 1):
                await _check_address(url, allow_private=allow_private)
                async with http.get(url, allow_redirects=False) as response:
                    location = response.headers.get("Location")
                    if response.status not in _REDIRECTS or location is None:
                        return await _read_page(response, url)
                url = check_page_url(urljoin(url, location))
    except TimeoutError:
        raise InvalidInput(
            "{host} did not answer within {seconds} seconds.", host=host, seconds=TIMEOUT_SECONDS, field="url"
        ) from None
    except aiohttp.ClientError:
        raise InvalidInput("Could not reach {host}: check the address.", host=host, field="url") from None
    raise InvalidInput("The page redirects too many times.", field="url")


async def _check_address(url: str, *, allow_private: bool) -> None:
    host = urlsplit(url).hostname or url
    try:
        await check_address(url, allow_private=allow_private)
    except AddressRefused as refused:
        # check_address says "cannot resolve …" for a name that does not resolve; otherwise it is private.
        if str(refused).startswith("cannot resolve"):
            raise InvalidInput("Could not find {host}: check the address.", host=host, field="url") from None
        raise InvalidInput(
            "{host} is a private or local address; this workspace imports only from public ones.",
            host=host,
            field="url",
        ) from None


async def _read_page(response: aiohttp.ClientResponse, url: str) -> DownloadedPage:
    if not 200 <= response.status < 300:
        raise InvalidInput("The page answered with HTTP status {status}.", status=response.status, field="url")
    if response.content_type not in HTML_TYPES:
        raise UnsupportedType("This address is not an HTML page (it is {type}).", type=response.content_type)
    too_large = PayloadTooLarge("The page is larger than {max_mb} MB.", max_mb=MAX_PAGE_BYTES // (1024 * 1024))
    if (response.content_length or 0) > MAX_PAGE_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_PAGE_BYTES:
            raise too_large
        chunks.append(chunk)
    return DownloadedPage(url=url, body=b"".join(chunks), charset=response.charset)
