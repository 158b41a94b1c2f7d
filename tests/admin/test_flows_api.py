"""The flows API: drafts saved with their graph errors located, a draft without a flow's shape refused
whole (the saved one kept), publishing, versions, roll back and turn off; admins of the workspace
only; and the preview, which steps the draft in memory without touching contacts or runs."""

from typing import Any

from sqlalchemy import func, select

from accounts.roles import Role
from bots.runs import count_traces
from conversations.models import Contact, Conversation
from core.db import Database
from core.ids import ConversationId
from flows.actions import EdgeTaken, NodeEntered, RunEnded, Trace
from flows.models import FlowRun, FlowVersion
from flows.samples import welcome_flow
from flows.state import FinishReason
from flows.store import create_flow
from tests.factories import Client, log_in, make_actor, make_operator, make_workspace

Json = dict[str, Any]


def document(*nodes: Json, start: str = "hello") -> Json:
    return {"schema": 1, "start": start, "triggers": [{"type": "chat_opened"}], "nodes": list(nodes)}


HELLO = document({"kind": "message", "id": "hello", "text": "Hello!"})
DANGLING = document({"kind": "message", "id": "hello", "text": "Hello!", "next": "ghost"})


async def admin_headers(client: Client, db: Database, role: Role = Role.ADMIN) -> dict[str, str]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=role, email="ann@example.com")
    token = await log_in(client, "ann@example.com")
    return {"X-CSRF-Token": token, "X-Workspace": "acme"}


async def new_flow(
    client: Client, headers: dict[str, str], name: str = "Welcome", definition: Json | None = None
) -> Json:
    body: Json = {"name": name} if definition is None else {"name": name, "definition": definition}
    response = await client.post("/api/v1/flows", json=body, headers=headers)
    assert response.status == 201, await response.text()
    flow: Json = (await response.json())["flow"]
    return flow


async def get_flow(client: Client, headers: dict[str, str], flow_id: int) -> Json:
    response = await client.get(f"/api/v1/flows/{flow_id}", headers=headers)
    assert response.status == 200, await response.text()
    flow: Json = (await response.json())["flow"]
    return flow


