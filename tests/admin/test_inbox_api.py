"""The inbox JSON API over HTTP (docs/inbox-api.md): lists and counts, snoozing, tags, canned
replies and the contact card; bad input is a clear 4xx naming the field, and rows of another
workspace or of a group the operator may not see are 404."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Workspace
from accounts.roles import Role
from core.db import Database
from tests.conversations.inbox_data import (
    make_contact,
    make_conversation,
    make_group,
    make_tag,
    restrict_to_groups,
)
from tests.factories import Client, log_in, make_operator, make_workspace


@dataclass(frozen=True)
class Acme:
    workspace: Workspace
    conversation_id: int
    contact_id: int


@dataclass(frozen=True)
class Theirs:
    conversation_id: int
    contact_id: int
    tag_id: int


async def seed(db: Database) -> Acme:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com")
        await make_operator(tx.session, workspace=workspace, role=Role.OPERATOR, email="bob@example.com")
        contact = await make_contact(tx.session, workspace.id, name="Vera", email="vera@example.com")
        conversation = await make_conversation(tx.session, workspace.id, contact=contact, text="Where is my order?")
    return Acme(workspace=workspace, conversation_id=conversation.id, contact_id=contact.id)


async def seed_theirs(db: Database) -> Theirs:
    async with db.transaction() as tx:
        theirs = await make_workspace(tx.session, slug="theirs")
        contact = await make_contact(tx.session, theirs.id, name="Their contact")
        conversation = await make_conversation(tx.session, theirs.id, contact=contact)
        tag = await make_tag(tx.session, theirs.id, "their tag")
    return Theirs(conversation_id=conversation.id, contact_id=contact.id, tag_id=tag.id)


async def headers_for(client: Client, email: str) -> dict[str, str]:
    token = await log_in(client, email)
    return {"X-CSRF-Token": token, "X-Workspace": "acme"}


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).astimezone().isoformat()


async def test_the_inbox_list_and_counts_have_the_documented_shape(client: Client, db: Database) -> None:
    acme = await seed(db)
    headers = await headers_for(client, "ann@example.com")
    listing = await client.get("/api/v1/inbox", params={"view": "unassigned", "q": "order"}, headers=headers)
    assert listing.status == 200
    body = await listing.json()
    assert body["next"] is None
    [summary] = body["conversations"]
    assert summary["id"] == acme.conversation_id
    assert summary["contact"] == {"id": acme.contact_id, "name": "Vera", "email": "vera@example.com"}
    assert (summary["preview"], summary["unread"], summary["tags"], summary["assignee"]) == (
        "Where is my order?",
        1,
        [],
        None,
    )
    counts = await (await client.get("/api/v1/inbox/counts", params={"channel": "web"}, headers=headers)).json()
    assert counts == {"unassigned": 1, "mine": 0, "open": 1, "snoozed": 0, "closed": 0}
    legacy = await (await client.get("/api/v1/conversations", headers=headers)).json()
    assert [c["id"] for c in legacy["conversations"]] == [acme.conversation_id]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"view": "all"}, "view"), ({"group": "sales"}, "group"), ({"tag": "x"}, "tag"), ({"before": "@@"}, "before")],
)
async def test_bad_inbox_parameters_are_400_naming_the_field(
    client: Client, db: Database, params: dict[str, str], field: str
) -> None:
    await seed(db)
    headers = await headers_for(client, "bob@example.com")
    response = await client.get("/api/v1/inbox", params=params, headers=headers)
    assert response.status == 400
    assert (await response.json())["error"]["details"]["field"] == field


async def test_snoozing_in_the_past_is_400_with_a_clear_message_and_in_the_future_works(
    client: Client, db: Database
) -> None:
    acme = await seed(db)
    headers = await headers_for(client, "bob@example.com")
    url = f"/api/v1/conversations/{acme.conversation_id}/snooze"
    past = await client.post(url, json={"until": "2020-01-01T09:00:00+03:00"}, headers=headers)
    assert past.status == 400
    assert (await past.json())["error"] == {
        "code": "invalid_input",
        "message": "The snooze time must be in the future.",
        "details": {"field": "until"},
    }
    garbled = await client.post(url, json={"until": "tomorrow"}, headers=headers)
    assert garbled.status == 400
    snoozed = await client.post(url, json={"until": in_an_hour()}, headers=headers)
    assert snoozed.status == 200
    conversation = (await snoozed.json())["conversation"]
    assert conversation["status"] == "snoozed"
    assert datetime.fromisoformat(conversation["snoozed_until"]).utcoffset() == timedelta(0)
    counts = await (await client.get("/api/v1/inbox/counts", headers=headers)).json()
    assert (counts["snoozed"], counts["open"]) == (1, 0)


async def test_tags_life_cycle_and_their_errors(client: Client, db: Database) -> None:
    acme = await seed(db)
    headers = await headers_for(client, "ann@example.com")
    created = await client.post("/api/v1/tags", json={"name": "Billing", "color": "#FF8800"}, headers=headers)
    assert created.status == 201
    tag = (await created.json())["tag"]
    assert tag == {"id": tag["id"], "name": "Billing", "color": "#ff8800", "conversations": 0}
    duplicate = await client.post("/api/v1/tags", json={"name": " billing "}, headers=headers)
    assert (duplicate.status, (await duplicate.json())["error"]["code"]) == (409, "conflict")
    bad_colour = await client.post("/api/v1/tags", json={"name": "Red", "color": "red"}, headers=headers)
    assert (bad_colour.status, (await bad_colour.json())["error"]["details"]["field"]) == (400, "color")
    tagged = await client.post(
        f"/api/v1/conversations/{acme.conversation_id}/tags", json={"tag_id": tag["id"]}, headers=headers
    )
    assert (await tagged.json())["tags"] == [{"id": tag["id"], "name": "Billing", "color": "#ff8800"}]
    listed = await (await client.get("/api/v1/tags", headers=headers)).json()
    assert listed["tags"][0]["conversations"] == 1
    filtered = await (await client.get("/api/v1/inbox", params={"tag": tag["id"]}, headers=headers)).json()
    assert [c["tags"][0]["name"] for c in filtered["conversations"]] == ["Billing"]
    renamed = await client.patch(f"/api/v1/tags/{tag['id']}", json={"name": "Money"}, headers=headers)
    assert (await renamed.json())["tag"]["name"] == "Money"
    untagged = await client.delete(f"/api/v1/conversations/{acme.conversation_id}/tags/{tag['id']}", headers=headers)
    assert (await untagged.json())["tags"] == []
    assert (await client.delete(f"/api/v1/tags/{tag['id']}", headers=headers)).status == 204


async def test_operators_may_not_change_the_tag_list_or_shared_replies(client: Client, db: Database) -> None:
    await seed(db)
    headers = await headers_for(client, "bob@example.com")
    assert (await client.post("/api/v1/tags", json={"name": "x"}, headers=headers)).status == 403
    shared = {"shortcut": "hi", "title": "Hi", "body": "Hello!", "shared": True}
    assert (await client.post("/api/v1/canned-replies", json=shared, headers=headers)).status == 403
    assert (await client.get("/api/v1/tags", headers=headers)).status == 200


async def test_canned_replies_life_cycle_and_their_errors(client: Client, db: Database) -> None:
    await seed(db)
    headers = await headers_for(client, "bob@example.com")
    bad = await client.post(
        "/api/v1/canned-replies", json={"shortcut": "two words", "title": "T", "body": "B"}, headers=headers
    )
    assert bad.status == 400
    assert (await bad.json())["error"]["details"]["field"] == "shortcut"
    created = await client.post(
        "/api/v1/canned-replies", json={"shortcut": "refund", "title": "Refunds", "body": "We refund."}, headers=headers
    )
    assert created.status == 201
    reply = (await created.json())["canned_reply"]
    assert reply == {"id": reply["id"], "shortcut": "refund", "title": "Refunds", "body": "We refund.", "shared": False}
    found = await (await client.get("/api/v1/canned-replies", params={"q": "REF"}, headers=headers)).json()
    assert [r["id"] for r in found["canned_replies"]] == [reply["id"]]
    changed = await client.patch(f"/api/v1/canned-replies/{reply['id']}", json={"title": "Money"}, headers=headers)
    assert (await changed.json())["canned_reply"]["title"] == "Money"
    unknown = await client.patch(f"/api/v1/canned-replies/{reply['id']}", json={"owner": 1}, headers=headers)
    assert unknown.status == 400
    assert (await client.delete(f"/api/v1/canned-replies/{reply['id']}", headers=headers)).status == 204


async def test_the_contact_card_reads_and_edits(client: Client, db: Database) -> None:
    acme = await seed(db)
    headers = await headers_for(client, "bob@example.com")
    url = f"/api/v1/contacts/{acme.contact_id}"
    card = await (await client.get(url, headers=headers)).json()
    assert card["contact"]["name"] == "Vera"
    assert [c["id"] for c in card["conversations"]] == [acme.conversation_id]
    edited = await client.patch(
        url, json={"email": None, "phone": "+7 (900) 000-00-00", "properties": {"plan": "gold"}}, headers=headers
    )
    assert edited.status == 200
    contact = (await edited.json())["contact"]
    assert (contact["name"], contact["email"], contact["phone"]) == ("Vera", None, "+7 (900) 000-00-00")
    assert contact["properties"] == {"plan": "gold"}
    bad = await client.patch(url, json={"email": "vera at example"}, headers=headers)
    assert bad.status == 400
    assert (await bad.json())["error"]["details"]["field"] == "email"
    not_a_string = await client.patch(url, json={"properties": {"age": 42}}, headers=headers)
    assert not_a_string.status == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/conversations/{conversation_id}/snooze", {"until": "{soon}"}),
        ("POST", "/api/v1/conversations/{conversation_id}/tags", {"tag_id": "{my_tag_id}"}),
        ("POST", "/api/v1/conversations/{my_conversation_id}/tags", {"tag_id": "{tag_id}"}),
        ("DELETE", "/api/v1/conversations/{conversation_id}/tags/{my_tag_id}", None),
        ("GET", "/api/v1/contacts/{contact_id}", None),
        ("PATCH", "/api/v1/contacts/{contact_id}", {"name": "Mine now"}),
        ("PATCH", "/api/v1/tags/{tag_id}", {"name": "Mine now"}),
        ("DELETE", "/api/v1/tags/{tag_id}", None),
        ("GET", "/api/v1/inbox?tag={tag_id}", None),
    ],
)
async def test_rows_of_another_workspace_are_404(
    client: Client, db: Database, method: str, path: str, body: dict[str, str] | None
) -> None:
    acme = await seed(db)
    theirs = await seed_theirs(db)
    async with db.transaction() as tx:
        my_tag = await make_tag(tx.session, acme.workspace.id, "mine")
    ids: dict[str, object] = {
        "conversation_id": theirs.conversation_id,
        "contact_id": theirs.contact_id,
        "tag_id": theirs.tag_id,
        "my_tag_id": my_tag.id,
        "my_conversation_id": acme.conversation_id,
    }
    ids["soon"] = in_an_hour()
    json: dict[str, object] | None = None if body is None else {k: v.format(**ids) for k, v in body.items()}
    if json is not None and "tag_id" in json:
        json["tag_id"] = int(str(json["tag_id"]))
    headers = await headers_for(client, "ann@example.com")
    response = await client.request(method, path.format(**ids), json=json, headers=headers)
    assert response.status == 404
    error = (await response.json())["error"]
    assert error["code"] == "not_found" and "their" not in error["message"].lower()


async def test_a_group_the_operator_is_not_in_is_404_when_the_workspace_restricts(client: Client, db: Database) -> None:
    acme = await seed(db)
    async with db.transaction() as tx:
        sales = await make_group(tx.session, acme.workspace, "Sales")
        hidden = await make_conversation(tx.session, acme.workspace.id, group_id=sales.id)
        await restrict_to_groups(tx.session, acme.workspace)
    headers = await headers_for(client, "bob@example.com")
    for method, path in [
        ("GET", f"/api/v1/inbox?group={sales.id}"),
        ("GET", f"/api/v1/inbox/counts?group={sales.id}"),
        ("GET", f"/api/v1/conversations/{hidden.id}"),
        ("GET", f"/api/v1/contacts/{hidden.contact_id}"),
        ("POST", f"/api/v1/conversations/{hidden.id}/close"),
    ]:
        response = await client.request(method, path, headers=headers)
        assert response.status == 404, path
    listing = await (await client.get("/api/v1/inbox", headers=headers)).json()
    assert [c["id"] for c in listing["conversations"]] == [acme.conversation_id]
