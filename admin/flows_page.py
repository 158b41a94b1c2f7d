"""The Flows pages (admins): the workspace's flows with their state (draft, live version, errors) and
a form to create one; the editor of one flow (its JSON, the graph drawn from it, a preview chat,
publishing and versions), drawn by flow_editor.js over the flows API (docs/flows-api.md)."""

from __future__ import annotations

from aiohttp import web

from accounts.roles import Permission
from admin.flows_api import starter_flow
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace
from admin.rendering import render_shell
from core.i18n import N_, active_locale, gettext
from core.ids import FlowId
from core.keys import database_key
from flows.samples import welcome_flow
from flows.store import access_flow, create_flow, list_flows
from flows.values import JsonValue

routes = web.RouteTableDef()

# What flow_editor.js writes itself; `{name}` placeholders are filled in by the script.
SCRIPT_STRINGS = {
    "unsaved": N_("Unsaved changes"),
    "saving": N_("Saving…"),
    "saved": N_("Draft saved."),
    "saved_with_errors": N_("Draft saved. Errors to fix before publishing: {count}."),
    "not_saved_shape": N_("Not saved: the JSON is not a flow's shape. The saved draft is unchanged."),
    "json_syntax": N_("The JSON does not parse: {reason}"),
    "json_syntax_at": N_("The JSON does not parse at line {line}, column {column}: {reason}"),
    "no_errors": N_("No errors: the draft can be published."),
    "the_top": N_("the top"),
    "graph_stale": N_("The graph shows the last JSON that parsed."),
    "no_nodes": N_("No nodes yet."),
    "missing_node": N_("missing"),
    "start": N_("start"),
    "node_counters": N_("in {entered} · left {dropped}"),
    "published": N_("Version {number} is live."),
    "not_published": N_("Not published: fix the errors first."),
    "rolled_back": N_("Version {number} is live again."),
    "turned_off": N_("The flow is off: new dialogs do not start it."),
    "status_live": N_("Live: version {number}"),
    "status_off": N_("Off"),
    "status_draft": N_("Not published yet"),
    "live": N_("live"),
    "roll_back": N_("Roll back to this version"),
    "version": N_("Version {number}"),
    "no_versions": N_("No versions yet: publish the draft to make one."),
    "confirm_turn_off": N_("Turn the flow off? Dialogs already in it finish on their version."),
    "confirm_delete": N_("Delete this flow and all its versions? This cannot be undone."),
    "confirm_roll_back": N_("Make version {number} the live one?"),
    "renamed": N_("Renamed."),
    "error": N_("Something went wrong; try again."),
    "preview_idle": N_("Start the preview to talk to the saved draft as a visitor would."),
    "preview_saving": N_("Saving the draft first…"),
    "preview_ignored": N_("The run was not waiting for that: nothing happened."),
    "preview_ended": N_("The run ended: {reason}."),
    "preview_waiting_timer": N_("The run waits for a timer."),
    "preview_waiting_webhook": N_("The run waits for the webhook's answer."),
    "fire_timer": N_("Fire the timer now"),
    "webhook_ok": N_("Webhook answered"),
    "webhook_failed": N_("Webhook failed"),
    "webhook_timeout": N_("Webhook timed out"),
    "finish_completed": N_("completed"),
    "finish_handed_off": N_("handed off to operators"),
    "finish_closed": N_("the dialog was closed"),
    "finish_switched_flow": N_("switched to another flow"),
    "finish_gave_up": N_("gave up after wrong answers"),
    "finish_timed_out": N_("timed out"),
    "finish_runaway": N_("stopped: too many messages without the visitor"),
    "finish_broken": N_("an edge leads to a missing node"),
}


@routes.get("/w/{slug}/flows")
async def flows_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        flows = await list_flows(tx.session, visit.actor)
    return await render_shell(request, "flows.html", visit, "flows", {"flows": flows})


@routes.post("/w/{slug}/flows")
async def create_flow_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> None:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)  # and the operator's language for the texts
            flow = await create_flow(tx.session, visit.actor, text_field(form, "name"), _first_draft(form))
        raise web.HTTPSeeOther(f"{_page(request)}/{flow.id}")

    return await submit_and_return(request, _page(request), create)


@routes.get(r"/w/{slug}/flows/{flow_id:\d+}")
async def flow_editor_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        visit.actor.require(Permission.MANAGE_FLOWS)
        flow = await access_flow(tx.session, visit.actor, FlowId(int(request.match_info["flow_id"])))
    context = {
        "flow": {"id": flow.id, "name": flow.name},
        "script_strings": {key: gettext(message) for key, message in SCRIPT_STRINGS.items()},
    }
    return await render_shell(request, "flow_editor.html", visit, "flows", context)


def _first_draft(form: FormData) -> dict[str, JsonValue]:
    return welcome_flow(active_locale()) if text_field(form, "start_with") == "welcome" else starter_flow()


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/flows"
