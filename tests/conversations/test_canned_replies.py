"""Canned replies: everyone sees the shared ones and their own (never a colleague's), finds them by
the start of a shortcut or title, and only admins change the shared ones."""

import pytest

from accounts.actors import Actor
from accounts.roles import Role
from conversations.canned_replies import (
    CannedReplyFields,
    create_canned_reply,
    delete_canned_reply,
    list_canned_replies,
    update_canned_reply,
)
from core.db import Database
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import make_actor, make_workspace


def reply(shortcut: str, *, title: str = "A title", body: str = "Some text", shared: bool = False) -> CannedReplyFields:
    return CannedReplyFields(shortcut=shortcut, title=title, body=body, shared=shared)


async def team(db: Database) -> tuple[Actor, Actor, Actor]:
    """An admin and two operators of one workspace."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_actor(tx.session, workspace=workspace)
        ann = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        bob = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
    return admin, ann, bob


async def test_each_operator_sees_the_shared_replies_and_their_own(db: Database) -> None:
    admin, ann, bob = await team(db)
    async with db.transaction() as tx:
        await create_canned_reply(tx.session, admin, reply("hello", title="Greeting", shared=True))
        await create_canned_reply(tx.session, ann, reply("/Refund", title="Money back"))
        await create_canned_reply(tx.session, bob, reply("refund", title="Bob's refund"))
        anns = await list_canned_replies(tx.session, ann)
        assert [(r.shortcut, r.title, r.shared) for r in anns] == [
            ("hello", "Greeting", True),
            ("Refund", "Money back", False),
        ]
        assert [r.shortcut for r in await list_canned_replies(tx.session, ann, prefix="/REF")] == ["Refund"]
        assert [r.shortcut for r in await list_canned_replies(tx.session, ann, prefix="gree")] == ["hello"]
        assert await list_canned_replies(tx.session, ann, prefix="_") == []  # a LIKE wildcard is just a character


async def test_a_shortcut_is_unique_per_owner_and_shared_ones_share_one_owner(db: Database) -> None:
    admin, ann, bob = await team(db)
    async with db.transaction() as tx:
        await create_canned_reply(tx.session, admin, reply("hello", shared=True))
        await create_canned_reply(tx.session, ann, reply("hello"))
        await create_canned_reply(tx.session, bob, reply("hello"))
        with pytest.raises(Conflict) as personal:
            await create_canned_reply(tx.session, ann, reply("HELLO"))
        with pytest.raises(Conflict):
            await create_canned_reply(tx.session, admin, reply("Hello", shared=True))
        assert personal.value.params["field"] == "shortcut"
        assert len(await list_canned_replies(tx.session, ann)) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (reply("two words"), "shortcut"),
        (reply(""), "shortcut"),
        (reply("x" * 41), "shortcut"),
        (reply("<b>"), "shortcut"),
        (reply("ok", title=" "), "title"),
        (reply("ok", body=""), "body"),
        (reply("ok", body="x" * 4001), "body"),
    ],
)
async def test_bad_fields_are_refused_with_the_field(db: Database, fields: CannedReplyFields, field: str) -> None:
    _, ann, _ = await team(db)
    async with db.transaction() as tx:
        with pytest.raises(InvalidInput) as error:
            await create_canned_reply(tx.session, ann, fields)
    assert error.value.params["field"] == field


async def test_letters_of_any_alphabet_make_a_shortcut(db: Database) -> None:
    _, ann, _ = await team(db)
    async with db.transaction() as tx:
        created = await create_canned_reply(tx.session, ann, reply("привет_2-a"))
    assert created.shortcut == "привет_2-a"


async def test_only_admins_change_shared_replies_and_nobody_touches_a_colleagues(db: Database) -> None:
    admin, ann, bob = await team(db)
    async with db.transaction() as tx:
        shared = await create_canned_reply(tx.session, admin, reply("hello", shared=True))
        anns = await create_canned_reply(tx.session, ann, reply("mine"))
        with pytest.raises(Forbidden):
            await create_canned_reply(tx.session, ann, reply("team", shared=True))
        with pytest.raises(Forbidden):
            await update_canned_reply(tx.session, ann, shared.id, CannedReplyFields(title="Mine now"))
        with pytest.raises(Forbidden):
            await delete_canned_reply(tx.session, ann, shared.id)
        with pytest.raises(Forbidden):
            await update_canned_reply(tx.session, ann, anns.id, CannedReplyFields(shared=True))
        with pytest.raises(NotFound):
            await update_canned_reply(tx.session, bob, anns.id, CannedReplyFields(title="Stolen"))
        with pytest.raises(NotFound):
            await delete_canned_reply(tx.session, admin, anns.id)
        edited = await update_canned_reply(tx.session, ann, anns.id, CannedReplyFields(body="  New text "))
        assert (edited.shortcut, edited.body, edited.shared) == ("mine", "New text", False)
        renamed = await update_canned_reply(tx.session, admin, shared.id, CannedReplyFields(shortcut="hi"))
        assert (renamed.shortcut, renamed.shared) == ("hi", True)
        await delete_canned_reply(tx.session, admin, shared.id)
        assert [r.shortcut for r in await list_canned_replies(tx.session, bob)] == []


async def test_an_api_key_manages_only_shared_replies(db: Database) -> None:
    admin, _, _ = await team(db)
    key = Actor(workspace_id=admin.workspace_id, workspace_slug=admin.workspace_slug, role=Role.ADMIN)
    async with db.transaction() as tx:
        with pytest.raises(InvalidInput):
            await create_canned_reply(tx.session, key, reply("personal"))
        created = await create_canned_reply(tx.session, key, reply("team", shared=True))
        assert [r.id for r in await list_canned_replies(tx.session, key)] == [created.id]
