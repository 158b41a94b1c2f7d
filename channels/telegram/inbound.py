"""One Telegram update, handled in the caller's transaction (the usual one, a subscriber's text
into their open dialog, in one statement: `append_quickly`): a redelivered `update_id` is skipped;
a message or a button press goes through the conversations' inbound pipeline (so the bot answers it
and operators see it, like web chat); /start and every later message keep the person subscribed;
blocking the bot unsubscribes them and unblocking subscribes them again (`my_chat_member`).

Files a person sent are downloaded before the transaction (`channels.telegram.files`) and come in
as `Downloaded` pieces; they are stored here with the message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import cast, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.dml import Update as UpdateStatement

from channels.base import AttachmentRef, ChannelKind, InboundMessage
from channels.telegram.mapping import CallbackButton, button_for_data
from channels.telegram.models import SUBSCRIBED, UNSUBSCRIBED, TelegramBot, TelegramSubscriber
from channels.telegram.updates import ButtonPress, ChatMessage, MembershipChange, TelegramFile, TelegramUser
from channels.telegram.updates import TelegramUpdate as Update
from conversations.attachments import store_attachment
from conversations.contacts import contact_for_address
from conversations.inbound import Received, receive_message
from conversations.inbound_append import append_statement, append_to_open_conversation
from conversations.limits import MAX_TEXT_LENGTH, check_message_content
from conversations.models import Contact, Message, OutboundDelivery
from core.errors import DomainError
from core.files import FileStore
from core.ids import ContactId, TelegramBotId

EDIT_MARK = "✏️ "

# The subscriber's upsert, built once (an ORM upsert is rebuilt on every call: measurable at
# hundreds of updates a second). The first start's deep-link payload is kept; xmax is 0 on an
# inserted row. A row with nothing new is left alone (the last activity to the minute, as a
# contact's `last_seen_at`): no new row version per message.
_SUBSCRIBER_COLUMNS = """telegram_subscribers AS s (workspace_id, bot_id, chat_id, contact_id, status, start_payload,
    username, first_name, language_code, subscribed_at, last_activity_at)"""
_SUBSCRIBER_UPSERT = """ON CONFLICT (bot_id, chat_id) DO UPDATE SET
    status = 'subscribed', unsubscribed_reason = NULL, unsubscribed_at = NULL,
    subscribed_at = CASE WHEN s.status = 'unsubscribed' THEN EXCLUDED.subscribed_at ELSE s.subscribed_at END,
    start_payload = COALESCE(s.start_payload, EXCLUDED.start_payload),
    username = EXCLUDED.username, first_name = EXCLUDED.first_name, language_code = EXCLUDED.language_code,
    last_activity_at = EXCLUDED.last_activity_at
WHERE s.status <> 'subscribed' OR s.last_activity_at < EXCLUDED.last_activity_at - interval '1 minute'
    OR (s.start_payload IS NULL AND EXCLUDED.start_payload IS NOT NULL)
    OR (s.username, s.first_name, s.language_code)
        IS DISTINCT FROM (EXCLUDED.username, EXCLUDED.first_name, EXCLUDED.language_code)
