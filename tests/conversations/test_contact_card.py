"""The contact card: the person, the dialogs with them the operator may see (with tags), and
editing name, email, phone and custom properties with clear errors."""

from datetime import timedelta

import pytest

from accounts.actors import Actor
from accounts.models import Workspace
from accounts.roles import Role
from conversations.contact_card import contact_card, update_contact
from core.db import Database
from core.errors import InvalidInput, NotFound
from tests.conversations.inbox_data import (
    NOON,
    make_contact,
    make_conversation,
    make_group,
    make_tag,
    put_tag,
    restrict_to_groups,
)
from tests.factories import make_actor, make_workspace


async def admin_of_new_workspace(db: Database) -> tuple[Workspace, Actor]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        return workspace, await make_actor(tx.session, workspace=workspace)


async def test_the_card_lists_the_dialogs_newest_first_with_their_tags(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        contact = await make_contact(tx.session, workspace.id, name="Ann", email="ann@example.com")
        older = await make_conversation(tx.session, workspace.id, contact=contact, status="closed", at=NOON)
        newer = await make_conversation(tx.session, workspace.id, contact=contact, at=NOON + timedelta(days=1))
        await put_tag(tx.session, older, await make_tag(tx.session, workspace.id, "billing"))
        card = await contact_card(tx.session, admin, contact.id)
    assert card["contact"] == {
        "id": contact.id,
        "name": "Ann",
        "email": "ann@example.com",
        "phone": None,
        "language": None,
        "external_id": None,
        "properties": {},
        "first_seen_at": contact.first_seen_at.isoformat(),
        "last_seen_at": contact.last_seen_at.isoformat(),
    }
    conversations = card["conversations"]
    assert isinstance(conversations, list)
    assert [(c["id"], c["status"]) for c in conversations] == [(newer.id, "open"), (older.id, "closed")]
    assert [t["name"] for t in conversations[1]["tags"]] == ["billing"]
    assert conversations[0]["tags"] == [] and conversations[0]["channel"] == "web"


async def test_a_contact_of_another_workspace_or_only_in_hidden_groups_is_not_found(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    other, _ = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        operator = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        theirs = await make_contact(tx.session, other.id, name="Theirs")
        sales = await make_group(tx.session, workspace, "Sales")
        hidden_contact = await make_contact(tx.session, workspace.id)
        await make_conversation(tx.session, workspace.id, contact=hidden_contact, group_id=sales.id)
        both = await make_contact(tx.session, workspace.id)
        seen = await make_conversation(tx.session, workspace.id, contact=both)
        await make_conversation(tx.session, workspace.id, contact=both, group_id=sales.id)
        await restrict_to_groups(tx.session, workspace)
        with pytest.raises(NotFound):
            await contact_card(tx.session, admin, theirs.id)
        with pytest.raises(NotFound):
            await update_contact(tx.session, admin, theirs.id, fields={"name": "Mine"}, properties={})
        with pytest.raises(NotFound):
            await contact_card(tx.session, operator, hidden_contact.id)
        card = await contact_card(tx.session, operator, both.id)
        assert [c["id"] for c in card["conversations"]] == [seen.id]  # type: ignore[attr-defined]  # a list
        assert len((await contact_card(tx.session, admin, both.id))["conversations"]) == 2  # type: ignore[arg-type]  # a list


async def test_editing_sets_and_clears_fields_and_properties(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        contact = await make_contact(tx.session, workspace.id, name="Ann", phone="+1 555 0100")
        contact.properties = {"page": "https://shop.example/", "utm_source": "news"}
        await tx.session.flush()
        card = await update_contact(
            tx.session,
            admin,
            contact.id,
            fields={"name": "  Ann   Lee ", "email": " Ann@Example.COM", "phone": None},
            properties={"plan": "gold", "utm_source": None, "missing": None},
        )
    assert (card["name"], card["email"], card["phone"]) == ("Ann Lee", "ann@example.com", None)
    assert card["properties"] == {"page": "https://shop.example/", "plan": "gold"}
    async with db.transaction() as tx:
        again = await contact_card(tx.session, admin, contact.id)
    assert again["contact"] == card


@pytest.mark.parametrize(
    ("fields", "properties", "field"),
    [
        ({"email": "not-an-email"}, {}, "email"),
        ({"phone": "call me"}, {}, "phone"),
        ({"phone": "+1"}, {}, "phone"),
        ({"name": "x" * 201}, {}, "name"),
        ({"language": "ru"}, {}, "language"),
        ({}, {"k" * 65: "v"}, "properties"),
        ({}, {"": "v"}, "properties"),
        ({}, {"note": "v" * 1001}, "properties"),
        ({}, {f"key{n}": "v" for n in range(101)}, "properties"),
    ],
)
async def test_bad_edits_are_refused_with_the_field_and_change_nothing(
    db: Database, fields: dict[str, str | None], properties: dict[str, str | None], field: str
) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        contact = await make_contact(tx.session, workspace.id, name="Ann")
    async with db.transaction() as tx:
        with pytest.raises(InvalidInput) as error:
            await update_contact(tx.session, admin, contact.id, fields=fields, properties=properties)
    assert error.value.params["field"] == field
    async with db.transaction() as tx:
        card = await contact_card(tx.session, admin, contact.id)
    assert card["contact"]["name"] == "Ann"  # type: ignore[index]  # a dict
