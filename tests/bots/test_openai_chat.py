"""OpenAIChatModel through the real openai client against the fake OpenAI server: answers, streamed
deltas, and what each failure becomes — which ones are retried (counted in the recorded requests,
never by the clock) and which are not."""

from collections.abc import AsyncIterator

import pytest

from bots.ai.chat_model import ChatMessage, ChatModel, ChatModelError, FailureReason
from bots.ai.openai_chat import OpenAIChatModel, retry_after_seconds
from tests.fakes.openai_server import FakeOpenAI, GarbageKind, insufficient_quota_error, rate_limit_error

QUESTION = [ChatMessage("system", "You answer from the help center."), ChatMessage("user", "How do refunds work?")]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def model(fake: FakeOpenAI) -> AsyncIterator[OpenAIChatModel]:
    chat = OpenAIChatModel(fake.base_url, "sk-test", "fake-model", timeout_seconds=5, backoff_seconds=0.01)
    yield chat
    await chat.close()


async def failure(chat: OpenAIChatModel, *, stream: bool = False) -> ChatModelError:
    async def ignore(piece: str) -> None:
        return None

    with pytest.raises(ChatModelError) as raised:
        await chat.complete(QUESTION, max_tokens=50, on_delta=ignore if stream else None)
    assert type(raised.value) is ChatModelError  # not the adapter's internal retryable subclass
    return raised.value


