"""Buttons per channel: clickable where the channel has them, numbered lines elsewhere."""

from channels.base import ChannelKind
from channels.rendering import render_buttons

BUTTONS = (("p1.0", "Ask a question"), ("p1.1", "Talk to a person"))


def test_the_widget_and_telegram_keep_clickable_buttons() -> None:
    for channel in (ChannelKind.WEB, ChannelKind.TELEGRAM):
        assert render_buttons(channel, "How can we help?", BUTTONS) == ("How can we help?", BUTTONS)


def test_channels_without_buttons_get_numbered_lines_to_answer_with() -> None:
    text, kept = render_buttons(ChannelKind.WHATSAPP, "How can we help?", BUTTONS)
    assert text == "How can we help?\n\n1. Ask a question\n2. Talk to a person"
    assert kept == BUTTONS  # kept on the message so operators see what was offered


def test_a_message_without_buttons_is_unchanged() -> None:
    assert render_buttons(ChannelKind.WHATSAPP, "Hi", ()) == ("Hi", ())
