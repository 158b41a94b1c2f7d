"""The bot's internal notes to operators (a handoff's summary, why it passed a dialog on), written
in the workspace's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.workspaces import workspace_locale
from conversations.bot_actions import note_for_operators
from core.i18n import bundled_catalogs, translator

if TYPE_CHECKING:
    from bots.runtime import Turn


async def note_to_operators(turn: Turn, template: str, **params: object) -> None:
    text = await in_workspace_language(turn, template, **params)
    await note_for_operators(turn.session, turn.conversation, text=text, at=turn.now)


async def in_workspace_language(turn: Turn, template: str, **params: object) -> str:
    translate = translator(bundled_catalogs(), await workspace_locale(turn.session, turn.conversation.workspace_id))
    return translate(template).format(**params)
