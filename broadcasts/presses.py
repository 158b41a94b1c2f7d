"""A press of a broadcast's flow button (`callback_data` "bc:<broadcast>:<index>"), for the Telegram
edge: which flow to start. The data comes from the client, so it is trusted only as far as it
names a flow button of a broadcast of this workspace whose flow is still published."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts.content import parse_press_data
from broadcasts.models import Broadcast
from core.ids import FlowId, WorkspaceId
from flows.models import Flow


@dataclass(frozen=True)
class FlowPress:
    flow_id: FlowId
    label: str  # the button's text: what the person "said" by pressing it


async def resolve_broadcast_press(session: AsyncSession, workspace_id: WorkspaceId, data: str) -> FlowPress | None:
    """The flow the pressed button starts; None when the data names no such button."""
    pressed = parse_press_data(data)
    if pressed is None:
        return None
    broadcast_id, index = pressed
    buttons = await session.scalar(
        select(Broadcast.buttons).where(Broadcast.id == broadcast_id, Broadcast.workspace_id == workspace_id)
    )
    if buttons is None or index >= len(buttons):
        return None
    flow_id, label = buttons[index].get("flow_id"), buttons[index].get("label")
    if not isinstance(flow_id, int):
        return None
    live = await session.scalar(
        select(Flow.id).where(
            Flow.id == flow_id, Flow.workspace_id == workspace_id, Flow.published_version_id.is_not(None)
        )
    )
    return None if live is None else FlowPress(FlowId(live), str(label or ""))
