"""What a broadcast says (pure): its text as the Telegram HTML subset, sanitised; its buttons (a link,
or a flow to start) checked; and the `callback_data` of a flow button, `bc:<broadcast>:<index>`.

Lengths are Telegram's (UTF-16 units) measured on the sanitised HTML, as `channels.telegram.mapping`
measures them, so a valid broadcast is always exactly one Bot API call: a message, or a photo whose
caption is the text."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3

from channels.telegram.mapping import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, telegram_length
from core.errors import InvalidInput
from core.ids import BroadcastId, FlowId

MAX_BUTTONS = 10
MAX_LABEL_LENGTH = 64
MAX_URL_LENGTH = 2048
PRESS_PREFIX = "bc"
# Telegram's HTML subset (core.telegram.org/bots/api#html-style), minus the span/emoji forms.
ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler"}
)
_URL_SCHEMES = frozenset({"http", "https", "tg"})
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BARE_LINK = re.compile(r"<a>(.*?)</a>", re.DOTALL)  # a link whose href was unsafe, so removed
_TAG = re.compile(r"<[^>]*>")
_PRESS = re.compile(rf"{PRESS_PREFIX}:(\d{{1,18}}):(\d{{1,2}})")


@dataclass(frozen=True)
class LinkButton:
    label: str
    url: str


@dataclass(frozen=True)
class FlowButton:
    label: str
    flow_id: FlowId


BroadcastButton = LinkButton | FlowButton


def sanitise_text(html: str) -> str:
    """Only Telegram's tags survive (links only to http(s) and tg:), everything else is text or gone.
    Telegram knows just four named entities, so a no-break space is written as a number."""
    cleaned = nh3.clean(
        _LINE_BREAK.sub("\n", html),
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}},
        url_schemes=set(_URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
    return _BARE_LINK.sub(r"\1", cleaned).replace("&nbsp;", "&#160;").strip()


def check_text(html: str, *, with_image: bool) -> str:
    """The sanitised text, or InvalidInput: 1–4096 characters, or 1–1024 as a photo's caption."""
    text = sanitise_text(html)
    if not _TAG.sub("", text).strip():
        raise InvalidInput("Write the message text.", field="text")
    limit = MAX_CAPTION_LENGTH if with_image else MAX_TEXT_LENGTH
    if telegram_length(text) > limit:
        template = (
            "With an image the text can be at most {limit} characters (it is {length})."
            if with_image
            else "The text can be at most {limit} characters (it is {length})."
        )
        raise InvalidInput(template, field="text", limit=limit, length=telegram_length(text))
    return text


def parse_buttons(items: Sequence[Mapping[str, object]]) -> list[BroadcastButton]:
    """Buttons from their JSON form (`{"label", "url"}` or `{"label", "flow_id"}`), or InvalidInput.
    Whether a flow is published is the service's check; this one needs no database."""
    if len(items) > MAX_BUTTONS:
        raise InvalidInput("A message can have at most {limit} buttons.", field="buttons", limit=MAX_BUTTONS)
    return [_button(item, number) for number, item in enumerate(items, 1)]


def buttons_json(buttons: Sequence[BroadcastButton]) -> list[dict[str, object]]:
    return [
        {"label": button.label, "url": button.url}
        if isinstance(button, LinkButton)
        else {"label": button.label, "flow_id": int(button.flow_id)}
        for button in buttons
    ]


def press_data(broadcast_id: BroadcastId, index: int) -> str:
    """The `callback_data` of the broadcast's button at `index` (a flow button)."""
    return f"{PRESS_PREFIX}:{broadcast_id}:{index}"


def parse_press_data(data: str) -> tuple[BroadcastId, int] | None:
    """The broadcast and button index a pressed button names; None for data that is not ours."""
    found = _PRESS.fullmatch(data)
    return None if found is None else (BroadcastId(int(found[1])), int(found[2]))


def _button(item: Mapping[str, object], number: int) -> BroadcastButton:
    label = item.get("label")
    label = label.strip() if isinstance(label, str) else ""
    if not 1 <= len(label) <= MAX_LABEL_LENGTH:
        raise InvalidInput(
            "Button {number}: the label must be 1 to {limit} characters.",
            field="buttons",
            number=number,
            limit=MAX_LABEL_LENGTH,
        )
    url, flow_id = item.get("url"), item.get("flow_id")
    if (url is None) == (flow_id is None):
        raise InvalidInput("Button {number}: give either a link or a flow to start.", field="buttons", number=number)
    if url is not None:
        return LinkButton(label, _checked_url(url, number))
    if isinstance(flow_id, bool) or not isinstance(flow_id, int | str) or not str(flow_id).isdigit():
        raise InvalidInput("Button {number}: choose a flow.", field="buttons", number=number)
    return FlowButton(label, FlowId(int(flow_id)))


def _checked_url(url: object, number: int) -> str:
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # an unbalanced [ in the host, a port that is not a number
        valid = False
    if not valid or len(text) > MAX_URL_LENGTH:
        raise InvalidInput(
            "Button {number}: the link must be a web address starting with http:// or https://.",
            field="buttons",
            number=number,
        )
    return text
