"""Canned replies: prepared answers an operator inserts by typing `/shortcut`. Shared ones (no owner)
are the workspace's and only admins change them; personal ones belong to one operator."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from conversations.access import access_canned_reply
from conversations.limits import MAX_TEXT_LENGTH
from conversations.models import CannedReply
from core.db import unique_or
from core.errors import Conflict, InvalidInput
from core.ids import CannedReplyId, OperatorId

MAX_SHORTCUT_LENGTH = 40
MAX_TITLE_LENGTH = 120
MAX_PREFIX_LENGTH = 120
# Letters of any alphabet, digits, "-" and "_": what follows "/" in the reply box.
_SHORTCUT = re.compile(r"^[\w-]{1,40}$")


@dataclass(frozen=True)
class CannedReplyView:
    id: CannedReplyId
    shortcut: str
    title: str
    body: str
    shared: bool

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "shortcut": self.shortcut, "title": self.title, "body": self.body, "shared": self.shared}


@dataclass(frozen=True)
class CannedReplyFields:
    """What an operator writes; on an update, None leaves that field as it is."""

    shortcut: str | None = None
    title: str | None = None
    body: str | None = None
    shared: bool | None = None


def check_shortcut(shortcut: str) -> str:
    cleaned = shortcut.strip().removeprefix("/")
    if not _SHORTCUT.match(cleaned):
        raise InvalidInput(
            "A shortcut is 1-{max} letters, digits, dashes or underscores.", field="shortcut", max=MAX_SHORTCUT_LENGTH
        )
    return cleaned


def check_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not 1 <= len(cleaned) <= MAX_TITLE_LENGTH:
        raise InvalidInput("A title must be 1-{max} characters long.", field="title", max=MAX_TITLE_LENGTH)
    return cleaned


def check_body(body: str) -> str:
    cleaned = body.strip()
    if not 1 <= len(cleaned) <= MAX_TEXT_LENGTH:
        raise InvalidInput("The reply text must be 1-{max} characters long.", field="body", max=MAX_TEXT_LENGTH)
    return cleaned


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_canned_replies(
    session: AsyncSession, actor: Actor, *, prefix: str | None = None
) -> list[CannedReplyView]:
    """The shared replies and the actor's own, by shortcut; `prefix` matches a shortcut or title start."""
    actor.require(Permission.WORK_INBOX)
    mine: ColumnElement[bool] = CannedReply.owner_id.is_(None)
    if actor.operator_id is not None:
        mine = or_(mine, CannedReply.owner_id == actor.operator_id)
    query = (
        select(CannedReply)
        .where(CannedReply.workspace_id == actor.workspace_id, mine)
        .order_by(func.lower(CannedReply.shortcut), CannedReply.owner_id.nulls_first(), CannedReply.id)
    )
    start = (prefix or "").strip().removeprefix("/")[:MAX_PREFIX_LENGTH]
    if start:
        pattern = _escape_like(start.lower()) + "%"
        query = query.where(
            or_(
                func.lower(CannedReply.shortcut).like(pattern, escape="\\"),
                func.lower(CannedReply.title).like(pattern, escape="\\"),
            )
        )
    return [_view(reply) for reply in (await session.execute(query)).scalars()]


async def create_canned_reply(session: AsyncSession, actor: Actor, fields: CannedReplyFields) -> CannedReplyView:
    actor.require(Permission.WORK_INBOX)
    if fields.shortcut is None or fields.title is None or fields.body is None:
        raise InvalidInput("A canned reply needs a shortcut, a title and a text.")
    reply = CannedReply(
        workspace_id=actor.workspace_id,
        owner_id=_owner_for(actor, shared=bool(fields.shared)),
        shortcut=check_shortcut(fields.shortcut),
        title=check_title(fields.title),
        body=check_body(fields.body),
    )
    async with unique_or(session, _shortcut_taken(reply.shortcut)):
        session.add(reply)
    return _view(reply)


async def update_canned_reply(
    session: AsyncSession, actor: Actor, reply_id: CannedReplyId, fields: CannedReplyFields
) -> CannedReplyView:
    """Own replies by their owner; shared ones (or making one shared) by admins."""
    actor.require(Permission.WORK_INBOX)
    reply = await _access_to_change(session, actor, reply_id)
    owner_id = reply.owner_id if fields.shared is None else _owner_for(actor, shared=fields.shared)
    shortcut = reply.shortcut if fields.shortcut is None else check_shortcut(fields.shortcut)
    title = reply.title if fields.title is None else check_title(fields.title)
    body = reply.body if fields.body is None else check_body(fields.body)
    async with unique_or(session, _shortcut_taken(shortcut)):
        reply.owner_id, reply.shortcut, reply.title, reply.body = owner_id, shortcut, title, body
        reply.updated_at = func.now()
    await session.refresh(reply, ["updated_at"])
    return _view(reply)


async def delete_canned_reply(session: AsyncSession, actor: Actor, reply_id: CannedReplyId) -> None:
    actor.require(Permission.WORK_INBOX)
    reply = await _access_to_change(session, actor, reply_id)
    await session.delete(reply)
    await session.flush()


async def _access_to_change(session: AsyncSession, actor: Actor, reply_id: CannedReplyId) -> CannedReply:
    reply = await access_canned_reply(session, actor, reply_id)
    if reply.owner_id is None:
        actor.require(Permission.MANAGE_WORKSPACE)
    return reply


def _owner_for(actor: Actor, *, shared: bool) -> OperatorId | None:
    if shared:
        actor.require(Permission.MANAGE_WORKSPACE)
        return None
    if actor.operator_id is None:
        raise InvalidInput("An API key acts for no one: it can only manage shared canned replies.", field="shared")
    return actor.operator_id


def _shortcut_taken(shortcut: str) -> Conflict:
    return Conflict("A canned reply with the shortcut {shortcut} already exists.", field="shortcut", shortcut=shortcut)


def _view(reply: CannedReply) -> CannedReplyView:
    return CannedReplyView(
        id=reply.id, shortcut=reply.shortcut, title=reply.title, body=reply.body, shared=reply.owner_id is None
    )
