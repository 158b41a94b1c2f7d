"""Cross-cutting HTTP concerns: request ids + access log + metrics, and the translation of errors
into `{"error": {"code", "message"}}` (API) or a readable page (browser)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from core.errors import DomainError, ErrorCode, NotFound
from core.keys import error_page_key, metrics_key
from core.log import request_id_var

log = logging.getLogger("firstline.http")

_INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STATUS_CODES = {
    400: ErrorCode.INVALID_INPUT,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


@web.middleware
async def observe_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id (kept from a sane `X-Request-Id`, else new), one access-log line, metrics."""
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _INCOMING_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers["X-Request-Id"] = request_id
        raise
    finally:
        elapsed = time.perf_counter() - started
        route = _route_name(request)
        metrics = request.app[metrics_key]
        metrics.requests.labels(request.method, route, str(status)).inc()
        metrics.latency.labels(route).observe(elapsed)
        log.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            status,
            elapsed * 1000,
            extra={"method": request.method, "path": request.path, "status": status, "ms": round(elapsed * 1000, 1)},
        )
        request_id_var.reset(token)


def client_address_from_proxies(hops: int) -> Middleware:
    """With `hops` trusted proxies in front, the client is the `hops`-th address from the right of
    X-Forwarded-For (each proxy appends the peer it saw); anything further left is client-supplied."""

    @web.middleware
    async def client_address(request: web.Request, handler: Handler) -> web.StreamResponse:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if hops == 0 or len(forwarded) < hops:
            return await handler(request)
        return await handler(request.clone(remote=forwarded[-hops]))

    return client_address


@web.middleware
async def translate_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as error:
        if wants_json(request) or error_page_key not in request.app:
            return error_response(error.http_status, error.code, error.message, error.params)
        return await request.app[error_page_key](request, error)
    except web.HTTPException as exc:
        if exc.status in _STATUS_CODES and wants_json(request):
            return error_response(exc.status, _STATUS_CODES[exc.status], _http_message(exc), {})
        if exc.status == 404 and error_page_key in request.app:
            return await request.app[error_page_key](request, NotFound("Page not found."))
        raise
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        message = f"Something went wrong on our side (request {request_id_var.get()})."
        return error_response(500, ErrorCode.INTERNAL, message, {})


JSON_PREFIXES = ("/api/", "/widget/")


def wants_json(request: web.Request) -> bool:
    return request.path.startswith(JSON_PREFIXES) or "application/json" in request.headers.get("Accept", "")


def error_response(status: int, code: str, message: str, details: Mapping[str, object]) -> web.Response:
    error: dict[str, object] = {"code": str(code), "message": message}
    if details:
        error["details"] = dict(details)
    response = web.json_response({"error": error}, status=status)
    retry_after = details.get("retry_after")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _http_message(exc: web.HTTPException) -> str:
    if exc.status == 413:
        return "The request body is too large."
    return exc.reason


def _route_name(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else "unmatched"
