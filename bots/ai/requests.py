"""A question a flow put to the AI bot: recorded in the turn's transaction (with a deadline timer),
answered after its commit, the answer delivered to the run in a transaction of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.ids import ConversationId, FlowRunId, WorkspaceId

# The deadline timer: should the answering process die, the run hands off with "ai-error" then.
# Longer than the model's own timeout and retries, so a slow but working answer is not pre-empted.
AI_DEADLINE = timedelta(seconds=90)
TIMER_KIND = "ai"


@dataclass(frozen=True)
class AIRequest:
    workspace_id: WorkspaceId
    conversation_id: ConversationId
    run_id: FlowRunId
    request_id: str
    question: str

    @property
    def key(self) -> str:
        """Unique per workspace: the answer is stored once however often delivery is tried."""
        return f"run:{self.run_id}:{self.request_id}"
