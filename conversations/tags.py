"""Tags operators put on dialogs: the workspace's list (admins create, rename, recolour, delete) and
tagging or untagging one conversation, which the inbox hears of live."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from conversations.access import access_conversation, access_tag
from conversations.events import conversation_routed
from conversations.models import Conversation, ConversationTag, Tag
from core.db import unique_or
from core.errors import Conflict, InvalidInput
from core.ids import ConversationId, TagId
from core.realtime import publish

MAX_NAME_LENGTH = 40
DEFAULT_COLOR = "#6b7280"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

TagJson = dict[str, object]


@dataclass(frozen=True)
class TagView:
    id: TagId
    name: str
    color: str
    conversations: int

    def as_json(self) -> TagJson:
        return {"id": self.id, "name": self.name, "color": self.color, "conversations": self.conversations}


def check_tag_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= MAX_NAME_LENGTH:
        raise InvalidInput("A tag name must be 1-{max} characters long.", field="name", max=MAX_NAME_LENGTH)
    return cleaned


def check_color(color: str) -> str:
    if not _COLOR.match(color):
        raise InvalidInput("Write the colour as #rrggbb, for example #6b7280.", field="color")
    return color.lower()


def _name_taken(name: str) -> Conflict:
    return Conflict("A tag named {name} already exists.", field="name", name=name)


async def list_tags(session: AsyncSession, actor: Actor) -> list[TagView]:
    """Every tag of the workspace, by name, with how many conversations carry it."""
    actor.require(Permission.WORK_INBOX)
    query = (
        select(Tag, func.count(ConversationTag.conversation_id))
        .outerjoin(ConversationTag, ConversationTag.tag_id == Tag.id)
        .where(Tag.workspace_id == actor.workspace_id)
        .group_by(Tag.id)
        .order_by(func.lower(Tag.name), Tag.id)
    )
    return [_view(tag, count) for tag, count in await session.execute(query)]


async def create_tag(session: AsyncSession, actor: Actor, name: str, *, color: str | None = None) -> TagView:
    actor.require(Permission.MANAGE_WORKSPACE)
    cleaned = check_tag_name(name)
    tag = Tag(
        workspace_id=actor.workspace_id, name=cleaned, color=DEFAULT_COLOR if color is None else check_color(color)
    )
    async with unique_or(session, _name_taken(cleaned)):
        session.add(tag)
    return _view(tag, 0)


async def update_tag(
    session: AsyncSession, actor: Actor, tag_id: TagId, *, name: str | None = None, color: str | None = None
) -> TagView:
    """Rename and/or recolour; None leaves that part as it is."""
    actor.require(Permission.MANAGE_WORKSPACE)
    tag = await access_tag(session, actor, tag_id)
    cleaned = None if name is None else check_tag_name(name)
    new_color = None if color is None else check_color(color)
    async with unique_or(session, _name_taken(cleaned or tag.name)):
        if cleaned is not None:
            tag.name = cleaned
        if new_color is not None:
            tag.color = new_color
    count = await session.scalar(select(func.count()).where(ConversationTag.tag_id == tag.id))
    return _view(tag, count or 0)


async def delete_tag(session: AsyncSession, actor: Actor, tag_id: TagId) -> None:
    """The tag goes, and with it from every conversation that carried it."""
    actor.require(Permission.MANAGE_WORKSPACE)
    tag = await access_tag(session, actor, tag_id)
    await session.delete(tag)
    await session.flush()


async def tag_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, tag_id: TagId
) -> list[TagJson]:
    """Put the tag on the conversation (again is a no-op); its tags afterwards."""
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id)
    tag = await access_tag(session, actor, tag_id)
    added = await session.execute(
        insert(ConversationTag)
        .values(conversation_id=conversation.id, tag_id=tag.id, workspace_id=actor.workspace_id)
        .on_conflict_do_nothing()
        .returning(ConversationTag.tag_id)
    )
    if added.scalar_one_or_none() is not None:
        await _announce(session, conversation)
    return (await tags_of(session, [conversation.id]))[conversation.id]


async def untag_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, tag_id: TagId
) -> list[TagJson]:
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id)
    tag = await access_tag(session, actor, tag_id)
    removed = await session.execute(
        delete(ConversationTag)
        .where(ConversationTag.conversation_id == conversation.id, ConversationTag.tag_id == tag.id)
        .returning(ConversationTag.tag_id)
    )
    if removed.scalar_one_or_none() is not None:
        await _announce(session, conversation)
    return (await tags_of(session, [conversation.id]))[conversation.id]


async def tags_of(
    session: AsyncSession, conversation_ids: Sequence[ConversationId]
) -> dict[ConversationId, list[TagJson]]:
    """Each conversation's tags (`id`, `name`, `color`) by name; the caller has access to the ids."""
    found: dict[ConversationId, list[TagJson]] = {conversation_id: [] for conversation_id in conversation_ids}
    if not conversation_ids:
        return found
    query = (
        select(ConversationTag.conversation_id, Tag.id, Tag.name, Tag.color)
        .join(Tag, Tag.id == ConversationTag.tag_id)
        .where(ConversationTag.conversation_id.in_(conversation_ids))
        .order_by(func.lower(Tag.name), Tag.id)
    )
    for conversation_id, tag_id, name, color in await session.execute(query):
        found[conversation_id].append({"id": tag_id, "name": name, "color": color})
    return found


def _view(tag: Tag, count: int) -> TagView:
    return TagView(id=tag.id, name=tag.name, color=tag.color, conversations=count)


async def _announce(session: AsyncSession, conversation: Conversation) -> None:
    event = conversation_routed(
        conversation.workspace_id,
        conversation.id,
        status=conversation.status,
        owner=conversation.owner,
        assignee_id=conversation.assignee_id,
        group_id=conversation.group_id,
    )
    await publish(session, event)