async def test_a_completion_returns_the_text_and_sends_the_protocol(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    contract: ChatModel = model
    assert contract.model_id == "fake-model"
    fake.script_reply("Refunds take 14 days.")
    completion = await model.complete(QUESTION, max_tokens=50, temperature=0.2)
    assert completion.text == "Refunds take 14 days."
    assert (completion.model, completion.finish_reason) == ("fake-model", "stop")
    assert completion.prompt_tokens == 10 and completion.completion_tokens == 4
    [request] = fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["model"] == "fake-model"
    assert request.body["messages"] == [
        {"role": "system", "content": "You answer from the help center."},
        {"role": "user", "content": "How do refunds work?"},
    ]
    assert (request.body["max_tokens"], request.body["temperature"]) == (50, 0.2)
    assert "stream" not in request.body


async def test_the_default_responder_answers_when_nothing_is_scripted(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    def echo(body: dict[str, object]) -> str:
        messages = body["messages"]
        return f"Echo: {len(messages) if isinstance(messages, list) else 0} messages"

    fake.respond = echo
    assert (await model.complete(QUESTION, max_tokens=50)).text == "Echo: 2 messages"


async def test_streaming_passes_each_piece_in_order(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_reply("You can get your money back.")
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    completion = await model.complete(QUESTION, max_tokens=50, on_delta=collect)
    assert pieces == ["You", " can", " get", " your", " money", " back."]
    assert completion.text == "".join(pieces) == "You can get your money back."
    assert completion.finish_reason == "stop"
    assert fake.requests[0].body["stream"] is True


async def test_an_empty_key_still_reaches_a_keyless_endpoint(fake: FakeOpenAI) -> None:
    chat = OpenAIChatModel(fake.base_url, "", "llama3")
    try:
        assert (await chat.complete(QUESTION, max_tokens=50)).text == "Fake answer."
    finally:
        await chat.close()
    assert fake.requests[0].headers["authorization"] == "Bearer none"


async def test_a_rate_limit_is_retried_after_the_servers_wait(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_error(429, rate_limit_error(), headers={"retry-after": "0"})
    fake.script_error(429, rate_limit_error(), headers={"retry-after-ms": "10"})
    fake.script_reply("Finally.")
    assert (await model.complete(QUESTION, max_tokens=50)).text == "Finally."
    assert len(fake.requests) == 3


async def test_a_rate_limit_on_every_attempt_gives_up(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    for _ in range(3):
        fake.script_error(429, rate_limit_error(), headers={"retry-after": "0"})
    assert (await failure(model)).reason == FailureReason.RATE_LIMITED
    assert len(fake.requests) == 3


async def test_a_wait_longer_than_accepted_is_not_waited_for(fake: FakeOpenAI) -> None:
    chat = OpenAIChatModel(fake.base_url, "sk-test", "fake-model", max_retry_after=2)
    fake.script_error(429, rate_limit_error(), headers={"retry-after": "30"})
    try:
        error = await failure(chat)
    finally:
        await chat.close()
    assert error.reason == FailureReason.RATE_LIMITED and "30" in error.detail
    assert len(fake.requests) == 1


async def test_a_wait_past_the_deadline_gives_up_with_the_real_reason(fake: FakeOpenAI) -> None:
    chat = OpenAIChatModel(fake.base_url, "sk-test", "fake-model", timeout_seconds=1, max_retry_after=20)
    fake.script_error(429, rate_limit_error(), headers={"retry-after": "5"})
    try:
        assert (await failure(chat)).reason == FailureReason.RATE_LIMITED
    finally:
        await chat.close()
    assert len(fake.requests) == 1


async def test_insufficient_quota_is_never_retried(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_error(429, insufficient_quota_error(), headers={"retry-after": "0"})
    fake.script_reply("Never sent.")
    assert (await failure(model)).reason == FailureReason.QUOTA
    assert len(fake.requests) == 1 and fake.pending == 1


async def test_server_errors_are_retried_until_an_answer(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_error(500)
    fake.script_error(503)
    fake.script_reply("Back up.")
    assert (await model.complete(QUESTION, max_tokens=50)).text == "Back up."
    assert len(fake.requests) == 3


async def test_a_server_that_stays_down_is_unavailable(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    for _ in range(5):
        fake.script_error(503)
    assert (await failure(model)).reason == FailureReason.UNAVAILABLE
    assert len(fake.requests) == 3


async def test_a_refused_connection_is_unavailable() -> None:
    async with FakeOpenAI() as gone:
        base_url = gone.base_url
    chat = OpenAIChatModel(base_url, "sk-test", "fake-model", backoff_seconds=0.01)
    try:
        assert (await failure(chat)).reason == FailureReason.UNAVAILABLE
    finally:
        await chat.close()


async def test_a_slow_answer_is_a_timeout(fake: FakeOpenAI) -> None:
    chat = OpenAIChatModel(fake.base_url, "sk-test", "fake-model", timeout_seconds=0.3)
    fake.script_delay(10)
    try:
        assert (await failure(chat)).reason == FailureReason.TIMEOUT
    finally:
        await chat.close()


@pytest.mark.parametrize("kind", ["not-json", "no-choices"])
@pytest.mark.parametrize("stream", [False, True])
async def test_garbage_is_a_bad_response_and_not_retried(
    fake: FakeOpenAI, model: OpenAIChatModel, kind: GarbageKind, stream: bool
) -> None:
    fake.script_garbage(kind)
    assert (await failure(model, stream=stream)).reason == FailureReason.BAD_RESPONSE
    assert len(fake.requests) == 1


async def test_an_empty_answer_is_a_bad_response(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_reply("")
    assert (await failure(model)).reason == FailureReason.BAD_RESPONSE


async def test_a_tool_call_is_not_a_text_answer(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_tool_call("get_order", {"id": "A-1"})
    assert (await failure(model)).reason == FailureReason.BAD_RESPONSE


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_other_client_errors_are_rejected_at_once(fake: FakeOpenAI, model: OpenAIChatModel, status: int) -> None:
    fake.script_error(status)
    error = await failure(model)
    assert error.reason == FailureReason.REJECTED and f"HTTP {status}" in error.detail
    assert len(fake.requests) == 1


async def test_a_stream_that_fails_before_any_text_is_retried(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_broken_stream()
    fake.script_reply("Second try.")
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    assert (await model.complete(QUESTION, max_tokens=50, on_delta=collect)).text == "Second try."
    assert pieces == ["Second", " try."]
    assert len(fake.requests) == 2


async def test_a_stream_that_fails_midway_is_not_repeated(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake.script_broken_stream("Refunds", " take")
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    with pytest.raises(ChatModelError) as raised:
        await model.complete(QUESTION, max_tokens=50, on_delta=collect)
    assert raised.value.reason == FailureReason.UNAVAILABLE
    assert pieces == ["Refunds", " take"]
    assert len(fake.requests) == 1


async def test_the_callers_own_errors_pass_through_untouched(fake: FakeOpenAI, model: OpenAIChatModel) -> None:
    async def explode(piece: str) -> None:
        raise ValueError("the socket closed")

    with pytest.raises(ValueError, match="the socket closed"):
        await model.complete(QUESTION, max_tokens=50, on_delta=explode)
    assert len(fake.requests) == 1


def test_retry_after_headers_are_read_in_seconds() -> None:
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_seconds({"retry-after": "-1"}) is None
    assert retry_after_seconds({}) is None
