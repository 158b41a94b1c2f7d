"""A flow's webhook call: refuse private and loopback addresses unless the workspace allows them,
keep to the node's timeout, retry connection failures and 5xx answers with tenacity, and turn
whatever happened into the engine's WebhookResult."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from flows.actions import CallWebhook
from flows.events import WebhookOutcome, WebhookResult

log = logging.getLogger(__name__)

ATTEMPTS = 3
MAX_BODY_BYTES = 256 * 1024


class _Retryable(Exception):
    pass


class AddressRefused(Exception):
    pass


async def check_address(url: str, *, allow_private: bool) -> None:
    """Raise AddressRefused for a URL that is not http(s) or (unless allowed) whose host resolves to
    a private, loopback, link-local or otherwise non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(f"not an http(s) URL: {url!r}")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise AddressRefused(f"cannot resolve {parts.hostname}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise AddressRefused(f"{parts.hostname} resolves to a private address ({address})")


async def call_webhook(http: aiohttp.ClientSession, call: CallWebhook, *, allow_private: bool) -> WebhookResult:
    try:
        await check_address(call.url, allow_private=allow_private)
    except AddressRefused as error:
        log.warning("webhook refused", extra={"url": call.url, "reason": str(error)})
        return WebhookResult(call.request_id, WebhookOutcome.FAILED)
    try:
        async with asyncio.timeout(call.timeout_seconds):
            return await _with_retries(http, call)
    except TimeoutError:
        return WebhookResult(call.request_id, WebhookOutcome.TIMEOUT)


async def _with_retries(http: aiohttp.ClientSession, call: CallWebhook) -> WebhookResult:
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception_type(_Retryable),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await _once(http, call)
    except (_Retryable, aiohttp.ClientError, ValueError) as error:
        log.info("webhook failed", extra={"url": call.url, "error": str(error)})
    return WebhookResult(call.request_id, WebhookOutcome.FAILED)


async def _once(http: aiohttp.ClientSession, call: CallWebhook) -> WebhookResult:
    body = None if call.body is None else json.dumps(call.body)
    headers = {**call.headers, **({"Content-Type": "application/json"} if body is not None else {})}
    try:
        async with http.request(call.method, call.url, data=body, headers=headers, allow_redirects=False) as response:
            if response.status >= 500:
                raise _Retryable(f"HTTP {response.status}")
            raw = await response.content.read(MAX_BODY_BYTES)
    except aiohttp.ClientConnectionError as error:
        raise _Retryable(str(error)) from error
    if not 200 <= response.status < 300:
        return WebhookResult(call.request_id, WebhookOutcome.FAILED, status=response.status)
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        decoded = None
    return WebhookResult(call.request_id, WebhookOutcome.OK, status=response.status, body=decoded)
