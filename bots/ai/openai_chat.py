"""`ChatModel` over any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, llama.cpp,
Ollama, YandexGPT…). The client's own retries are off: we retry here with tenacity, within one
deadline for the whole call — a 429 after the server's `retry-after` (unless it asks for longer than
we accept), 5xx and connection failures with a short exponential backoff, a stream only while
nothing of it has reached the caller. `chat_model_error` is the one place vendor errors become ours."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from bots.ai.chat_model import ChatMessage, ChatModelError, Completion, FailureReason, OnDelta

log = logging.getLogger(__name__)

PLACEHOLDER_KEY = "none"  # the client insists on a key; keyless servers (Ollama, llama.cpp) ignore it
RETRIED_STATUSES = frozenset({500, 502, 503, 504})


class _Transient(ChatModelError):
    """A failure worth another attempt; `retry_after` is how long the server asked us to wait."""

    def __init__(self, reason: FailureReason, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason, detail)
        self.retry_after = retry_after


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait the server asks for: `retry-after-ms` (OpenAI's own), else `retry-after` in seconds.
    The HTTP-date form of `retry-after` is not used by these APIs and counts as absent."""
    milliseconds = _non_negative(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    return _non_negative(headers.get("retry-after"))


def _non_negative(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def chat_model_error(error: Exception, *, max_retry_after: float) -> ChatModelError:
    """Our error for whatever the openai client raised; a `_Transient` one may be retried."""
    if isinstance(error, ChatModelError):
        return error
    if isinstance(error, openai.APITimeoutError):
        return ChatModelError(FailureReason.TIMEOUT, "the endpoint did not answer in time")
    if isinstance(error, openai.APIConnectionError):
        return _Transient(FailureReason.UNAVAILABLE, f"cannot reach the endpoint: {error}")
    if isinstance(error, openai.APIStatusError):
        return _status_error(error, max_retry_after=max_retry_after)
    if isinstance(error, openai.APIResponseValidationError | ValueError):
        return ChatModelError(FailureReason.BAD_RESPONSE, f"not an OpenAI-compatible answer: {error}")
    if isinstance(error, openai.APIError):  # an error event inside a 200 stream
        return _Transient(FailureReason.UNAVAILABLE, f"the stream failed: {error.message}")
    return ChatModelError(FailureReason.BAD_RESPONSE, f"{type(error).__name__}: {error}")


def _status_error(error: openai.APIStatusError, *, max_retry_after: float) -> ChatModelError:
    status = error.status_code
    detail = f"HTTP {status}: {error.message}"
    if status == 429 and "insufficient_quota" in (error.code, error.type):
        return ChatModelError(FailureReason.QUOTA, detail)  # retrying cannot help: the account needs credit
    if status == 429:
        wait = retry_after_seconds(error.response.headers)
        if wait is not None and wait > max_retry_after:
            return ChatModelError(FailureReason.RATE_LIMITED, f"{detail} (asks to wait {wait:g} s)")
        return _Transient(FailureReason.RATE_LIMITED, detail, retry_after=wait)
    if status in RETRIED_STATUSES:
        return _Transient(FailureReason.UNAVAILABLE, detail)
    if status >= 500:
        return ChatModelError(FailureReason.UNAVAILABLE, detail)
    return ChatModelError(FailureReason.REJECTED, detail)


def _message_param(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "user":
        return {"role": "user", "content": message.content}
    return {"role": "assistant", "content": message.content}


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _completion_from(response: object, *, model: str) -> Completion:
    """Check what the client returned: for a 200 that is not JSON it hands back the text as a `str`,
    and a JSON body without the fields still becomes a ChatCompletion, with None in them."""
    if not isinstance(response, ChatCompletion):
        raise ChatModelError(FailureReason.BAD_RESPONSE, "the answer is not a chat completion (not JSON)")
    choices: object = response.choices
    if not isinstance(choices, list) or not choices:
        raise ChatModelError(FailureReason.BAD_RESPONSE, "the answer has no choices")
    text: object = getattr(getattr(choices[0], "message", None), "content", None)
    if not isinstance(text, str) or not text.strip():
        raise ChatModelError(FailureReason.BAD_RESPONSE, "the answer has no text")
    usage: object = response.usage
    finish_reason: object = getattr(choices[0], "finish_reason", None)
    return Completion(
        text=text,
        model=response.model if isinstance(response.model, str) else model,
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        prompt_tokens=_int_or_none(getattr(usage, "prompt_tokens", None)),
        completion_tokens=_int_or_none(getattr(usage, "completion_tokens", None)),
    )


@dataclass
class _StreamedAnswer:
    """What the chunks of one stream add up to."""

    model: str
    pieces: list[str]
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def take(self, chunk: ChatCompletionChunk) -> str:
        """Note the chunk's metadata; its text (possibly empty)."""
        if isinstance(chunk.model, str) and chunk.model:
            self.model = chunk.model
        usage: object = chunk.usage
        if usage is not None:
            self.prompt_tokens = _int_or_none(getattr(usage, "prompt_tokens", None))
            self.completion_tokens = _int_or_none(getattr(usage, "completion_tokens", None))
        choices: object = chunk.choices
        if not isinstance(choices, list) or not choices:
            return ""
        finish_reason: object = getattr(choices[0], "finish_reason", None)
        if isinstance(finish_reason, str):
            self.finish_reason = finish_reason
        content: object = getattr(getattr(choices[0], "delta", None), "content", None)
        return content if isinstance(content, str) else ""

    def completion(self) -> Completion:
        text = "".join(self.pieces)
        if not text.strip():
            raise ChatModelError(FailureReason.BAD_RESPONSE, "the stream carried no text")
        return Completion(text, self.model, self.finish_reason, self.prompt_tokens, self.completion_tokens)


class OpenAIChatModel:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout_seconds: float = 20.0,
        attempts: int = 3,
        max_retry_after: float = 20.0,
        backoff_seconds: float = 0.2,
    ) -> None:
        self._model = model
        self._timeout = timeout_seconds
        self._attempts = attempts
        self._max_retry_after = max_retry_after
        self._backoff = backoff_seconds
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key if api_key else PLACEHOLDER_KEY,
            max_retries=0,
            timeout=timeout_seconds,
        )

    @property
    def model_id(self) -> str:
        return self._model

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        on_delta: OnDelta | None = None,
    ) -> Completion:
        params = [_message_param(message) for message in messages]
        deadline = asyncio.timeout(self._timeout)
        try:
            async with deadline:
                return await self._with_retries(params, max_tokens, temperature, on_delta)
        except TimeoutError:
            if not deadline.expired():  # raised by the caller's on_delta, not by our deadline
                raise
            raise ChatModelError(FailureReason.TIMEOUT, f"no answer within {self._timeout:g} s") from None
        except _Transient as error:  # retries exhausted: the caller sees a plain ChatModelError
            raise ChatModelError(error.reason, error.detail) from error

    async def close(self) -> None:
        await self._client.close()

    async def _with_retries(
        self, params: list[ChatCompletionMessageParam], max_tokens: int, temperature: float, on_delta: OnDelta | None
    ) -> Completion:
        retrying = AsyncRetrying(
            stop=self._stop_after(asyncio.get_running_loop().time() + self._timeout),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if on_delta is None:
                    return await self._complete_once(params, max_tokens, temperature)
                return await self._stream_once(params, max_tokens, temperature, on_delta)
        raise AssertionError("tenacity returns the result or re-raises the last error")

    def _stop_after(self, deadline: float) -> Callable[[RetryCallState], bool]:
        """Stop after the last attempt, or when the wait would run past the deadline: better the real
        reason (rate-limited, unavailable) now than a timeout later."""

        def stop(state: RetryCallState) -> bool:
            past_deadline = asyncio.get_running_loop().time() + state.upcoming_sleep >= deadline
            return state.attempt_number >= self._attempts or past_deadline

        return stop

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, _Transient) and error.retry_after is not None:
            return error.retry_after
        return float(self._backoff * 2 ** (state.attempt_number - 1))

    async def _complete_once(
        self, params: list[ChatCompletionMessageParam], max_tokens: int, temperature: float
    ) -> Completion:
        try:
            response = await self._client.chat.completions.create(
                model=self._model, messages=params, max_tokens=max_tokens, temperature=temperature
            )
        except (openai.OpenAIError, ValueError) as error:
            raise chat_model_error(error, max_retry_after=self._max_retry_after) from error
        return _completion_from(response, model=self._model)

    async def _stream_once(
        self, params: list[ChatCompletionMessageParam], max_tokens: int, temperature: float, on_delta: OnDelta
    ) -> Completion:
        answer = _StreamedAnswer(model=self._model, pieces=[])
        try:
            async with aclosing(self._chunks(params, max_tokens, temperature)) as chunks:
                async for chunk in chunks:
                    piece = answer.take(chunk)
                    if piece:
                        answer.pieces.append(piece)
                        await on_delta(piece)
        except _Transient as error:
            if answer.pieces:  # the caller has part of an answer: a retry would repeat it
                raise ChatModelError(error.reason, f"{error.detail} (after part of the answer)") from error
            raise
        return answer.completion()

    async def _chunks(
        self, params: list[ChatCompletionMessageParam], max_tokens: int, temperature: float
    ) -> AsyncGenerator[ChatCompletionChunk, None]:
        """The stream's chunks, with the client's errors already ours. The caller's `on_delta` runs
        outside this generator, so its own exceptions are never mistaken for the endpoint's."""
        try:
            stream = await self._client.chat.completions.create(
                model=self._model, messages=params, max_tokens=max_tokens, temperature=temperature, stream=True
            )
            async with stream:
                async for chunk in stream:
                    yield chunk
        except (openai.OpenAIError, ValueError) as error:
            raise chat_model_error(error, max_retry_after=self._max_retry_after) from error


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    log.warning(
        "chat model call failed, retrying",
        extra={"attempt": state.attempt_number, "wait_seconds": state.upcoming_sleep, "error": str(error)},
    )