RETURNING xmax = 0 AS new_subscriber"""
_SUBSCRIBE = text(f"""
INSERT INTO {_SUBSCRIBER_COLUMNS}
VALUES (:workspace_id, :bot_id, :chat_id, :contact_id, 'subscribed', :start_payload, :username, :first_name,
        :language_code, :at, :at)
{_SUBSCRIBER_UPSERT}
""")  # noqa: S608 (no input: fixed SQL pieces)
# An update is taken once, and only while its bot is connected (a webhook edge may know the bot
# from a cache: a disconnect still counts at once).
_BOT_CONNECTED = "EXISTS (SELECT 1 FROM telegram_bots WHERE id = :bot_id AND disconnected_at IS NULL)"
_FIRST_TIME = text(f"""
INSERT INTO telegram_updates (bot_id, update_id, received_at)
SELECT :bot_id, :update_id, :at WHERE {_BOT_CONNECTED}
ON CONFLICT DO NOTHING RETURNING update_id
""")
# The usual update — a subscriber writing into their open dialog — in one statement: the message
# appended while the bot is connected, its update id recorded, the subscriber kept subscribed. A
# redelivery finds the message's key taken, and nothing is written.
_APPEND_AND_SUBSCRIBE = append_statement(
    guard=_BOT_CONNECTED,
    ctes=f""", recorded AS (
        INSERT INTO telegram_updates (bot_id, update_id, received_at) SELECT :bot_id, :update_id, :at FROM stored
        ON CONFLICT DO NOTHING
    ), subscribed AS (
        INSERT INTO {_SUBSCRIBER_COLUMNS}
        SELECT :workspace_id, :bot_id, :chat_id, locked.contact_id, 'subscribed', NULL, :username, :first_name,
            :language_code, :at, :at
        FROM stored JOIN locked ON true
        {_SUBSCRIBER_UPSERT}
    )""",  # noqa: S608 (no input: fixed SQL pieces)
    columns=", (SELECT new_subscriber FROM subscribed) AS new_subscriber",
)


@dataclass(frozen=True)
class Downloaded:
    file: TelegramFile
    data: bytes | None  # None: too large or the download failed; the message then names the file


@dataclass(frozen=True)
class Handled:
    received: Received | None = None  # what was stored in a dialog (the bot may answer it)
    duplicate: bool = False  # this update_id was handled before, or the bot is disconnected now


def telegram_address(bot_id: TelegramBotId, chat_id: int) -> str:
    """A contact's address on Telegram names the bot too: one person may talk to two of our bots."""
    return f"{bot_id}:{chat_id}"


def chat_of(address: str) -> tuple[TelegramBotId, int]:
    bot_id, _, chat_id = address.partition(":")
    return TelegramBotId(int(bot_id)), int(chat_id)


def message_reference(chat_id: int, message_id: int) -> str:
    """How a sent message is remembered (the delivery's external id): a button press names it."""
    return f"{chat_id}:{message_id}"


# A press of a button that is not on a message of a dialog (a broadcast's): the button it names, if any.
OtherButtons = Callable[[AsyncSession, TelegramBot, str], Awaitable[CallbackButton | None]]


async def handle_update(
    session: AsyncSession,
    bot: TelegramBot,
    update: Update,
    *,
    at: datetime,
    store: FileStore,
    files: Sequence[Downloaded] = (),
    other_buttons: OtherButtons | None = None,
) -> Handled:
    if update.update_id is None or not await _first_time(session, bot.id, update.update_id, at):
        return Handled(duplicate=update.update_id is not None)
    match update:
        case ChatMessage():
            return Handled(await _message(session, bot, update, at=at, store=store, files=files))
        case ButtonPress():
            return Handled(await _button_press(session, bot, update, at=at, other_buttons=other_buttons))
        case MembershipChange():
            await _membership(session, bot, update, at=at)
    return Handled()


async def _first_time(session: AsyncSession, bot_id: TelegramBotId, update_id: int, at: datetime) -> bool:
    found = await session.scalar(_FIRST_TIME, {"bot_id": bot_id, "update_id": update_id, "at": at})
    return found is not None


async def append_quickly(
    connection: AsyncConnection, bot: TelegramBot, update: Update, *, files: Sequence[Downloaded], at: datetime
) -> Received | None:
    """The usual update — a subscriber's text into their open dialog — in one statement
    (`_APPEND_AND_SUBSCRIBE`), on the caller's connection (one statement needs no transaction of
    its own: `Database.autocommit`). None when it takes nothing — another kind of update, files, a
    deep link or a phone number to note, a new person, no open dialog, a redelivery, a disconnected
    bot — and `handle_update` decides."""
    if not isinstance(update, ChatMessage) or update.update_id is None or files or update.shared_phone is not None:
        return None
    if update.start is not None and update.start.payload is not None:
        return None
    inbound = _inbound(bot, update, at=at, refs=(), missing=(), payload=None)
    params = {"bot_id": bot.id, "update_id": update.update_id, "chat_id": update.chat_id, **_sender(update)}
    appended = await append_to_open_conversation(
        connection,
        inbound,
        check_message_content(inbound.text, 0),
        statement=_APPEND_AND_SUBSCRIBE,
        params=params,
    )
    if appended is None:
        return None
    if appended.more["new_subscriber"]:  # rare: the person's dialog outlived their subscriber row
        await connection.execute(_note_profile_statement(appended.contact_id, update.sender))
    view = appended.message
    return Received(view, view.conversation_id, appended.contact_id, duplicate=False, owner=appended.owner)


