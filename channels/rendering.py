"""Rich bot content downgraded to what a channel can show (pure). Buttons are clickable where the
channel has them (the widget, Telegram's inline keyboards, WhatsApp's reply buttons); elsewhere
they become numbered lines, and the visitor answers with the number or the label."""

from __future__ import annotations

from collections.abc import Sequence

from channels.base import ChannelKind

CHANNELS_WITH_BUTTONS = frozenset({ChannelKind.WEB, ChannelKind.TELEGRAM})


def render_buttons(
    channel: ChannelKind, text: str, buttons: Sequence[tuple[str, str]]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The message text and the buttons to store with it: (id, label) pairs. Without clickable
    buttons the labels are numbered under the text; the pairs are kept so the operator sees them."""
    if not buttons or channel in CHANNELS_WITH_BUTTONS:
        return text, tuple(buttons)
    lines = [f"{number}. {label}" for number, (_, label) in enumerate(buttons, start=1)]
    return "\n".join([text, "", *lines]) if text else "\n".join(lines), tuple(buttons)
