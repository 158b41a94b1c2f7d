"""The Unanswered questions page (editors and admins, under Knowledge base): what visitors asked that
the AI bot could not answer from the articles, or answered unhelpfully, grouped by topic, the most
asked first; each group links to a new article titled with its question, or is dismissed."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from admin.forms import FormData, int_fields, submit_and_return
from admin.identity import open_workspace
from admin.rendering import render_shell
from bots.ai.grouping import QuestionGroup, group_questions
from bots.ai.pipeline import Reason
from bots.ai.unanswered import PERIOD, UNHELPFUL, dismiss_unanswered, list_unanswered
from core.i18n import N_, ngettext
from core.ids import AIAnswerId
from core.keys import clock_key, database_key

routes = web.RouteTableDef()
PAGE = "/w/{slug}/knowledge-base/unanswered"

REASON_NAMES = {
    Reason.WEAK_EVIDENCE.value: N_("No article matched well enough"),
    Reason.NOT_IN_KNOWLEDGE_BASE.value: N_("The articles found do not answer it"),
    UNHELPFUL: N_("The visitor said the answer did not help"),
}


def new_article_link(slug: str, group: QuestionGroup) -> str:
    """The knowledge base's New article form, titled with the group's question, in its language."""
    query = urlencode({"title": group.question[:200], "language": group.language})
    return f"/w/{slug}/knowledge-base?{query}"


@routes.get(PAGE)
async def unanswered_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        questions = await list_unanswered(tx.session, visit.actor, now=request.app[clock_key].now())
    # CPU-bound (cosines of a few hundred vectors): off the event loop, after the transaction.
    groups = await asyncio.to_thread(group_questions, questions)
    slug = visit.actor.workspace_slug
    context = {
        "groups": groups,
        "links": [new_article_link(slug, group) for group in groups],
        "reason_names": REASON_NAMES,
        "period_days": PERIOD.days,
    }
    return await render_shell(request, "unanswered.html", visit, "knowledge-base", context)


@routes.post(PAGE + "/dismiss")
async def dismiss_form(request: web.Request) -> web.StreamResponse:
    async def dismiss(form: FormData) -> str:
        ids = [AIAnswerId(answer_id) for answer_id in int_fields(form, "answer_id")]
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            count = await dismiss_unanswered(tx.session, visit.actor, ids, at=request.app[clock_key].now())
        return ngettext("Dismissed %(num)d question.", "Dismissed %(num)d questions.", count) % {"num": count}

    return await submit_and_return(request, f"/w/{request.match_info['slug']}/knowledge-base/unanswered", dismiss)
