"""The operator inbox: one view of the dialogs (unassigned, mine, open, snoozed, closed) narrowed by
group, tag, channel and full-text search, a page at a time (keyset), and how many each view holds."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from accounts.actors import Actor
from accounts.roles import Permission
from channels.base import ChannelKind
from conversations.access import access_tag, access_visible_group, visible_to
from conversations.models import Contact, Conversation, ConversationTag, Message
from conversations.queries import summaries, summary_query
from core.errors import InvalidInput
from core.ids import ConversationId, GroupId, TagId

VIEWS = ("unassigned", "mine", "open", "snoozed", "closed")
PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 200
# Written as the GIN index ix_messages_search is, so that PostgreSQL can use it.
_SIMPLE: ColumnElement[str] = literal_column("'simple'::regconfig")


@dataclass(frozen=True)
class InboxFilter:
    """Narrowing shared by every view; `ungrouped` asks for dialogs of no group."""

    group_id: GroupId | None = None
    ungrouped: bool = False
    tag_id: TagId | None = None
    channel: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row's sort time (None sorts as the doc's order puts it) and id."""

    at: datetime | None
    id: ConversationId


@dataclass(frozen=True)
class InboxPage:
    conversations: list[dict[str, object]]
    next: str | None


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise InvalidInput("view must be one of: unassigned, mine, open, snoozed, closed.", field="view")
    return view


def check_filter(*, group: str | None, tag: str | None, channel: str | None, search: str | None) -> InboxFilter:
    """The filter from the query string's text (`group` is an id or `none`)."""
    if group is not None and group != "none" and not group.isdigit():
        raise InvalidInput("group must be a group id or none.", field="group")
    if tag is not None and not tag.isdigit():
        raise InvalidInput("tag must be a tag id.", field="tag")
    if channel is not None and channel not in {kind.value for kind in ChannelKind}:
        raise InvalidInput("channel must be one of: web, telegram, whatsapp.", field="channel")
    cleaned = None if search is None else " ".join(search.split())
    if cleaned is not None and len(cleaned) > MAX_SEARCH_LENGTH:
        raise InvalidInput("Search for at most {max} characters.", field="q", max=MAX_SEARCH_LENGTH)
    return InboxFilter(
        group_id=None if group is None or group == "none" else GroupId(int(group)),
        ungrouped=group == "none",
        tag_id=None if tag is None else TagId(int(tag)),
        channel=channel,
        search=cleaned or None,
    )


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{'' if cursor.at is None else cursor.at.isoformat()}|{cursor.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        at, _, number = raw.partition("|")
        moment = None if at == "" else datetime.fromisoformat(at)
        if moment is not None and moment.tzinfo is None:
            raise ValueError("naive time")
        return Cursor(at=moment, id=ConversationId(int(number)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("This page cursor is not valid; start again from the first page.", field="before") from None


async def inbox_page(
    session: AsyncSession, actor: Actor, view: str, filters: InboxFilter, *, before: str | None = None
) -> InboxPage:
    """One page of `view`: newest activity first; unassigned dialogs longest waiting first."""
    actor.require(Permission.WORK_INBOX)
    conditions = [*await _conditions(session, actor, filters), _in_view(actor, check_view(view))]
    column = Conversation.queued_at if view == "unassigned" else Conversation.last_message_at
    ascending = view == "unassigned"
    if before is not None:
        conditions.append(_after(column, decode_cursor(before), ascending=ascending))
    # Ascending puts NULLs last and descending first, as PostgreSQL's indexes order them.
    order = (column.asc(), Conversation.id.asc()) if ascending else (column.desc(), Conversation.id.desc())
    query = summary_query().where(*conditions).order_by(*order).limit(PAGE_SIZE + 1)
    found = await summaries(session, query)
    page = found[:PAGE_SIZE]
    if len(found) <= PAGE_SIZE:
        return InboxPage(conversations=page, next=None)
    last = page[-1]
    moment = last["queued_at" if ascending else "last_message_at"]
    at = None if moment is None else datetime.fromisoformat(str(moment))
    return InboxPage(conversations=page, next=encode_cursor(Cursor(at=at, id=ConversationId(int(str(last["id"]))))))


async def inbox_counts(session: AsyncSession, actor: Actor, filters: InboxFilter) -> dict[str, int]:
    """How many dialogs each view holds under the same filters, in one query."""
    actor.require(Permission.WORK_INBOX)
    conditions = await _conditions(session, actor, filters)
    counts = [func.count().filter(_in_view(actor, view)).label(view) for view in VIEWS]
    row = (await session.execute(select(*counts).select_from(Conversation).where(*conditions))).one()
    return {view: int(row._mapping[view]) for view in VIEWS}


def _in_view(actor: Actor, view: str) -> ColumnElement[bool]:
    if view == "unassigned":
        return and_(Conversation.status == "open", Conversation.owner == "queue")
    if view == "mine":
        if actor.operator_id is None:  # an API key acts for no one
            return false()
        return and_(Conversation.status == "open", Conversation.assignee_id == actor.operator_id)
    return Conversation.status == view


async def _conditions(session: AsyncSession, actor: Actor, filters: InboxFilter) -> list[ColumnElement[bool]]:
    """The workspace, visibility and filters; a group or tag the actor may not use is NotFound."""
    conditions = [Conversation.workspace_id == actor.workspace_id, visible_to(actor)]
    if filters.group_id is not None:
        group = await access_visible_group(session, actor, filters.group_id)
        conditions.append(Conversation.group_id == group.id)
    if filters.ungrouped:
        conditions.append(Conversation.group_id.is_(None))
    if filters.tag_id is not None:
        tag = await access_tag(session, actor, filters.tag_id)
        tagged = select(ConversationTag.tag_id).where(
            ConversationTag.conversation_id == Conversation.id, ConversationTag.tag_id == tag.id
        )
        conditions.append(tagged.correlate(Conversation).exists())
    if filters.channel is not None:
        conditions.append(Conversation.channel == filters.channel)
    if filters.search is not None:
        conditions.append(_matches(filters.search))
    return conditions


def _matches(search: str) -> ColumnElement[bool]:
    """A message's words (full-text, any language: the `simple` configuration) or the contact's
    name, email or phone (substring)."""
    words = func.to_tsvector(_SIMPLE, Message.body).op("@@")(func.plainto_tsquery(_SIMPLE, search))
    in_messages = select(Message.id).where(Message.conversation_id == Conversation.id, words)
    pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    person = or_(*(column.ilike(pattern, escape="\\") for column in (Contact.name, Contact.email, Contact.phone)))
    # Correlated to the conversation only: the contact is looked up here even where the list joins it.
    in_contact = select(Contact.id).where(Contact.id == Conversation.contact_id, person)
    return or_(in_messages.correlate(Conversation).exists(), in_contact.correlate(Conversation).exists())


def _after(column: InstrumentedAttribute[datetime | None], cursor: Cursor, *, ascending: bool) -> ColumnElement[bool]:
    """Rows after `cursor` in (column, id) order, NULL times last when ascending, first when not."""
    if cursor.at is None:
        if ascending:
            return and_(column.is_(None), Conversation.id > cursor.id)
        return or_(column.is_not(None), Conversation.id < cursor.id)
    key, at = tuple_(column, Conversation.id), tuple_(cursor.at, cursor.id)
    return or_(key > at, column.is_(None)) if ascending else key < at
