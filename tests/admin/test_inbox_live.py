"""Operators hear inbox changes live: tagging, snoozing and waking a dialog each push a
`conversation` frame with its whole state (docs/inbox-api.md, live events)."""

import asyncio
from datetime import UTC, datetime, timedelta

from aiohttp import ClientWebSocketResponse

from accounts.api_keys import issue_api_key
from accounts.roles import Role
from conversations.lifecycle import wake_snoozed
from core.db import Database
from tests.conversations.inbox_data import make_conversation, make_tag
from tests.factories import Client, make_workspace


async def next_conversation_frame(socket: ClientWebSocketResponse) -> dict[str, object]:
    async with asyncio.timeout(10):
        while True:
            frame = await socket.receive_json()
            if frame["type"] == "conversation":
                return dict(frame)


async def test_tagging_snoozing_and_waking_reach_operators_live(live_client: Client, committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        key = await issue_api_key(tx.session, workspace_id=workspace.id, name="test", role=Role.ADMIN, created_by=None)
        conversation = await make_conversation(tx.session, workspace.id)
        tag = await make_tag(tx.session, workspace.id, "vip")
    headers = {"Authorization": f"Bearer {key.key}"}
    operators = await live_client.ws_connect("/api/v1/socket", headers=headers)
    url = f"/api/v1/conversations/{conversation.id}"
    state = {
        "workspace_id": workspace.id,
        "conversation_id": conversation.id,
        "owner": "queue",
        "assignee_id": None,
        "group_id": None,
    }

    assert (await live_client.post(f"{url}/tags", json={"tag_id": tag.id}, headers=headers)).status == 200
    assert await next_conversation_frame(operators) == {"type": "conversation", "status": "open", **state}

    until = datetime.now(UTC) + timedelta(minutes=5)
    assert (await live_client.post(f"{url}/snooze", json={"until": until.isoformat()}, headers=headers)).status == 200
    assert await next_conversation_frame(operators) == {"type": "conversation", "status": "snoozed", **state}

    async with committed_db.transaction() as tx:
        assert await wake_snoozed(tx.session, until) == [conversation.id]
    assert await next_conversation_frame(operators) == {"type": "conversation", "status": "open", **state}
    await operators.close()