async def _message(
    session: AsyncSession,
    bot: TelegramBot,
    message: ChatMessage,
    *,
    at: datetime,
    store: FileStore,
    files: Sequence[Downloaded],
) -> Received:
    """Through the conversations' inbound pipeline, with the files stored, the deep link's payload
    noted on the contact and a shared phone number kept; the contact's profile is filled from
    Telegram when they first subscribe."""
    address = telegram_address(bot.id, message.chat_id)
    refs: list[AttachmentRef] = []
    missing: list[str] = []
    if files:  # stored under the contact, found (or made) first
        contact = await contact_for_address(
            session, workspace_id=bot.workspace_id, channel=ChannelKind.TELEGRAM, address=address, lock=True
        )
        for piece in files:
            stored = await _stored(session, store, bot, contact.id, piece)
            refs.append(stored) if stored is not None else missing.append(f"📎 {piece.file.name}")
    payload = None if message.start is None else message.start.payload
    received = await receive_message(
        session, _inbound(bot, message, at=at, refs=refs, missing=missing, payload=payload)
    )
    if await _subscribe(session, bot, message.chat_id, received.contact_id, message, at=at, payload=payload):
        await _note_profile(session, received.contact_id, message.sender)
    if message.shared_phone:
        await session.execute(
            update(Contact).where(Contact.id == received.contact_id).values(phone=message.shared_phone[:40])
        )
    return received


def _inbound(
    bot: TelegramBot,
    message: ChatMessage,
    *,
    at: datetime,
    refs: Sequence[AttachmentRef],
    missing: Sequence[str],
    payload: str | None,
) -> InboundMessage:
    """The message for the inbound pipeline: keyed by its chat and message id (an edit by when it
    was edited), its text cut to what a dialog keeps (Telegram allows a little more)."""
    address = telegram_address(bot.id, message.chat_id)
    key = f"{address}:{message.message_id}"
    if message.edited:
        key += f":edited:{int(message.sent_at.timestamp())}"
    text = "\n".join([EDIT_MARK + message.text if message.edited else message.text, *missing]).strip()
    if len(text) > MAX_TEXT_LENGTH:
        text = text[: MAX_TEXT_LENGTH - 1] + "…"
    return InboundMessage(
        workspace_id=bot.workspace_id,
        channel=ChannelKind.TELEGRAM,
        address=address,
        channel_key=key,
        text=text,
        occurred_at=at,
        attachments=tuple(refs),
        contact_properties={"telegram_start": payload} if payload else {},
    )


async def _stored(
    session: AsyncSession, store: FileStore, bot: TelegramBot, contact_id: ContactId, piece: Downloaded
) -> AttachmentRef | None:
    """The file kept with the message; None for one we could not download or do not accept (a voice
    note, an archive): the message then names it, and nothing else is lost."""
    if piece.data is None:
        return None
    try:
        attachment = await store_attachment(
            session, store, workspace_id=bot.workspace_id, contact_id=contact_id, name=piece.file.name, data=piece.data
        )
    except DomainError:
        return None
    return AttachmentRef(attachment.id, attachment.name, attachment.content_type, attachment.size)


async def _note_profile(session: AsyncSession, contact_id: ContactId, sender: TelegramUser) -> None:
    await session.execute(_note_profile_statement(contact_id, sender))