async def test_a_new_flow_starts_valid_and_is_listed(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow = await new_flow(client, headers)
    assert flow["name"] == "Welcome"
    assert flow["errors"] == [] and flow["versions"] == [] and flow["live_number"] is None
    assert flow["draft"]["triggers"] == [{"type": "chat_opened"}]
    assert [node["kind"] for node in flow["draft"]["nodes"]] == ["message"]
    listing = await (await client.get("/api/v1/flows", headers=headers)).json()
    [summary] = listing["flows"]
    assert summary["id"] == flow["id"] and summary["name"] == "Welcome"
    assert (summary["published_number"], summary["latest_number"], summary["draft_errors"]) == (None, None, 0)
    assert summary["draft_updated_at"]
    duplicate = await client.post("/api/v1/flows", json={"name": " Welcome "}, headers=headers)
    assert duplicate.status == 409


async def test_a_draft_with_graph_errors_is_saved_with_them_located(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow = await new_flow(client, headers)
    response = await client.put(f"/api/v1/flows/{flow['id']}/draft", json={"definition": DANGLING}, headers=headers)
    assert response.status == 200
    [error] = (await response.json())["errors"]
    assert error["path"] == "nodes[0].next" and error["code"] == "dangling_target" and error["node_id"] == "hello"
    assert "'ghost'" in error["message"]
    saved = await get_flow(client, headers, flow["id"])
    assert saved["draft"] == DANGLING
    assert [e["code"] for e in saved["errors"]] == ["dangling_target"]
    listing = await (await client.get("/api/v1/flows", headers=headers)).json()
    assert listing["flows"][0]["draft_errors"] == 1


async def test_a_draft_without_a_flows_shape_is_refused_with_every_path_and_the_saved_one_kept(
    client: Client, db: Database
) -> None:
    headers = await admin_headers(client, db)
    flow = await new_flow(client, headers, definition=HELLO)
    broken = document(
        {"kind": "message", "id": "hello", "text": "Hi", "colour": "red"},
        {"kind": "teleport", "id": "x"},
        {"id": "no-kind"},
    )
    response = await client.put(f"/api/v1/flows/{flow['id']}/draft", json={"definition": broken}, headers=headers)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("The flow has 3 error(s); the first, at nodes[0].colour")
    paths = {(item["path"], item["code"]) for item in error["details"]["errors"]}
    assert paths == {
        ("nodes[0].colour", "invalid_shape"),
        ("nodes[1].kind", "unknown_kind"),
        ("nodes[2].kind", "invalid_shape"),
    }
    assert all(set(item) == {"path", "code", "message", "node_id"} for item in error["details"]["errors"])
    assert (await get_flow(client, headers, flow["id"]))["draft"] == HELLO
    not_an_object = await client.put(f"/api/v1/flows/{flow['id']}/draft", json={"definition": [1]}, headers=headers)
    assert not_an_object.status == 400
    no_definition = await client.put(f"/api/v1/flows/{flow['id']}/draft", json={}, headers=headers)
    assert no_definition.status == 400


async def test_publishing_versions_roll_back_and_turn_off(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow = await new_flow(client, headers, definition=DANGLING)
    base = f"/api/v1/flows/{flow['id']}"
    refused = await client.post(f"{base}/publish", headers=headers)
    assert refused.status == 400
    [error] = (await refused.json())["error"]["details"]["errors"]
    assert (error["path"], error["code"]) == ("nodes[0].next", "dangling_target")

    await client.put(f"{base}/draft", json={"definition": HELLO}, headers=headers)
    first = await client.post(f"{base}/publish", headers=headers)
    assert first.status == 200 and (await first.json())["number"] == 1
    second_draft = document({"kind": "message", "id": "hello", "text": "Hello again!"})
    await client.put(f"{base}/draft", json={"definition": second_draft}, headers=headers)
    assert (await (await client.post(f"{base}/publish", headers=headers)).json())["number"] == 2
    flow = await get_flow(client, headers, flow["id"])
    assert flow["live_number"] == 2
    assert [(v["number"], v["is_live"]) for v in flow["versions"]] == [(2, True), (1, False)]

    rolled = await client.post(f"{base}/rollback", json={"number": 1}, headers=headers)
    assert (await rolled.json()) == {"live_number": 1}
    assert (await get_flow(client, headers, flow["id"]))["live_number"] == 1
    listing = await (await client.get("/api/v1/flows", headers=headers)).json()
    assert (listing["flows"][0]["published_number"], listing["flows"][0]["latest_number"]) == (1, 2)
    version = await (await client.get(f"{base}/versions/2", headers=headers)).json()
    assert version == {"number": 2, "definition": second_draft}
    assert (await client.get(f"{base}/versions/3", headers=headers)).status == 404
    assert (await client.post(f"{base}/rollback", json={"number": 7}, headers=headers)).status == 404

    turned_off = await client.post(f"{base}/turn-off", headers=headers)
    assert (await turned_off.json()) == {"live_number": None}
    assert (await get_flow(client, headers, flow["id"]))["live_number"] is None


async def test_renaming_and_deleting(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow = await new_flow(client, headers)
    await new_flow(client, headers, name="Pricing")
    renamed = await client.patch(f"/api/v1/flows/{flow['id']}", json={"name": "  Greeting  bot "}, headers=headers)
    assert (await renamed.json())["flow"]["name"] == "Greeting bot"
    taken = await client.patch(f"/api/v1/flows/{flow['id']}", json={"name": "Pricing"}, headers=headers)
    assert taken.status == 409
    empty = await client.patch(f"/api/v1/flows/{flow['id']}", json={"name": " "}, headers=headers)
    assert (await empty.json())["error"]["details"]["field"] == "name"
    assert (await client.delete(f"/api/v1/flows/{flow['id']}", headers=headers)).status == 204
    assert (await client.get(f"/api/v1/flows/{flow['id']}", headers=headers)).status == 404


async def test_the_live_versions_counters_come_with_the_flow(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow = await new_flow(client, headers, definition=HELLO)
    await client.post(f"/api/v1/flows/{flow['id']}/publish", headers=headers)
    async with db.transaction() as tx:
        version_id = await tx.session.scalar(select(FlowVersion.id).where(FlowVersion.flow_id == flow["id"]))
        assert version_id is not None
        traces: list[Trace] = [NodeEntered("hello"), NodeEntered("hello"), EdgeTaken("hello", "next", "x")]
        # Two dialogs: their counts land on different shards and are summed.
        await count_traces(tx.session, version_id, ConversationId(1), traces)
        await count_traces(tx.session, version_id, ConversationId(2), [RunEnded("hello", FinishReason.GAVE_UP)])
    counters = (await get_flow(client, headers, flow["id"]))["counters"]
    assert counters == {"hello": {"entered": 2, "edge:next": 1, "dropped": 1}}


async def test_another_workspaces_flow_is_404_and_operators_are_403(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        theirs = await make_actor(tx.session)
        foreign = await create_flow(tx.session, theirs, "Theirs", HELLO)
        foreign_id = foreign.id
    headers = await admin_headers(client, db)
    base = f"/api/v1/flows/{foreign_id}"
    assert (await client.get(base, headers=headers)).status == 404
    assert (await client.put(f"{base}/draft", json={"definition": HELLO}, headers=headers)).status == 404
    assert (await client.post(f"{base}/publish", headers=headers)).status == 404
    assert (await client.get(f"{base}/versions/1", headers=headers)).status == 404
    preview = await client.post(f"{base}/preview", json={"event": {"type": "start"}}, headers=headers)
    assert preview.status == 404
    assert (await client.delete(base, headers=headers)).status == 404
    assert (await (await client.get("/api/v1/flows", headers=headers)).json())["flows"] == []


async def test_operators_may_not_touch_flows(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db, role=Role.OPERATOR)
    listing = await client.get("/api/v1/flows", headers=headers)
    assert listing.status == 403 and (await listing.json())["error"]["code"] == "forbidden"
    assert (await client.post("/api/v1/flows", json={"name": "Mine"}, headers=headers)).status == 403


async def preview(client: Client, headers: dict[str, str], flow_id: int, previous: Json | None, event: Json) -> Json:
    body = {"state": None if previous is None else previous["state"], "event": event}
    response = await client.post(f"/api/v1/flows/{flow_id}/preview", json=body, headers=headers)
    assert response.status == 200, await response.text()
    turn: Json = await response.json()
    return turn


async def test_the_welcome_flow_in_the_preview_asks_for_an_email_and_hands_off(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow_id = (await new_flow(client, headers, definition=welcome_flow("en")))["id"]
    turn = await preview(client, headers, flow_id, None, {"type": "start"})
    [menu] = turn["messages"]
    assert menu["text"] == "How can we help?"
    assert [button["label"] for button in menu["buttons"]] == ["Ask a question", "Talk to a person", "Pricing"]
    assert (turn["waiting"], turn["finished"], turn["node_id"]) == ("input", False, "menu")

    person = menu["buttons"][1]["id"]
    turn = await preview(client, headers, flow_id, turn, {"type": "button", "button_id": person})
    assert [m["text"] for m in turn["messages"]] == ["What is your email? We'll write there if we miss you here."]
    stale = await preview(client, headers, flow_id, turn, {"type": "button", "button_id": person})
    assert stale["ignored"] is True and stale["messages"] == [] and stale["state"] == turn["state"]

    turn = await preview(client, headers, flow_id, turn, {"type": "text", "text": "garbage"})
    assert [m["text"] for m in turn["messages"]] == ["That doesn't look like an email. Could you check it?"]
    turn = await preview(client, headers, flow_id, turn, {"type": "text", "text": "ann@example.com"})
    assert turn["messages"] == []
    assert turn["effects"][0] == "Set contact.email = ann@example.com"
    assert turn["effects"][1].startswith("Hand off to Support: A visitor (ann@example.com) asked for a person.")
    assert (turn["finished"], turn["finish_reason"]) == (True, "handed_off")
    assert [item["type"] for item in turn["output"]] == ["effect", "effect"]

    async with db.transaction() as tx:
        for model in (Contact, Conversation, FlowRun):
            assert await tx.session.scalar(select(func.count()).select_from(model)) == 0


async def test_the_preview_takes_the_visitor_and_asks_the_real_ai_bot(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow_id = (await new_flow(client, headers, definition=welcome_flow("en")))["id"]
    body = {"event": {"type": "start"}, "facts": {"contact": {"name": "Anna"}, "within_working_hours": False}}
    response = await client.post(f"/api/v1/flows/{flow_id}/preview", json=body, headers=headers)
    turn = await response.json()
    assert [m["text"] for m in turn["messages"]] == ["Hi, Anna!", "How can we help?"]
    turn = await preview(client, headers, flow_id, turn, {"type": "text", "text": "Do you speak Russian?"})
    assert turn["effects"][0] == "Ask the AI bot: Do you speak Russian?"
    # An empty knowledge base: the AI bot says so, and the flow's hand-off branch runs.
    assert turn["messages"][0]["text"].startswith("I can't answer that from our help articles")
    assert turn["messages"][1]["text"].startswith("We're offline right now")
    assert turn["finish_reason"] == "handed_off"
    bad_facts = {"event": {"type": "start"}, "facts": {"contact": "Anna"}}
    assert (await client.post(f"/api/v1/flows/{flow_id}/preview", json=bad_facts, headers=headers)).status == 400


async def test_timers_and_webhooks_wait_for_the_editor_in_the_preview(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    definition = document(
        {"kind": "wait", "id": "pause", "seconds": 300, "next": "crm"},
        {"kind": "webhook", "id": "crm", "url": "https://crm.example.com/hook", "save": {"plan": "plan"}, "next": "ok"},
        {"kind": "message", "id": "ok", "text": "Your plan: {{ vars.plan | default('none') }}"},
        start="pause",
    )
    flow_id = (await new_flow(client, headers, definition=definition))["id"]
    turn = await preview(client, headers, flow_id, None, {"type": "start"})
    assert turn["effects"] == ["Wait 5 min (timer t1)"] and turn["waiting"] == "timer"
    turn = await preview(client, headers, flow_id, turn, {"type": "timer"})
    assert turn["effects"] == ["Would call the webhook POST https://crm.example.com/hook"]
    assert turn["waiting"] == "webhook"
    answer = {"type": "webhook", "outcome": "ok", "status": 200, "body": {"plan": "Pro"}}
    turn = await preview(client, headers, flow_id, turn, answer)
    assert [m["text"] for m in turn["messages"]] == ["Your plan: Pro"] and turn["finish_reason"] == "completed"


async def test_a_preview_state_the_draft_no_longer_fits_is_refused(client: Client, db: Database) -> None:
    headers = await admin_headers(client, db)
    flow_id = (await new_flow(client, headers, definition=welcome_flow("en")))["id"]
    turn = await preview(client, headers, flow_id, None, {"type": "start"})
    await client.put(f"/api/v1/flows/{flow_id}/draft", json={"definition": HELLO}, headers=headers)
    body = {"state": turn["state"], "event": {"type": "text", "text": "hi"}}
    stale = await client.post(f"/api/v1/flows/{flow_id}/preview", json=body, headers=headers)
    assert stale.status == 400 and "restart the preview" in (await stale.json())["error"]["message"]
    garbage = {"state": {"format": 9}, "event": {"type": "text", "text": "hi"}}
    assert (await client.post(f"/api/v1/flows/{flow_id}/preview", json=garbage, headers=headers)).status == 400
    no_state = {"event": {"type": "text", "text": "hi"}}
    assert (await client.post(f"/api/v1/flows/{flow_id}/preview", json=no_state, headers=headers)).status == 400
    unknown = {"event": {"type": "teleport"}}
    assert (await client.post(f"/api/v1/flows/{flow_id}/preview", json=unknown, headers=headers)).status == 400
