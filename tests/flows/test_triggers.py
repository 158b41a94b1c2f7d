"""Which trigger an occurrence sets off."""

import pytest

from flows.triggers import (
    ChatOpened,
    ChatOpenedTrigger,
    FirstMessageTrigger,
    KeywordTrigger,
    MessageArrived,
    Occurrence,
    TelegramStart,
    TelegramStartTrigger,
    Trigger,
    matching_trigger,
    read_telegram_start,
)

WELCOME = ChatOpenedTrigger()
FIRST = FirstMessageTrigger()
PRICE = KeywordTrigger(("price", "how much", "цена"))
PROMO = TelegramStartTrigger("promo")
ANY_START = TelegramStartTrigger()


@pytest.mark.parametrize(
    ("triggers", "occurrence", "expected"),
    [
        ((WELCOME, FIRST), ChatOpened(), WELCOME),
        ((WELCOME, FIRST), MessageArrived("hello", is_first=True), FIRST),
        ((WELCOME, FIRST), MessageArrived("hello", is_first=False), None),
        ((PRICE,), MessageArrived("What's the PRICE?", is_first=False), PRICE),
        ((PRICE,), MessageArrived("How   much is it", is_first=False), PRICE),
        ((PRICE,), MessageArrived("Какая цена?", is_first=False), PRICE),
        ((PRICE,), MessageArrived("priceless", is_first=False), None),
        ((PRICE,), MessageArrived("ценами", is_first=False), None),
        ((PRICE, FIRST), MessageArrived("price", is_first=True), PRICE),
        ((PROMO, ANY_START), TelegramStart("promo"), PROMO),
        ((PROMO, ANY_START), TelegramStart("other"), ANY_START),
        ((PROMO,), TelegramStart(None), None),
        ((WELCOME,), TelegramStart(None), None),
        ((), ChatOpened(), None),
    ],
)
def test_matching(triggers: tuple[Trigger, ...], occurrence: Occurrence, expected: Trigger | None) -> None:
    assert matching_trigger(triggers, occurrence) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", TelegramStart(None)),
        ("/start promo", TelegramStart("promo")),
        ("/start@FirstlineBot ref42", TelegramStart("ref42")),
        ("/starting", None),
        ("hello", None),
    ],
)
def test_reading_telegram_start(text: str, expected: TelegramStart | None) -> None:
    assert read_telegram_start(text) == expected
