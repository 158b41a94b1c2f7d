"""Two `firstline serve` processes, each with its own assigner and bot, on one database. Issue 4: 50
dialogs wait while 5 operators of capacity 3 come online at once, some through each process; every
dialog is assigned at most once, nobody gets more than 3, the 15 longest-waiting go first; an
operator who goes offline sends exactly their dialogs back to the queue. Issue 5: a flow's wait
timer, claimed by both processes' ticks, fires once."""

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import func, select

from accounts.groups import configure_group, create_group, set_operator_groups
from accounts.presence import set_capacity
from accounts.roles import Role
from conversations.models import Conversation, Message
from core.db import Database
from core.ids import ConversationId, OperatorId
from flows.store import create_flow, publish
from tests.conversations.test_assignment import queue_dialogs
from tests.factories import PASSWORD, make_actor, make_operator, make_workspace
from tests.journeys.test_two_processes import receive, two_servers  # noqa: F401  (the fixture)

OPERATORS, CAPACITY, DIALOGS = 5, 3, 50
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def logged_in(http: aiohttp.ClientSession, base: str, email: str) -> dict[str, str]:
    """Log in through the form; the headers for the JSON API as this operator."""
    page = await (await http.get(f"{base}/login")).text()
    token = CSRF.search(page)
    assert token is not None
    form = {"email": email, "password": PASSWORD, "_csrf": token.group(1), "next": "/"}
    response = await http.post(f"{base}/login", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    page = await (await http.get(f"{base}/workspaces/new")).text()
    token = CSRF.search(page)
    assert token is not None
    return {"X-CSRF-Token": token.group(1), "X-Workspace": "acme"}


async def loads(db: Database, dialogs: list[ConversationId]) -> dict[ConversationId, OperatorId | None]:
    async with db.transaction() as tx:
        rows = await tx.session.execute(
            select(Conversation.id, Conversation.assignee_id).where(Conversation.id.in_(dialogs))
        )
        return {ConversationId(row[0]): row[1] for row in rows}


async def settled(
    db: Database, dialogs: list[ConversationId], assigned: int
) -> dict[ConversationId, OperatorId | None]:
    """The assignees once `assigned` dialogs have one (the assigners run in the servers)."""
    for _ in range(150):
        current = await loads(db, dialogs)
        if sum(1 for assignee in current.values() if assignee is not None) >= assigned:
            await asyncio.sleep(0.5)  # and nothing more arrives a moment later
            return await loads(db, dialogs)
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {assigned} dialogs were assigned: {await loads(db, dialogs)}")


async def test_operators_coming_online_through_two_processes_get_each_dialog_once(
    committed_db: Database,
    two_servers: tuple[str, str],  # noqa: F811  (the fixture)
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        admin = await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)
        group = await create_group(tx.session, admin, "Support")
        await configure_group(
            tx.session, admin, group.id, policy="round_robin", requeue_on_offline=True, is_default=True
        )
        emails, operator_ids = [], []
        for _ in range(OPERATORS):
            operator = await make_operator(tx.session, workspace=workspace)
            await set_operator_groups(tx.session, admin, operator.id, [group.id])
            await set_capacity(tx.session, admin, operator.id, CAPACITY)
            emails.append(operator.email)
            operator_ids.append(operator.id)
    dialogs = await queue_dialogs(committed_db, admin, group.id, DIALOGS)  # the first waited longest

    # unsafe: keep cookies set by an IP address (the servers listen on 127.0.0.1)
    sessions = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in emails]
    try:
        bases = [two_servers[index % 2] for index in range(OPERATORS)]
        headers = [
            await logged_in(http, base, email) for http, base, email in zip(sessions, bases, emails, strict=True)
        ]
        answers = await asyncio.gather(
            *(
                http.put(f"{base}/api/v1/presence", json={"presence": "online"}, headers=header)
                for http, base, header in zip(sessions, bases, headers, strict=True)
            )
        )
        assert [answer.status for answer in answers] == [200] * OPERATORS

        assignees = await settled(committed_db, dialogs, OPERATORS * CAPACITY)
        per_operator = Counter(assignee for assignee in assignees.values() if assignee is not None)
        assert sum(per_operator.values()) == OPERATORS * CAPACITY
        assert sorted(per_operator.values()) == [CAPACITY] * OPERATORS  # nobody above capacity
        taken = [dialog for dialog in dialogs if assignees[dialog] is not None]
        assert taken == dialogs[: OPERATORS * CAPACITY]  # the longest-waiting first

        leaving, base, header = sessions[0], bases[0], headers[0]
        theirs = {dialog for dialog, assignee in assignees.items() if assignee == operator_ids[0]}
        assert len(theirs) == CAPACITY
        answer = await leaving.put(f"{base}/api/v1/presence", json={"presence": "offline"}, headers=header)
        assert answer.status == 200
        for _ in range(100):
            after = await loads(committed_db, dialogs)
            if all(after[dialog] is None for dialog in theirs):
                break
            await asyncio.sleep(0.1)
        assert {dialog for dialog in taken if after[dialog] is None} == theirs  # exactly theirs went back
        assert all(after[dialog] == assignees[dialog] for dialog in taken if dialog not in theirs)
    finally:
        await asyncio.gather(*(http.close() for http in sessions))


WAIT_FLOW = {
    "schema": 1,
    "start": "hello",
    "triggers": [{"type": "chat_opened"}],
    "nodes": [
        {"kind": "message", "id": "hello", "text": "Hello!", "next": "pause"},
        {"kind": "wait", "id": "pause", "seconds": 2, "next": "later"},
        {"kind": "message", "id": "later", "text": "Still there?"},
    ],
}


async def test_a_wait_timer_fires_once_with_two_processes_ticking(
    committed_db: Database,
    two_servers: tuple[str, str],  # noqa: F811  (the fixture)
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        admin = await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)
        flow = await create_flow(tx.session, admin, "Nudge", WAIT_FLOW)
        await publish(tx.session, admin, flow.id, at=datetime.now(UTC))
    async with aiohttp.ClientSession() as http:
        widgets = []
        for base in two_servers:  # one visitor on each process
            session = await (await http.post(f"{base}/widget/v1/acme/session", json={})).json()
            widget = await http.ws_connect(f"{base}/widget/v1/acme/socket")
            await widget.send_json({"type": "hello", "token": session["token"], "last_seq": 0})
            await receive(widget, lambda frame: frame["type"] == "ready")
            await widget.send_json({"type": "open"})
            widgets.append(widget)
        for widget in widgets:
            nudge = await receive(widget, lambda frame: frame["type"] == "message" and frame["message"]["seq"] == 2)
            assert nudge["message"]["text"] == "Still there?"
            await widget.close()
    await asyncio.sleep(2.5)  # both processes ticked again: a second firing would show now
    async with committed_db.transaction() as tx:
        nudges = await tx.session.scalar(
            select(func.count()).select_from(Message).where(Message.body == "Still there?")
        )
    assert nudges == 2  # one per visitor, never twice
