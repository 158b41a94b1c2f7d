"""Presence, take, transfer, unassign, the queue overview and group settings through the JSON API."""

from accounts.roles import Role
from conversations.models import Contact, Conversation
from core.db import Database
from core.ids import ConversationId
from tests.factories import Client, log_in, make_operator, make_workspace


async def team_session(client: Client, db: Database) -> tuple[dict[str, str], ConversationId, int]:
    """Ann (admin) logged in; Bob, an operator; one dialog waiting in no group."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com")
        bob = await make_operator(tx.session, workspace=workspace, email="bob@example.com")
        contact = Contact(workspace_id=workspace.id, properties={})
        tx.session.add(contact)
        await tx.session.flush()
        conversation = Conversation(workspace_id=workspace.id, contact_id=contact.id, channel="web", owner="queue")
        tx.session.add(conversation)
        await tx.session.flush()
    token = await log_in(client, "ann@example.com")
    return {"X-CSRF-Token": token, "X-Workspace": "acme"}, conversation.id, bob.id


async def test_presence_is_read_and_set_and_rejects_nonsense(client: Client, db: Database) -> None:
    headers, _, _ = await team_session(client, db)
    assert await (await client.get("/api/v1/presence", headers=headers)).json() == {
        "presence": "offline",
        "capacity": 5,
        "load": 0,
    }
    changed = await client.put("/api/v1/presence", json={"presence": "online"}, headers=headers)
    assert (await changed.json())["presence"] == "online"
    wrong = await client.put("/api/v1/presence", json={"presence": "busy"}, headers=headers)
    assert wrong.status == 400
    assert (await wrong.json())["error"]["message"] == "Presence must be online, away or offline."


async def test_taking_a_dialog_someone_else_holds_is_409_naming_them(client: Client, db: Database) -> None:
    headers, conversation_id, bob = await team_session(client, db)
    given = await client.post(
        f"/api/v1/conversations/{conversation_id}/transfer", json={"operator_id": bob}, headers=headers
    )
    assert (await given.json())["conversation"]["assignee_id"] == bob
    taken = await client.post(f"/api/v1/conversations/{conversation_id}/take", headers=headers)
    assert taken.status == 409
    error = (await taken.json())["error"]
    assert error["code"] == "already_taken"
    assert error["details"]["taken_by"]["id"] == bob
    assert error["message"].endswith("already took this dialog.")
    back = await client.post(f"/api/v1/conversations/{conversation_id}/unassign", headers=headers)
    assert (await back.json())["conversation"]["owner"] == "queue"
    mine = await client.post(f"/api/v1/conversations/{conversation_id}/take", headers=headers)
    assert (await mine.json())["conversation"]["owner"] == "operator"


async def test_transfer_needs_exactly_one_target_and_a_foreign_one_is_404(client: Client, db: Database) -> None:
    headers, conversation_id, bob = await team_session(client, db)
    url = f"/api/v1/conversations/{conversation_id}/transfer"
    both = await client.post(url, json={"operator_id": bob, "group_id": 1}, headers=headers)
    assert both.status == 400
    async with db.transaction() as tx:
        other = await make_workspace(tx.session)
        stranger = await make_operator(tx.session, workspace=other)
    foreign = await client.post(url, json={"operator_id": stranger.id}, headers=headers)
    assert foreign.status == 404


async def test_the_queue_overview_counts_waiting_dialogs_and_operators(client: Client, db: Database) -> None:
    headers, _, bob = await team_session(client, db)
    group = await (await client.post("/api/v1/groups", json={"name": "Support"}, headers=headers)).json()
    settings = await client.patch(
        f"/api/v1/groups/{group['group']['id']}",
        json={"assignment_policy": "least_busy", "is_default": True},
        headers=headers,
    )
    assert (await settings.json())["group"]["assignment_policy"] == "least_busy"
    bad = await client.patch(
        f"/api/v1/groups/{group['group']['id']}", json={"assignment_policy": "random"}, headers=headers
    )
    assert bad.status == 400
    await client.patch(f"/api/v1/operators/{bob}", json={"capacity": 2}, headers=headers)
    overview = await (await client.get("/api/v1/queue", headers=headers)).json()
    assert overview["ungrouped"]["waiting"] == 1
    assert overview["groups"][0]["name"] == "Support"
    assert {operator["id"]: operator["capacity"] for operator in overview["operators"]}[bob] == 2
