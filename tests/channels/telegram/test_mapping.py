"""Telegram conversion, both ways: captured-shape Update payloads (payloads/*.json) read into our
types, and stored messages planned as Bot API sends with their inline keyboards."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.base import AttachmentRef
from channels.telegram.mapping import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    CallbackButton,
    KeyboardButton,
    MediaTooLarge,
    Send,
    UrlButton,
    button_for_data,
    callback_data_for,
    plan_sends,
    split_text,
    telegram_html,
    telegram_length,
)
from channels.telegram.updates import (
    ButtonPress,
    ChatMessage,
    Ignored,
    MembershipChange,
    StartCommand,
    TelegramFile,
    TelegramUpdate,
    TelegramUser,
    read_start_command,
    read_update,
)
from core.errors import PayloadTooLarge

PAYLOADS = Path(__file__).parent / "payloads"
ANNA = TelegramUser(123456789, "Anna", "Ivanova", "anna_iv", "ru")
CHAT = 123456789
MB = 1024 * 1024


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def message(
    update_id: int,
    message_id: int,
    date: int,
    text: str = "",
    *,
    files: tuple[TelegramFile, ...] = (),
    shared_phone: str | None = None,
    start: StartCommand | None = None,
    edited: bool = False,
) -> ChatMessage:
    return ChatMessage(update_id, CHAT, message_id, ANNA, at(date), text, files, shared_phone, start, edited)


EXPECTED: dict[str, TelegramUpdate] = {
    "text": message(815000001, 10, 1767225600, "Hello, I need help with my order"),
    "start_with_payload": message(815000002, 11, 1767225601, "/start promo_42", start=StartCommand("promo_42")),
    "start_addressed_to_bot": message(815000003, 12, 1767225602, "/start@FirstlineDemoBot", start=StartCommand(None)),
    "photo_with_caption": message(
        815000004,
        13,
        1767225603,
        "The box arrived broken",
        files=(TelegramFile("AgACAgIAAxkBAAIBZ2c-x", "AQADx", "photo", "photo.jpg", "image/jpeg", 84290),),
    ),
    "document": message(
        815000005,
        14,
        1767225604,
        files=(
            TelegramFile("BQACAgIAAxkBAAIBaGc-d", "AgADd", "document", "invoice-2026-01.pdf", "application/pdf", 48213),
        ),
    ),
    "voice": message(
        815000006,
        15,
        1767225605,
        files=(TelegramFile("AwACAgIAAxkBAAIBaWc-v", "AgADv", "voice", "voice.ogg", "audio/ogg", 9012),),
    ),
    "sticker": message(
        815000007,
        16,
        1767225606,
        files=(
            TelegramFile("CAACAgIAAxkBAAIBamc-t", "AgADt", "sticker", "sticker.tgs", "application/x-tgsticker", 31234),
        ),
    ),
    "contact_own": message(815000008, 17, 1767225607, shared_phone="+79001234567"),
    "contact_other": message(815000009, 18, 1767225608, "Contact: Max Muster, +4915112345678"),
    "callback_query": ButtonPress(815000010, "530183756209841329", CHAT, 19, "p1.1", ANNA),
    "callback_inaccessible_message": ButtonPress(815000011, "530183756209841330", CHAT, 3, "p0.0", ANNA),
    "callback_game": ButtonPress(815000012, "530183756209841331", CHAT, 20, "", ANNA),
    "callback_inline_mode": Ignored(
        815000013, "button press on an inline-mode message (no chat)", "530183756209841332"
    ),
    "callback_without_from": Ignored(815000014, "button press without a sender", "530183756209841333"),
    "my_chat_member_kicked": MembershipChange(815000015, CHAT, ANNA, blocked=True, at=at(1767225700)),
    "my_chat_member_member": MembershipChange(815000016, CHAT, ANNA, blocked=False, at=at(1767225800)),
    "my_chat_member_group": Ignored(815000017, "not a private chat"),
    "edited_message": message(815000018, 22, 1767225672, "Hello, I need help with my order #1042", edited=True),
    "group_message": Ignored(815000019, "not a private chat"),
    "channel_post": Ignored(815000020, "unsupported update type: channel_post"),
    "service_message": Ignored(815000021, "a message with nothing to show (service message or unsupported content)"),
    "malformed_missing_chat": Ignored(815000022, "chat is missing or not an object"),
    "malformed_string_update_id": Ignored(None, "update_id is missing or not an integer"),
    "malformed_message_without_from": Ignored(815000024, "message without a sender"),
    "malformed_photo_without_file_id": Ignored(815000025, "file_id is missing or not a string"),
    "poll": Ignored(815000026, "unsupported update type: poll"),
}


def load(name: str) -> dict[str, object]:
    payload: dict[str, object] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return payload


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_captured_updates_are_read(name: str) -> None:
    assert read_update(load(name)) == EXPECTED[name]


def test_every_captured_payload_has_an_expectation() -> None:
    assert {path.stem for path in PAYLOADS.glob("*.json")} == set(EXPECTED)


def test_times_are_aware_utc() -> None:
    read = read_update(load("text"))
    assert isinstance(read, ChatMessage)
    assert read.sent_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_an_edited_start_is_not_a_new_start() -> None:
    payload = load("start_with_payload")
    original = payload.pop("message")
    assert isinstance(original, dict)
    payload["edited_message"] = {**original, "edit_date": 1767225700}
    read = read_update(payload)
    assert isinstance(read, ChatMessage)
    assert (read.edited, read.start, read.sent_at) == (True, None, at(1767225700))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, Ignored(None, "an empty update")),
        ({"update_id": 5}, Ignored(5, "an empty update")),
        ({"update_id": True, "message": {}}, Ignored(None, "update_id is missing or not an integer")),
        ({"update_id": 5, "message": "hi"}, Ignored(5, "message is missing or not an object")),
        ({"update_id": 5, "message": {"chat": {"type": "private", "id": 1}}}, Ignored(5, "message without a sender")),
        (
            {"update_id": 5, "callback_query": {"id": "q1", "from": {"id": 1, "first_name": "A"}, "message": []}},
            Ignored(5, "message is missing or not an object", "q1"),
        ),
        ({"callback_query": {"id": "q2"}}, Ignored(None, "update_id is missing or not an integer", "q2")),
        (
            {
                "update_id": 5,
                "message": {
                    "message_id": 1,
                    "date": 10**20,
                    "chat": {"id": 1, "type": "private"},
                    "from": {"id": 1, "first_name": "A"},
                    "text": "hi",
                },
            },
            Ignored(5, "date is not a valid unix time"),
        ),
        (
            {
                "update_id": 5,
                "my_chat_member": {
                    "chat": {"id": 1, "type": "private"},
                    "from": {"id": 1, "first_name": "A"},
                    "date": 1,
                    "new_chat_member": {"status": "restricted"},
                },
            },
            Ignored(5, "membership status not handled: restricted"),
        ),
    ],
)
def test_malformed_updates_are_ignored_never_raised(payload: dict[str, object], expected: Ignored) -> None:
    assert read_update(payload) == expected


def test_a_payload_that_is_not_an_object_is_ignored() -> None:
    assert read_update([1, 2]) == Ignored(None, "the update is not a JSON object")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", StartCommand(None)),
        ("/start abc-1", StartCommand("abc-1")),
        ("/start@FirstlineDemoBot abc", StartCommand("abc")),
        ("  /start   ", StartCommand(None)),
        ("/started", None),
        ("start", None),
        ("hello /start", None),
    ],
)
def test_start_commands(text: str, expected: StartCommand | None) -> None:
    assert read_start_command(text) == expected


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (ANNA, "Anna Ivanova"),
        (TelegramUser(1, "Anna", None, None, None), "Anna"),
        (TelegramUser(1, " ", None, "anna_iv", None), "@anna_iv"),
        (TelegramUser(7, "", None, None, None), "7"),
    ],
)
def test_display_names(user: TelegramUser, expected: str) -> None:
    assert user.display_name == expected


# --- outbound


def attachment(name: str, content_type: str, size: int = 1000) -> AttachmentRef:
    return AttachmentRef(id=f"att-{name}", name=name, content_type=content_type, size=size)


PHOTO = attachment("box.jpg", "image/jpeg")
PDF = attachment("invoice.pdf", "application/pdf")
BUTTONS = (CallbackButton("p1.0", "Ask a question"), UrlButton("Our site", "https://example.com"))
KEYBOARD = (
    (KeyboardButton("Ask a question", callback_data="p1.0"),),
    (KeyboardButton("Our site", url="https://example.com"),),
)


def test_a_text_with_buttons_is_one_message_with_a_keyboard_of_one_button_per_row() -> None:
    (send,) = plan_sends("How can we help?", buttons=BUTTONS)
    assert send == Send("sendMessage", "How can we help?", keyboard=KEYBOARD)
    assert send.markup() == {
        "inline_keyboard": [
            [{"text": "Ask a question", "callback_data": "p1.0"}],
            [{"text": "Our site", "url": "https://example.com"}],
        ]
    }


def test_a_send_without_buttons_has_no_markup() -> None:
    assert plan_sends("Hi") == (Send("sendMessage", "Hi"),)
    assert plan_sends("Hi")[0].markup() is None


def test_a_caption_that_fits_goes_with_the_single_attachment() -> None:
    sends = plan_sends("Your photo", attachments=[PHOTO], buttons=BUTTONS, parse_mode="HTML")
    assert sends == (Send("sendPhoto", "Your photo", PHOTO, KEYBOARD, "HTML"),)


def test_a_caption_too_long_is_sent_as_a_message_first() -> None:
    text = "x" * (MAX_CAPTION_LENGTH + 1)
    sends = plan_sends(text, attachments=[PDF], buttons=BUTTONS)
    assert sends == (Send("sendMessage", text), Send("sendDocument", "", PDF, KEYBOARD))


def test_a_caption_of_exactly_the_limit_still_fits() -> None:
    text = "x" * MAX_CAPTION_LENGTH
    assert plan_sends(text, attachments=[PDF]) == (Send("sendDocument", text, PDF),)


def test_several_attachments_follow_the_text_in_order() -> None:
    sends = plan_sends("Two files", attachments=[PHOTO, PDF], buttons=BUTTONS, parse_mode="HTML")
    assert sends == (
        Send("sendMessage", "Two files", parse_mode="HTML"),
        Send("sendPhoto", "", PHOTO),
        Send("sendDocument", "", PDF, KEYBOARD),
    )


def test_attachments_without_text() -> None:
    assert plan_sends("", attachments=[PHOTO, PDF]) == (Send("sendPhoto", "", PHOTO), Send("sendDocument", "", PDF))
    assert plan_sends("  ", attachments=[PHOTO]) == (Send("sendPhoto", "", PHOTO),)


def test_a_long_text_is_split_and_the_buttons_go_on_the_last_part() -> None:
    text = "\n\n".join(f"Paragraph {number}. " + "word " * 180 for number in range(11))  # about 10,000 chars
    sends = plan_sends(text, buttons=BUTTONS)
    assert len(sends) == 3
    assert all(send.method == "sendMessage" and len(send.text) <= MAX_TEXT_LENGTH for send in sends)
    assert [send.keyboard for send in sends] == [None, None, KEYBOARD]
    assert all(send.text.startswith("Paragraph") for send in sends)  # cut at paragraph boundaries
    assert " ".join(send.text for send in sends).split() == text.split()


def test_gif_goes_as_a_document_and_photos_as_photos() -> None:
    methods = [
        plan_sends("", attachments=[attachment(f"a.{kind}", f"image/{kind}")])[0].method
        for kind in ("jpeg", "png", "webp", "gif")
    ]
    assert methods == ["sendPhoto", "sendPhoto", "sendPhoto", "sendDocument"]


def test_an_image_too_large_for_a_photo_goes_as_a_document() -> None:
    big = attachment("scan.png", "image/png", 10 * MB + 1)
    assert plan_sends("", attachments=[big]) == (Send("sendDocument", "", big),)


def test_media_too_large_is_refused_before_anything_is_sent() -> None:
    huge = attachment("backup.zip", "application/zip", 50 * MB + 1)
    with pytest.raises(MediaTooLarge) as raised:
        plan_sends("Here it is", attachments=[PHOTO, huge])
    assert isinstance(raised.value, PayloadTooLarge)
    assert raised.value.message == "backup.zip is too large to send on Telegram: a file can be at most 50 MB."


def test_nothing_to_send() -> None:
    assert plan_sends("") == ()
    assert plan_sends(" \n ") == ()


def test_buttons_need_a_text_or_an_attachment() -> None:
    with pytest.raises(ValueError, match="buttons"):
        plan_sends("", buttons=BUTTONS)


def test_telegram_html_escapes_markup() -> None:
    assert telegram_html('Tom & Jerry <b>"hi"</b>') == 'Tom &amp; Jerry &lt;b&gt;"hi"&lt;/b&gt;'


def test_lengths_count_utf16_units_like_telegram() -> None:
    assert telegram_length("ab") == 2
    assert telegram_length("😀") == 2
    assert split_text("😀" * 3, limit=4) == ("😀😀", "😀")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one two three", ("one two", "three")),
        ("one\ntwo three", ("one\ntwo", "three")),  # an early line break would leave a tiny part
        ("abcdefghij", ("abcdefg", "hij")),
        ("ab abcdefghij", ("ab", "abcdefg", "hij")),
        ("  padded  ", ("padded",)),
    ],
)
def test_split_at_word_boundaries(text: str, expected: tuple[str, ...]) -> None:
    assert split_text(text, limit=7) == expected


def test_split_prefers_a_late_line_break_to_the_last_space() -> None:
    assert split_text("one two\nthree four", limit=12) == ("one two", "three four")
    assert split_text("one two\nthree\n\nfour five six", limit=20) == ("one two\nthree", "four five six")


# --- callback data


def test_a_short_id_is_its_own_callback_data() -> None:
    assert callback_data_for("p1.0") == "p1.0"
    assert callback_data_for("x" * 64) == "x" * 64


@pytest.mark.parametrize("button_id", ["я" * 33, "x" * 65, "#p1", "#", ""])
def test_long_ids_and_hash_ids_are_hashed(button_id: str) -> None:
    data = callback_data_for(button_id)
    assert data.startswith("#")
    assert len(data) == 21
    assert data == callback_data_for(button_id)  # stable
    assert data != button_id


def test_cyrillic_ids_fit_by_bytes_not_characters() -> None:
    assert callback_data_for("я" * 32) == "я" * 32  # 64 bytes
    assert callback_data_for("я" * 33) != "я" * 33  # 66 bytes


def test_pressed_data_resolves_only_to_the_messages_own_buttons() -> None:
    long_button = CallbackButton("Узнать подробнее о доставке и оплате заказа", "Delivery")
    buttons = [CallbackButton("p1.0", "Ask"), long_button]
    assert button_for_data("p1.0", buttons) == buttons[0]
    assert button_for_data(callback_data_for(long_button.id), buttons) == long_button
    assert button_for_data("p9.9", buttons) is None
    assert button_for_data(long_button.id, buttons) is None  # the raw long id is not its data
    assert button_for_data("", buttons) is None


# --- properties


@given(
    st.text(alphabet=st.sampled_from(["a", "b", "я", "😀", " ", "\n", "\t"]), max_size=300),
    st.integers(min_value=2, max_value=40),
)
def test_split_parts_fit_and_keep_every_character(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(part and telegram_length(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


@given(st.lists(st.text(alphabet="abcя😀", min_size=1, max_size=10), max_size=60), st.sampled_from([" ", "\n", "\n\n"]))
def test_split_texts_rejoin_to_the_original_words(words: list[str], separator: str) -> None:
    text = separator.join(words)
    parts = split_text(text, limit=20)
    assert " ".join(parts).split() == text.split()
    assert all(telegram_length(part) <= 20 for part in parts)


@given(st.lists(st.text(max_size=80), min_size=1, max_size=5, unique=True))
def test_callback_data_always_fits_and_round_trips(ids: list[str]) -> None:
    buttons = [CallbackButton(button_id, "label") for button_id in ids]
    for button in buttons:
        data = callback_data_for(button.id)
        assert 1 <= len(data.encode()) <= 64
        assert button_for_data(data, buttons) == button
