"""The AI bot's answer in the flow editor's preview: the real pipeline over the workspace's
knowledge base, with nothing stored or metered — what the visitor would read, and the result the
flow would get."""

from __future__ import annotations

from bots.ai.delivery import answer_with_links, handoff_line
from bots.ai.pipeline import AnswerPipeline, Asked
from bots.ai.settings import AIConfig
from core.ids import WorkspaceId
from flows.events import AIOutcome


async def preview_answer(
    pipeline: AnswerPipeline,
    config: AIConfig,
    workspace_id: WorkspaceId,
    workspace_slug: str,
    question: str,
    language: str,
) -> tuple[str, AIOutcome, str | None]:
    outcome = await pipeline.answer(Asked(workspace_id, workspace_slug, question, language), config)
    if outcome.answered:
        return answer_with_links(outcome, config), AIOutcome.ANSWERED, None
    return handoff_line(outcome, config), AIOutcome.HANDOFF, outcome.reason
