"""Tags: admins keep the workspace's list (names unique whatever their case, colours #rrggbb),
operators tag and untag the dialogs they can see, and markup in a name is only text."""

import pytest
from sqlalchemy import select

from accounts.actors import Actor
from accounts.models import Workspace
from accounts.roles import Role
from conversations.models import Tag
from conversations.tags import create_tag, delete_tag, list_tags, tag_conversation, untag_conversation, update_tag
from core.db import Database
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.ids import TagId
from tests.conversations.inbox_data import make_conversation, make_group, restrict_to_groups
from tests.factories import make_actor, make_workspace


async def admin_of_new_workspace(db: Database) -> tuple[Workspace, Actor]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        return workspace, await make_actor(tx.session, workspace=workspace)


async def test_admins_create_rename_recolour_and_delete_tags_listed_with_their_counts(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        billing = await create_tag(tx.session, admin, "  billing  ")
        bug = await create_tag(tx.session, admin, "Bug", color="#FF0000")
        conversation = await make_conversation(tx.session, workspace.id)
        await tag_conversation(tx.session, admin, conversation.id, bug.id)
        renamed = await update_tag(tx.session, admin, billing.id, name="Billing  questions", color="#00AA00")
        assert (renamed.name, renamed.color) == ("Billing questions", "#00aa00")
        listed = await list_tags(tx.session, admin)
        assert [(t.name, t.color, t.conversations) for t in listed] == [
            ("Billing questions", "#00aa00", 0),
            ("Bug", "#ff0000", 1),
        ]
        assert bug.color == "#ff0000" and billing.color == "#6b7280"
        await delete_tag(tx.session, admin, bug.id)
        assert [t.name for t in await list_tags(tx.session, admin)] == ["Billing questions"]


async def test_a_name_taken_in_any_case_is_a_conflict_and_leaves_the_transaction_usable(db: Database) -> None:
    _, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        await create_tag(tx.session, admin, "VIP")
        other = await create_tag(tx.session, admin, "other")
        with pytest.raises(Conflict) as created:
            await create_tag(tx.session, admin, "vip")
        with pytest.raises(Conflict):
            await update_tag(tx.session, admin, other.id, name="Vip")
        assert created.value.params["field"] == "name"
        assert sorted(t.name for t in await list_tags(tx.session, admin)) == ["VIP", "other"]


@pytest.mark.parametrize(
    ("name", "color", "field"),
    [
        ("", None, "name"),
        ("   ", None, "name"),
        ("x" * 41, None, "name"),
        ("ok", "red", "color"),
        ("ok", "#12345", "color"),
    ],
)
async def test_bad_names_and_colours_are_refused_with_the_field(
    db: Database, name: str, color: str | None, field: str
) -> None:
    _, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        with pytest.raises(InvalidInput) as error:
            await create_tag(tx.session, admin, name, color=color)
    assert error.value.params["field"] == field


async def test_markup_in_a_name_is_stored_as_typed(db: Database) -> None:
    _, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        tag = await create_tag(tx.session, admin, "<b>x</b>")
        stored = await tx.session.scalar(select(Tag.name).where(Tag.id == tag.id))
    assert stored == "<b>x</b>"


async def test_operators_tag_dialogs_but_cannot_change_the_list(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        operator = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        tag = await create_tag(tx.session, admin, "billing")
        conversation = await make_conversation(tx.session, workspace.id)
        with pytest.raises(Forbidden):
            await create_tag(tx.session, operator, "mine")
        with pytest.raises(Forbidden):
            await update_tag(tx.session, operator, tag.id, name="renamed")
        with pytest.raises(Forbidden):
            await delete_tag(tx.session, operator, tag.id)
        tagged = await tag_conversation(tx.session, operator, conversation.id, tag.id)
        again = await tag_conversation(tx.session, operator, conversation.id, tag.id)
        assert tagged == again == [{"id": tag.id, "name": "billing", "color": "#6b7280"}]
        assert await untag_conversation(tx.session, operator, conversation.id, tag.id) == []
        assert await untag_conversation(tx.session, operator, conversation.id, tag.id) == []


async def test_tags_and_dialogs_of_another_workspace_or_a_hidden_group_are_not_found(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    other, their_admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        operator = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        mine = await create_tag(tx.session, admin, "mine")
        theirs = await create_tag(tx.session, their_admin, "theirs")
        their_dialog = await make_conversation(tx.session, other.id)
        my_dialog = await make_conversation(tx.session, workspace.id)
        sales = await make_group(tx.session, workspace, "Sales")
        hidden = await make_conversation(tx.session, workspace.id, group_id=sales.id)
        await restrict_to_groups(tx.session, workspace)
        for attempt in (
            tag_conversation(tx.session, admin, my_dialog.id, theirs.id),
            tag_conversation(tx.session, admin, their_dialog.id, mine.id),
            tag_conversation(tx.session, operator, hidden.id, mine.id),
            update_tag(tx.session, admin, theirs.id, name="stolen"),
            delete_tag(tx.session, admin, TagId(theirs.id)),
        ):
            with pytest.raises(NotFound):
                await attempt
        assert await tag_conversation(tx.session, admin, hidden.id, mine.id) != []
