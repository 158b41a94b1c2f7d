"""The AI bot settings page (admins, under Settings): on or off, its name and tone, the evidence
threshold below which it hands off, stop topics, the question gap for billing, whether it answers a
first message itself, and the model endpoint (its key write-only). A refused form comes back with
what was typed and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from aiohttp import web
from aiohttp_session import get_session

from accounts.roles import Permission
from admin.ai_settings_api import SettingsView, access_ai_settings
from admin.forms import FormData, text_field
from admin.identity import open_workspace
from admin.rendering import flash, render_shell
from bots.ai.settings import MAX_INSTRUCTIONS, SettingsUpdate, save_ai_settings
from core.errors import InvalidInput
from core.i18n import N_, gettext
from core.keys import clock_key, database_key, secret_box_key

routes = web.RouteTableDef()
PAGE = "/w/{slug}/settings/ai-bot"

# What a field is called on the page, for messages naming it ("{field} is longer than …").
FIELD_LABELS = {
    "bot_name": N_("Bot name"),
    "instructions": N_("Tone and instructions"),
    "threshold": N_("Evidence threshold"),
    "stop_topics": N_("Stop topics"),
    "question_gap_minutes": N_("Question gap, minutes"),
    "base_url": N_("Base URL"),
    "model": N_("Model"),
    "api_key": N_("API key"),
}


@dataclass(frozen=True)
class AIBotForm:
    """The form as stored or as typed; numbers stay text so a refused value is shown as typed. The
    key typed into it is never part of it: it is not shown back."""

    enabled: bool
    bot_name: str
    instructions: str
    threshold: str
    stop_topics: str  # one per line
    question_gap_minutes: str
    answers_first_message: bool
    base_url: str
    model: str
    remove_key: bool = False
    key_typed: bool = False  # a refused form had a key typed in: it must be typed again

    @classmethod
    def of(cls, view: SettingsView) -> AIBotForm:
        return cls(
            enabled=view.enabled,
            bot_name=view.bot_name,
            instructions=view.instructions,
            threshold=_decimal(view.threshold),
            stop_topics="\n".join(view.stop_topics),
            question_gap_minutes=str(view.question_gap_minutes),
            answers_first_message=view.answers_first_message,
            base_url=view.base_url or "",
            model=view.model or "",
        )

    @classmethod
    def from_post(cls, form: FormData) -> tuple[AIBotForm, str]:
        """The form and the key typed ("" for none)."""
        typed = cls(
            enabled=text_field(form, "enabled") == "on",
            bot_name=text_field(form, "bot_name"),
            instructions=text_field(form, "instructions"),
            threshold=text_field(form, "threshold").strip(),
            stop_topics=text_field(form, "stop_topics"),
            question_gap_minutes=text_field(form, "question_gap_minutes").strip(),
            answers_first_message=text_field(form, "answers_first_message") == "on",
            base_url=text_field(form, "base_url").strip(),
            model=text_field(form, "model").strip(),
            remove_key=text_field(form, "remove_key") == "on",
        )
        return typed, text_field(form, "api_key").strip()

    def update(self, api_key: str) -> SettingsUpdate:
        """What to save: an empty key field keeps the stored key; "remove key" drops it."""
        if self.model and not self.base_url:
            raise InvalidInput(N_("A model endpoint needs both a base URL and a model name."), field="base_url")
        return SettingsUpdate(
            enabled=self.enabled,
            bot_name=self.bot_name,
            instructions=self.instructions,
            threshold=_threshold(self.threshold),
            stop_topics=self.stop_topics.splitlines(),
            answers_first_message=self.answers_first_message,
            question_gap_minutes=_minutes(self.question_gap_minutes),
            base_url=self.base_url,  # "": no endpoint, extractive answers
            model=self.model,
            api_key=api_key or ("" if self.remove_key else None),
        )


@routes.get(PAGE)
async def ai_settings_page(request: web.Request) -> web.StreamResponse:
    return await _render(request)


@routes.post(PAGE)
async def ai_settings_form(request: web.Request) -> web.StreamResponse:
    typed, api_key = AIBotForm.from_post(await request.post())
    try:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            visit.actor.require(Permission.MANAGE_WORKSPACE)
            await save_ai_settings(
                tx.session,
                visit.actor.workspace_id,
                typed.update(api_key),
                request.app[secret_box_key],
                at=request.app[clock_key].now(),
            )
    except InvalidInput as error:
        # Shown again with what was typed (a redirect would lose it); the field says what is wrong.
        flash(await get_session(request), gettext("Nothing was saved: correct the marked fields."), kind="error")
        field = str(error.params.get("field", ""))
        field = field if field in FIELD_LABELS else ""  # "": said above the form
        typed = replace(typed, key_typed=bool(api_key))
        return await _render(request, typed, errors={field: _readable(error)}, status=400)
    flash(await get_session(request), gettext("Saved."), kind="success")
    raise web.HTTPSeeOther(f"/w/{request.match_info['slug']}/settings/ai-bot")


async def _render(
    request: web.Request,
    typed: AIBotForm | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        view = await access_ai_settings(tx.session, visit.actor)
    context = {
        "form": typed or AIBotForm.of(view),
        "stored": view,
        "errors": errors or {},
        "max_instructions": MAX_INSTRUCTIONS,
    }
    response = await render_shell(request, "ai_settings.html", visit, "settings", context)
    response.set_status(status)
    return response


def _readable(error: InvalidInput) -> str:
    """The error in the operator's language, naming the field as the page does."""
    params = dict(error.params)
    label = FIELD_LABELS.get(str(params.get("field", "")))
    if label is not None:
        params["field"] = gettext(label)
    return gettext(error.template).format(**params)


def _decimal(value: float) -> str:
    """0.8 as "0.80"; a value set finer through the API (0.825) as it is, so saving keeps it."""
    return f"{value:.2f}" if round(value, 2) == value else repr(value)


def _threshold(text: str) -> float:
    try:
        return float(text.replace(",", "."))  # 0,85 as Russian writes it
    except ValueError:
        raise InvalidInput(N_("The evidence threshold must be between 0 and 1."), field="threshold") from None


def _minutes(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(N_("The question gap must be between 0 and 43200 minutes."), field="question_gap_minutes")
    return int(text)
