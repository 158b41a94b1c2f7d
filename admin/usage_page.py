"""The Usage page and `GET /api/v1/usage`: a billing period's metered figures, and how each is counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiohttp import web
from babel.dates import format_date
from babel.numbers import format_decimal

from accounts.roles import Permission
from admin.identity import api_actor, open_workspace
from admin.rendering import render_shell
from billing.periods import parse_period, period_start, previous_periods
from billing.reports import UsageSummary, usage_summary
from core.i18n import N_, active_locale
from core.keys import clock_key, database_key

routes = web.RouteTableDef()
SELECTOR_MONTHS = 12

# Each card's label and its counting rule, in one sentence (PRODUCT.md, "Counting rules for billing").
VISITORS = (
    N_("Unique visitors"),
    N_("Each person with any activity in the month counts once, however many visits."),
)
AI_QUESTIONS = (
    N_("AI questions"),
    N_("A dialog the AI bot took part in counts as one question; writing after it was closed starts a new one."),
)
TELEGRAM_MESSAGES = (
    N_("Telegram messages"),
    N_("Every message sent through a Telegram bot counts: flows, broadcasts, single messages and operator replies."),
)
WHATSAPP_TEMPLATES = (
    N_("WhatsApp templates"),
    N_("Every template (HSM) message sent from broadcasts and flows counts."),
)


@dataclass(frozen=True)
class Figure:
    """One card: what is counted (translated in the template), the number, and the counting rule."""

    label: str
    rule: str
    value: str


@dataclass(frozen=True)
class PeriodLink:
    query: str
    name: str
    selected: bool


@routes.get("/w/{slug}/usage")
async def usage_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        visit.actor.require(Permission.VIEW_USAGE)
        summary = await usage_summary(
            tx.session, workspace_id=visit.actor.workspace_id, period=_requested_period(request)
        )
    context = {
        "period_name": _month_name(summary.period),
        "figures": _figures(summary),
        "periods": _period_links(_current_period(request), summary.period),
    }
    return await render_shell(request, "usage.html", visit, "usage", context)


@routes.get("/api/v1/usage")
async def usage(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.VIEW_USAGE)
        summary = await usage_summary(tx.session, workspace_id=actor.workspace_id, period=_requested_period(request))
    return web.json_response(
        {
            "period": f"{summary.period:%Y-%m}",
            "unique_visitors": summary.unique_visitors,
            "ai_questions": summary.ai_questions,
            "telegram_messages": summary.telegram_messages,
            "whatsapp_templates": summary.whatsapp_templates,
        }
    )


def _current_period(request: web.Request) -> date:
    return period_start(request.app[clock_key].now())


def _requested_period(request: web.Request) -> date:
    requested = request.query.get("period")
    return _current_period(request) if requested is None else parse_period(requested)


def _figures(summary: UsageSummary) -> list[Figure]:
    return [
        Figure(*VISITORS, value=_number(summary.unique_visitors)),
        Figure(*AI_QUESTIONS, value=_number(summary.ai_questions)),
        Figure(*TELEGRAM_MESSAGES, value=_number(summary.telegram_messages)),
        Figure(*WHATSAPP_TEMPLATES, value=_number(summary.whatsapp_templates)),
    ]


def _period_links(current: date, selected: date) -> list[PeriodLink]:
    return [
        PeriodLink(query=f"{period:%Y-%m}", name=_month_name(period), selected=period == selected)
        for period in previous_periods(current, SELECTOR_MONTHS)
    ]


def _number(value: int) -> str:
    return format_decimal(value, locale=active_locale())


def _month_name(period: date) -> str:
    # "LLLL": the month's standalone name ("ноябрь 2026", not the genitive "ноября").
    return format_date(period, "LLLL yyyy", locale=active_locale())