def _note_profile_statement(contact_id: ContactId, sender: TelegramUser) -> UpdateStatement:
    """What Telegram tells about a new subscriber fills what the contact does not know yet."""
    username = {"telegram_username": sender.username} if sender.username else {}
    return (
        update(Contact)
        .where(Contact.id == contact_id)
        .values(
            name=func.coalesce(Contact.name, sender.display_name[:200]),
            language=func.coalesce(Contact.language, (sender.language_code or "")[:16] or None),
            properties=Contact.properties.op("||")(cast(username, JSONB)),
        )
    )


async def _subscribe(
    session: AsyncSession,
    bot: TelegramBot,
    chat_id: int,
    contact_id: ContactId,
    message: ChatMessage | ButtonPress,
    *,
    at: datetime,
    payload: str | None,
) -> bool:
    """Whoever writes to the bot is subscribed (again, if they had blocked it and came back); True
    when they are new here."""
    params = {
        "workspace_id": bot.workspace_id,
        "bot_id": bot.id,
        "chat_id": chat_id,
        "contact_id": contact_id,
        "start_payload": None if payload is None else payload[:64],
        "at": at,
        **_sender(message),
    }
    return bool(await session.scalar(_SUBSCRIBE, params))


def _sender(message: ChatMessage | ButtonPress) -> dict[str, object]:
    sender = message.sender
    return {"username": sender.username, "first_name": sender.first_name[:128], "language_code": sender.language_code}


async def _button_press(
    session: AsyncSession, bot: TelegramBot, press: ButtonPress, *, at: datetime, other_buttons: OtherButtons | None
) -> Received | None:
    """A press of one of our messages' buttons, as the visitor's choice; a press naming no button
    of that message (an old keyboard, forged data) is only answered, not stored."""
    if press.message_id is None:
        return None
    reference = message_reference(press.chat_id, press.message_id)
    buttons = await session.scalar(
        select(Message.buttons)
        .join(OutboundDelivery, OutboundDelivery.message_id == Message.id)
        .where(
            OutboundDelivery.workspace_id == bot.workspace_id,
            OutboundDelivery.channel == ChannelKind.TELEGRAM,
            OutboundDelivery.external_id == reference,
        )
        .limit(1)
    )
    choices = [CallbackButton(button["id"], button["label"]) for button in buttons or ()]
    button = button_for_data(press.data, choices)
    if button is None and other_buttons is not None:
        button = await other_buttons(session, bot, press.data)
    if button is None:
        return None
    address = telegram_address(bot.id, press.chat_id)
    received = await receive_message(
        session,
        InboundMessage(
            workspace_id=bot.workspace_id,
            channel=ChannelKind.TELEGRAM,
            address=address,
            channel_key=f"{address}:press:{press.callback_query_id}",
            text=button.label,
            occurred_at=at,
            button_id=button.id,
        ),
    )
    await _subscribe(session, bot, press.chat_id, received.contact_id, press, at=at, payload=None)
    return received


async def _membership(session: AsyncSession, bot: TelegramBot, change: MembershipChange, *, at: datetime) -> None:
    subscriber = TelegramSubscriber.__table__.c
    if change.blocked:
        values = {"status": UNSUBSCRIBED, "unsubscribed_reason": "blocked", "unsubscribed_at": at}
    else:
        values = {"status": SUBSCRIBED, "unsubscribed_reason": None, "unsubscribed_at": None, "subscribed_at": at}
    await session.execute(
        update(TelegramSubscriber)
        .where(subscriber.bot_id == bot.id, subscriber.chat_id == change.chat_id)
        .values(**values, last_activity_at=at)
    )


async def mark_unreachable(
    session: AsyncSession, bot_id: TelegramBotId, chat_id: int, *, reason: str, at: datetime
) -> None:
    """A send found the person blocked the bot, deleted their account, or the chat is gone."""
    await session.execute(
        update(TelegramSubscriber)
        .where(
            TelegramSubscriber.bot_id == bot_id,
            TelegramSubscriber.chat_id == chat_id,
            TelegramSubscriber.status == SUBSCRIBED,
        )
        .values(status=UNSUBSCRIBED, unsubscribed_reason=reason, unsubscribed_at=at)
    )
