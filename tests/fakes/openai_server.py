"""A fake OpenAI-compatible server on loopback that speaks the real wire protocol
(../shared/PROTOCOLS.md §3), so the real `openai` client runs against it: chat completions (JSON,
SSE streaming, tool calls) and embeddings (hashed bag of words, float or base64). Each request takes
the next scripted outcome (`script_*`, any endpoint) or, when none is left, the default: `respond`
gives the chat text. Every request is recorded in `requests`.

    async with FakeOpenAI() as fake:
        fake.script_error(429, rate_limit_error(), headers={"retry-after": "0"})
        model = OpenAIChatModel(base_url=fake.base_url, api_key="sk-test", model="fake-model")
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import math
import re
import struct
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from aiohttp import web
from aiohttp.test_utils import TestServer

WORD = re.compile(r"\w+")
PIECE = re.compile(r"\s*\S+")  # streamed deltas: one word each, with the whitespace before it
DEFAULT_ANSWER = "Fake answer."
DEFAULT_DIM = 384
CREATED = 1767225600  # fixed, so responses are reproducible

Json = dict[str, object]
Responder = Callable[[Json], str]
GarbageKind = Literal["not-json", "no-choices"]


def api_error(message: str, *, type_: str, code: str | None = None, param: str | None = None) -> Json:
    """An OpenAI error body: {"error": {message, type, param, code}}."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def rate_limit_error() -> Json:
    return api_error("Rate limit reached for requests", type_="requests", code="rate_limit_exceeded")


def insufficient_quota_error() -> Json:
    return api_error(
        "You exceeded your current quota, please check your plan and billing details.",
        type_="insufficient_quota",
        code="insufficient_quota",
    )


def hashed_vector(text: str, dim: int) -> list[float]:
    """The same bag of words as tests/fakes/embedders.HashingEmbedder, at any dimension."""
    vector = [0.0] * dim
    for word in WORD.findall(text.casefold()):
        vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % dim] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


