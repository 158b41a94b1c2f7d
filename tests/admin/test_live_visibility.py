"""The operators' live socket keeps to what each operator may see: where the workspace restricts
operators to their groups' dialogs, an operator hears nothing about another group's dialog (its
messages, typing, read receipts, routing) until it comes to their group or to them; admins, and
everyone in a workspace that does not restrict, hear everything (docs/inbox-api.md, live events)."""

import asyncio
import itertools
from dataclasses import dataclass

from aiohttp import ClientWebSocketResponse
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.api_keys import issue_api_key
from accounts.models import Workspace
from accounts.roles import Role
from conversations.events import message_status_changed, presence_changed, read_by_visitor, visitor_typing
from core.db import Database
from core.ids import ConversationId, MessageId, OperatorId
from core.realtime import publish
from tests.conversations.inbox_data import make_conversation, make_group, restrict_to_groups
from tests.factories import Client, log_in, make_operator, make_workspace

_markers = itertools.count(900_000)


@dataclass(frozen=True)
class Acme:
    workspace: Workspace
    admin_headers: dict[str, str]
    bob: OperatorId
    support: int
    sales: int
    support_dialog: ConversationId
    sales_dialog: ConversationId
    loose_dialog: ConversationId  # of no group


async def acme(db: Database, *, restricted: bool) -> Acme:
    """Bob is in Support, Carol in Sales; an admin API key acts for the tests; three dialogs with the bot."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        key = await issue_api_key(tx.session, workspace_id=workspace.id, name="test", role=Role.ADMIN, created_by=None)
        bob = await make_operator(tx.session, workspace=workspace, email="bob@acme.test")
        carol = await make_operator(tx.session, workspace=workspace, email="carol@acme.test")
        support = await make_group(tx.session, workspace, "Support", members=(bob.id,))
        sales = await make_group(tx.session, workspace, "Sales", members=(carol.id,))
        dialogs = [
            await make_conversation(tx.session, workspace.id, owner="bot", group_id=group)
            for group in (support.id, sales.id, None)
        ]
        if restricted:
            await restrict_to_groups(tx.session, workspace)
    return Acme(
        workspace,
        {"Authorization": f"Bearer {key.key}"},
        bob.id,
        support.id,
        sales.id,
        *(dialog.id for dialog in dialogs),
    )


async def bobs_socket(client: Client) -> ClientWebSocketResponse:
    await log_in(client, "bob@acme.test")
    return await client.ws_connect("/api/v1/socket?workspace=acme")


async def note(client: Client, team: Acme, conversation_id: ConversationId, text: str) -> None:
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/notes", json={"text": text}, headers=team.admin_headers
    )
    assert response.status in (200, 201), await response.text()


async def transfer(client: Client, team: Acme, conversation_id: ConversationId, **target: int) -> None:
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/transfer", json=target, headers=team.admin_headers
    )
    assert response.status == 200, await response.text()


async def heard(db: Database, team: Acme, *sockets: ClientWebSocketResponse) -> list[list[dict[str, object]]]:
    """What each socket received until now: a marker event (heard by all) is published and awaited;
    the realtime hub delivers events in order, so whatever came before it has arrived."""
    marker = next(_markers)
    async with db.transaction() as tx:
        await publish(tx.session, presence_changed(team.workspace.id, OperatorId(marker), "away"))
    received = []
    for socket in sockets:
        frames: list[dict[str, object]] = []
        async with asyncio.timeout(10):
            while True:
                frame = await socket.receive_json()
                if frame["type"] == "presence" and frame["operator_id"] == marker:
                    break
                frames.append(frame)
        received.append(frames)
    return received


def about(frames: list[dict[str, object]], conversation_id: ConversationId) -> list[dict[str, object]]:
    return [frame for frame in frames if frame.get("conversation_id") == conversation_id]


def notes_in(frames: list[dict[str, object]]) -> list[str]:
    texts = []
    for frame in frames:
        message = frame.get("message")
        if frame["type"] == "message" and isinstance(message, dict):
            texts.append(str(message["text"]))
    return texts


async def test_an_operator_hears_only_the_dialogs_of_their_groups_and_admins_hear_all(
    live_client: Client, committed_db: Database
) -> None:
    team = await acme(committed_db, restricted=True)
    admin = await live_client.ws_connect("/api/v1/socket", headers=team.admin_headers)
    bob = await bobs_socket(live_client)
    await heard(committed_db, team, admin, bob)  # both sockets are subscribed

    await note(live_client, team, team.sales_dialog, "sales: a discount for Ann")
    await note(live_client, team, team.support_dialog, "support: the printer again")
    await note(live_client, team, team.loose_dialog, "nobody's: hello")
    async with committed_db.transaction() as tx:
        await publish(
            tx.session,
            visitor_typing(team.workspace.id, team.sales_dialog, True),
            read_by_visitor(team.workspace.id, team.sales_dialog, 1),
            message_status_changed(team.workspace.id, team.sales_dialog, MessageId(1), "sent", None),
            visitor_typing(team.workspace.id, team.support_dialog, True),
        )
    admin_frames, bob_frames = await heard(committed_db, team, admin, bob)
    assert notes_in(bob_frames) == ["support: the printer again", "nobody's: hello"]
    assert about(bob_frames, team.sales_dialog) == []
    assert [frame["type"] for frame in about(bob_frames, team.support_dialog)] == ["message", "typing"]
    assert notes_in(admin_frames) == ["sales: a discount for Ann", "support: the printer again", "nobody's: hello"]
    assert [frame["type"] for frame in about(admin_frames, team.sales_dialog)] == [
        "message",
        "typing",
        "read",
        "message_status",
    ]

    # The Sales dialog comes to Support's queue: Bob hears that, and from then on its messages.
    await transfer(live_client, team, team.sales_dialog, group_id=team.support)
    await note(live_client, team, team.sales_dialog, "sales, now support: still there?")
    (bob_frames,) = await heard(committed_db, team, bob)
    routed = about(bob_frames, team.sales_dialog)[0]
    assert (routed["type"], routed["owner"], routed["group_id"]) == ("conversation", "queue", team.support)
    assert notes_in(bob_frames) == ["sales, now support: still there?"]

    # The Support dialog goes to Sales: Bob hears that it left (his inbox lets it go), then nothing.
    await transfer(live_client, team, team.support_dialog, group_id=team.sales)
    await note(live_client, team, team.support_dialog, "support, now sales: a quote")
    (bob_frames,) = await heard(committed_db, team, bob)
    assert [(frame["type"], frame.get("group_id")) for frame in about(bob_frames, team.support_dialog)] == [
        ("conversation", team.sales)
    ]
    assert notes_in(bob_frames) == []

    # An admin gives that Sales dialog to Bob himself: it is his now, so he hears it again.
    await transfer(live_client, team, team.support_dialog, operator_id=team.bob)
    await note(live_client, team, team.support_dialog, "yours now, Bob")
    (bob_frames,) = await heard(committed_db, team, bob)
    assert [frame["type"] for frame in about(bob_frames, team.support_dialog)] == [
        "conversation",
        "assigned",
        "message",
    ]
    assert notes_in(bob_frames) == ["yours now, Bob"]
    await bob.close()
    await admin.close()


async def test_a_busy_dialog_is_looked_up_once_not_for_every_message(
    live_client: Client, committed_db: Database, committed_engine: AsyncEngine
) -> None:
    team = await acme(committed_db, restricted=True)
    bob = await bobs_socket(live_client)
    await heard(committed_db, team, bob)
    lookups: list[str] = []

    def count(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SELECT conversations.id, conversations.group_id, conversations.assignee_id"):
            lookups.append(statement)

    event.listen(committed_engine.sync_engine, "before_cursor_execute", count)
    try:
        for number in range(10):
            await note(live_client, team, team.support_dialog, f"support {number}")
            await note(live_client, team, team.sales_dialog, f"sales {number}")
        (bob_frames,) = await heard(committed_db, team, bob)
    finally:
        event.remove(committed_engine.sync_engine, "before_cursor_execute", count)
    assert notes_in(bob_frames) == [f"support {number}" for number in range(10)]
    assert 1 <= len(lookups) <= 2  # each dialog once (both at once when their first events came together)
    await bob.close()


async def test_without_the_restriction_an_operator_hears_every_dialog(
    live_client: Client, committed_db: Database
) -> None:
    team = await acme(committed_db, restricted=False)
    bob = await bobs_socket(live_client)
    await heard(committed_db, team, bob)
    await note(live_client, team, team.sales_dialog, "sales: a discount for Ann")
    async with committed_db.transaction() as tx:
        await publish(tx.session, visitor_typing(team.workspace.id, team.sales_dialog, True))
    (bob_frames,) = await heard(committed_db, team, bob)
    assert notes_in(bob_frames) == ["sales: a discount for Ann"]
    assert [frame["type"] for frame in about(bob_frames, team.sales_dialog)] == ["message", "typing"]
    await bob.close()
