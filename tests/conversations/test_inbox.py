"""The inbox on real PostgreSQL: views, filters, full-text search on the GIN index, keyset pages that
never skip or repeat a dialog, counts, and what an operator of a restricted workspace may see."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from accounts.actors import Actor
from accounts.models import Workspace
from accounts.roles import Role
from conversations.access import access_conversation
from conversations.inbox import PAGE_SIZE, InboxFilter, _matches, check_filter, inbox_counts, inbox_page
from conversations.messages import append_message
from conversations.models import Conversation
from core.db import Database
from core.errors import InvalidInput, NotFound
from core.ids import ConversationId, GroupId, TagId
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

EVERYTHING = InboxFilter()


async def workspace_with_admin(db: Database) -> tuple[Workspace, Actor]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        return workspace, await make_actor(tx.session, workspace=workspace)


async def ids_in(db: Database, actor: Actor, view: str, filters: InboxFilter = EVERYTHING) -> list[int]:
    async with db.transaction() as tx:
        page = await inbox_page(tx.session, actor, view, filters)
    return [int(str(summary["id"])) for summary in page.conversations]


async def test_each_view_holds_its_dialogs_and_the_counts_agree(db: Database) -> None:
    workspace, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        assert admin.operator_id is not None
        waiting = await make_conversation(tx.session, workspace.id, owner="queue")
        mine = await make_conversation(tx.session, workspace.id, owner="operator", assignee_id=admin.operator_id)
        with_bot = await make_conversation(tx.session, workspace.id, owner="bot")
        snoozed = await make_conversation(tx.session, workspace.id, status="snoozed")
        closed = await make_conversation(tx.session, workspace.id, status="closed")
    assert await ids_in(db, admin, "unassigned") == [waiting.id]
    assert await ids_in(db, admin, "mine") == [mine.id]
    assert sorted(await ids_in(db, admin, "open")) == sorted([waiting.id, mine.id, with_bot.id])
    assert await ids_in(db, admin, "snoozed") == [snoozed.id]
    assert await ids_in(db, admin, "closed") == [closed.id]
    async with db.transaction() as tx:
        counts = await inbox_counts(tx.session, admin, EVERYTHING)
    assert counts == {"unassigned": 1, "mine": 1, "open": 3, "snoozed": 1, "closed": 1}


async def test_a_summary_has_the_documented_shape(db: Database) -> None:
    workspace, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        assert admin.operator_id is not None
        contact = await make_contact(tx.session, workspace.id, name="Ann", email="ann@example.com")
        conversation = await make_conversation(
            tx.session, workspace.id, contact=contact, owner="operator", assignee_id=admin.operator_id
        )
        await append_message(tx.session, conversation, author="visitor", text="Second", at=NOON, status="received")
        await append_message(tx.session, conversation, author="note", text="Secret", at=NOON, status="sent")
        await put_tag(tx.session, conversation, await make_tag(tx.session, workspace.id, "billing", "#ff0000"))
        page = await inbox_page(tx.session, admin, "mine", EVERYTHING)
    [summary] = page.conversations
    assert summary["assignee"] == {"id": admin.operator_id, "name": summary["assignee"]["name"]}  # type: ignore[index]  # a dict here
    assert summary["tags"] == [{"id": summary["tags"][0]["id"], "name": "billing", "color": "#ff0000"}]  # type: ignore[index]  # a list here
    assert summary["contact"] == {"id": contact.id, "name": "Ann", "email": "ann@example.com"}
    assert (summary["preview"], summary["unread"]) == ("Second", 3)
    assert summary["last_message_at"] == NOON.isoformat()
    assert {"group_id", "queued_at", "snoozed_until", "owner", "status", "episode", "last_seq"} <= set(summary)
    assert page.next is None


async def test_pages_walk_every_dialog_once_newest_first_even_with_equal_times(db: Database) -> None:
    workspace, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        made = [
            await make_conversation(tx.session, workspace.id, at=NOON + timedelta(minutes=number % 7))
            for number in range(PAGE_SIZE + 12)
        ]
        silent = await make_conversation(tx.session, workspace.id, text=None)  # no message yet: shown first
    expected = [silent.id] + [c.id for c in sorted(made, key=lambda c: (c.last_message_at, c.id), reverse=True)]
    seen: list[int] = []
    before = None
    for _ in range(4):
        async with db.transaction() as tx:
            page = await inbox_page(tx.session, admin, "open", EVERYTHING, before=before)
        seen += [int(str(summary["id"])) for summary in page.conversations]
        before = page.next
        if before is None:
            break
    assert seen == expected


async def test_unassigned_dialogs_come_longest_waiting_first_across_pages(db: Database) -> None:
    workspace, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        made = [
            await make_conversation(tx.session, workspace.id, queued_at=NOON - timedelta(minutes=number % 5))
            for number in range(PAGE_SIZE + 3)
        ]
        never_queued = await make_conversation(tx.session, workspace.id, queued_at=None)
        first = await inbox_page(tx.session, admin, "unassigned", EVERYTHING)
        assert first.next is not None
        second = await inbox_page(tx.session, admin, "unassigned", EVERYTHING, before=first.next)
    expected = [c.id for c in sorted(made, key=lambda c: (c.queued_at, c.id))] + [never_queued.id]
    assert [s["id"] for s in first.conversations + second.conversations] == expected
    assert second.next is None


async def test_filters_by_group_tag_and_channel(db: Database) -> None:
    workspace, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        support = await make_group(tx.session, workspace, "Support")
        in_support = await make_conversation(tx.session, workspace.id, group_id=support.id)
        ungrouped = await make_conversation(tx.session, workspace.id, channel="telegram")
        vip = await make_tag(tx.session, workspace.id, "vip")
        await put_tag(tx.session, ungrouped, vip)
    assert await ids_in(db, admin, "open", InboxFilter(group_id=support.id)) == [in_support.id]
    assert await ids_in(db, admin, "open", InboxFilter(ungrouped=True)) == [ungrouped.id]
    assert await ids_in(db, admin, "open", InboxFilter(tag_id=vip.id)) == [ungrouped.id]
    assert await ids_in(db, admin, "open", InboxFilter(channel="telegram")) == [ungrouped.id]
    async with db.transaction() as tx:
        counts = await inbox_counts(tx.session, admin, InboxFilter(group_id=support.id))
    assert counts["open"] == 1


async def test_search_finds_words_of_messages_and_parts_of_contact_details(db: Database) -> None:
    workspace, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        refund = await make_conversation(tx.session, workspace.id, text="Where is my refund, please?")
        russian = await make_conversation(tx.session, workspace.id, text="Верните деньги за заказ")
        ann = await make_contact(tx.session, workspace.id, name="Ann Lee", email="ann@shop.example", phone="+7 900")
        by_contact = await make_conversation(tx.session, workspace.id, contact=ann, text="Hi")
        await make_conversation(tx.session, workspace.id, text="Nothing to see")
    assert await ids_in(db, admin, "open", check_filter(group=None, tag=None, channel=None, search="REFUND")) == [
        refund.id
    ]
    for query, expected in [("деньги", russian.id), ("lee", by_contact.id), ("SHOP.example", by_contact.id)]:
        assert await ids_in(db, admin, "open", InboxFilter(search=query)) == [expected], query
    assert await ids_in(db, admin, "open", InboxFilter(search="+7 9")) == [by_contact.id]
    assert await ids_in(db, admin, "open", InboxFilter(search="%")) == []  # a wildcard is just a character
    assert await ids_in(db, admin, "open", InboxFilter(search="!!!")) == []


async def test_message_search_uses_the_gin_index(db: Database) -> None:
    workspace, _ = await workspace_with_admin(db)
    async with db.transaction() as tx:
        await make_conversation(tx.session, workspace.id, text="refund")
        await tx.session.execute(text("SET LOCAL enable_seqscan = off"))
        query = select(Conversation.id).where(_matches("refund"))  # the exact condition the inbox runs
        compiled = query.compile(compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in await tx.session.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_messages_search" in plan


async def test_bad_filters_and_cursors_are_refused_with_the_field(db: Database) -> None:
    _, admin = await workspace_with_admin(db)
    bad = [
        {"group": "x", "tag": None, "channel": None, "search": None},
        {"group": None, "tag": "-1", "channel": None, "search": None},
        {"group": None, "tag": None, "channel": "fax", "search": None},
        {"group": None, "tag": None, "channel": None, "search": "x" * 201},
    ]
    for arguments in bad:
        with pytest.raises(InvalidInput):
            check_filter(**arguments)
    async with db.transaction() as tx:
        with pytest.raises(InvalidInput) as cursor:
            await inbox_page(tx.session, admin, "open", EVERYTHING, before="not a cursor")
        with pytest.raises(InvalidInput) as view:
            await inbox_page(tx.session, admin, "everything", EVERYTHING)
    assert (cursor.value.params["field"], view.value.params["field"]) == ("before", "view")


async def test_a_group_or_tag_of_another_workspace_is_not_found(db: Database) -> None:
    _, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        other = await make_workspace(tx.session)
        their_group = await make_group(tx.session, other, "Theirs")
        their_tag = await make_tag(tx.session, other.id, "theirs")
        with pytest.raises(NotFound):
            await inbox_page(tx.session, admin, "open", InboxFilter(group_id=their_group.id))
        with pytest.raises(NotFound):
            await inbox_counts(tx.session, admin, InboxFilter(tag_id=their_tag.id))
        with pytest.raises(NotFound):
            await inbox_page(tx.session, admin, "open", InboxFilter(tag_id=TagId(10**12)))


async def test_an_operator_of_a_restricted_workspace_sees_their_groups_no_group_and_their_own(db: Database) -> None:
    workspace, admin = await workspace_with_admin(db)
    async with db.transaction() as tx:
        operator = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        assert operator.operator_id is not None
        support = await make_group(tx.session, workspace, "Support", members=(operator.operator_id,))
        sales = await make_group(tx.session, workspace, "Sales")
        ours = await make_conversation(tx.session, workspace.id, group_id=support.id)
        nobodys = await make_conversation(tx.session, workspace.id)
        hidden = await make_conversation(tx.session, workspace.id, group_id=sales.id)
        given_to_me = await make_conversation(
            tx.session, workspace.id, group_id=sales.id, owner="operator", assignee_id=operator.operator_id
        )
    everyone = sorted([ours.id, nobodys.id, hidden.id, given_to_me.id])
    assert sorted(await ids_in(db, operator, "open")) == everyone  # not restricted yet
    async with db.transaction() as tx:
        await restrict_to_groups(tx.session, workspace)
    assert sorted(await ids_in(db, operator, "open")) == sorted([ours.id, nobodys.id, given_to_me.id])
    assert sorted(await ids_in(db, admin, "open")) == everyone
    async with db.transaction() as tx:
        assert (await inbox_counts(tx.session, operator, EVERYTHING))["open"] == 3
        with pytest.raises(NotFound):
            await access_conversation(tx.session, operator, hidden.id)
        with pytest.raises(NotFound):
            await access_conversation(tx.session, operator, hidden.id, for_update=True)
        with pytest.raises(NotFound):
            await inbox_page(tx.session, operator, "open", InboxFilter(group_id=sales.id))
        assert (await access_conversation(tx.session, operator, given_to_me.id)).id == given_to_me.id
        assert (await access_conversation(tx.session, admin, hidden.id)).id == hidden.id


async def test_an_api_key_with_the_operator_role_sees_only_dialogs_of_no_group_when_restricted(db: Database) -> None:
    workspace, _ = await workspace_with_admin(db)
    async with db.transaction() as tx:
        group = await make_group(tx.session, workspace, "Support")
        grouped = await make_conversation(tx.session, workspace.id, group_id=group.id)
        ungrouped = await make_conversation(tx.session, workspace.id)
        await restrict_to_groups(tx.session, workspace)
    key = Actor(workspace_id=workspace.id, workspace_slug=workspace.slug, role=Role.OPERATOR)
    assert await ids_in(db, key, "open") == [ungrouped.id]
    assert await ids_in(db, key, "mine") == []
    async with db.transaction() as tx:
        with pytest.raises(NotFound):
            await access_conversation(tx.session, key, ConversationId(grouped.id))
        with pytest.raises(NotFound):
            await inbox_page(tx.session, key, "open", InboxFilter(group_id=GroupId(group.id)))