def float32_base64(vector: list[float]) -> str:
    """How OpenAI sends `encoding_format: "base64"`: little-endian float32, base64."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: Mapping[str, str]  # lower-cased names
    body: Json


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # a JSON string, as on the wire
    call_id: str = "call_1"


@dataclass(frozen=True)
class Failure:
    status: int
    body: Json | None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Reply | None = None  # None: the default responder


@dataclass(frozen=True)
class Garbage:
    kind: GarbageKind


@dataclass(frozen=True)
class BrokenStream:
    """A 200 stream that sends these pieces and then an error event (an SSE `data: {"error": …}`)."""

    pieces: tuple[str, ...]


Answer = Reply | ToolCall | Failure | Garbage | BrokenStream
Outcome = Answer | Delay


class FakeOpenAI:
    def __init__(self, *, respond: Responder | None = None) -> None:
        self.respond: Responder = respond if respond is not None else (lambda _body: DEFAULT_ANSWER)
        self.requests: list[RecordedRequest] = []
        self.default_dim = DEFAULT_DIM  # embeddings when the request gives no `dimensions`
        self.honour_dimensions = True  # False: like a model with a fixed size, `dimensions` is ignored
        self._script: deque[Outcome] = deque()
        self._closing = asyncio.Event()
        self._server: TestServer | None = None

    # scripting: each call queues the outcome of one future request, to either endpoint; a reply,
    # tool call or broken stream met by an embeddings request yields ordinary embeddings
    def script_reply(self, text: str, *, finish_reason: str = "stop") -> None:
        self._script.append(Reply(text, finish_reason))

    def script_tool_call(self, name: str, arguments: Mapping[str, object], *, call_id: str = "call_1") -> None:
        self._script.append(ToolCall(name, json.dumps(arguments), call_id))

    def script_error(self, status: int, body: Json | None = None, *, headers: Mapping[str, str] | None = None) -> None:
        """`body` None: a generic OpenAI error body for the status."""
        if body is None:
            body = api_error(f"fake error {status}", type_="server_error" if status >= 500 else "invalid_request_error")
        self._script.append(Failure(status, body, dict(headers or {})))

    def script_delay(self, seconds: float, text: str | None = None) -> None:
        """Answer only after `seconds` (with `text`, else the default); the wait ends early on close."""
        self._script.append(Delay(seconds, None if text is None else Reply(text)))

    def script_garbage(self, kind: GarbageKind = "not-json") -> None:
        """200 with an HTML page, or with JSON (or a stream chunk) that has no `choices`/`data`."""
        self._script.append(Garbage(kind))

    def script_broken_stream(self, *pieces: str) -> None:
        self._script.append(BrokenStream(tuple(pieces)))

    @property
    def pending(self) -> int:
        """Scripted outcomes not consumed yet."""
        return len(self._script)

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        """Recorded requests whose path ends with `endpoint` ("chat/completions", "embeddings")."""
        return [request for request in self.requests if request.path.endswith(endpoint)]

    # lifecycle
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake OpenAI server is not started")
        return str(self._server.make_url("/v1"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()

    async def close(self) -> None:
        self._closing.set()
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # handlers
    async def _record(self, request: web.Request) -> Json:
        try:
            body = await request.json()
        except ValueError:
            body = None
        parsed: Json = body if isinstance(body, dict) else {}
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.requests.append(RecordedRequest(request.path, headers, parsed))
        return parsed

    async def _next_answer(self) -> Answer | None:
        outcome = self._script.popleft() if self._script else None
        if isinstance(outcome, Delay):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=outcome.seconds)
            return outcome.then
        return outcome

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        outcome = await self._next_answer()
        if isinstance(outcome, Failure):
            return _failure_response(outcome)
        if outcome is None:
            outcome = Reply(self.respond(body))
        model = str(body.get("model", "fake-model"))
        if body.get("stream") is True:
            return await _stream(request, model, outcome, include_usage=_wants_usage(body))
        if isinstance(outcome, Garbage):
            return _garbage_response(outcome.kind, {"id": "chatcmpl-fake", "object": "chat.completion"})
        if isinstance(outcome, BrokenStream):
            return _failure_response(Failure(500, api_error("broken", type_="server_error")))
        return web.json_response(_completion(model, outcome))

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        outcome = await self._next_answer()
        if isinstance(outcome, Failure):
            return _failure_response(outcome)
        if isinstance(outcome, Garbage):
            return _garbage_response(outcome.kind, {"object": "list", "model": body.get("model")})
        raw_input = body.get("input")
        texts = [raw_input] if isinstance(raw_input, str) else list(raw_input) if isinstance(raw_input, list) else []
        requested = body.get("dimensions")
        dim = requested if self.honour_dimensions and isinstance(requested, int) else self.default_dim
        as_base64 = body.get("encoding_format") == "base64"
        data: list[Json] = []
        for index, text in enumerate(texts):
            vector = hashed_vector(str(text), dim)
            data.append(
                {"object": "embedding", "index": index, "embedding": float32_base64(vector) if as_base64 else vector}
            )
        tokens = sum(len(WORD.findall(str(text))) for text in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return web.json_response({"object": "list", "data": data, "model": body.get("model"), "usage": usage})


def _wants_usage(body: Json) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _failure_response(failure: Failure) -> web.Response:
    return web.json_response(failure.body, status=failure.status, headers=dict(failure.headers))


def _garbage_response(kind: GarbageKind, shell: Json) -> web.Response:
    if kind == "not-json":
        return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    return web.json_response(shell)


def _usage(prompt_tokens: int, text: str) -> Json:
    completion_tokens = len(PIECE.findall(text))
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _completion(model: str, outcome: Reply | ToolCall) -> Json:
    message: Json
    if isinstance(outcome, ToolCall):
        call = {
            "id": outcome.call_id,
            "type": "function",
            "function": {"name": outcome.name, "arguments": outcome.arguments},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish_reason, text = "tool_calls", ""
    else:
        message = {"role": "assistant", "content": outcome.text}
        finish_reason, text = outcome.finish_reason, outcome.text
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": _usage(10, text),
    }


def _chunk(model: str, delta: Json | None, finish_reason: str | None = None) -> Json:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "choices": choices,
        "usage": None,
    }


def _stream_events(model: str, outcome: Answer, *, include_usage: bool) -> list[Json]:
    """The `data:` payloads of one streamed answer, in order ([DONE] is added by the writer)."""
    if isinstance(outcome, Garbage):
        return [{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "nonsense": True}]
    events = [_chunk(model, {"role": "assistant", "content": ""})]
    if isinstance(outcome, BrokenStream):
        events += [_chunk(model, {"content": piece}) for piece in outcome.pieces]
        return [*events, api_error("The server had an error while processing your request.", type_="server_error")]
    text = ""
    if isinstance(outcome, ToolCall):
        half = len(outcome.arguments) // 2
        head = {
            "index": 0,
            "id": outcome.call_id,
            "type": "function",
            "function": {"name": outcome.name, "arguments": ""},
        }
        events.append(_chunk(model, {"tool_calls": [head]}))
        for fragment in (outcome.arguments[:half], outcome.arguments[half:]):
            events.append(_chunk(model, {"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}))
        events.append(_chunk(model, {}, "tool_calls"))
    elif isinstance(outcome, Reply):
        text = outcome.text
        events += [_chunk(model, {"content": piece}) for piece in PIECE.findall(text)]
        events.append(_chunk(model, {}, outcome.finish_reason))
    if include_usage:
        events.append({**_chunk(model, None), "usage": _usage(10, text)})
    return events


async def _stream(request: web.Request, model: str, outcome: Answer, *, include_usage: bool) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    if isinstance(outcome, Garbage) and outcome.kind == "not-json":
        await response.write(b"data: <html>not json</html>\n\n")
    else:
        for event in _stream_events(model, outcome, include_usage=include_usage):
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
            await asyncio.sleep(0)  # separate writes, so the client really sees pieces arrive
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response
