"""The Inbox page: the operators' three panes (conversation list, the open dialog with its composer,
the contact card), drawn by inbox.js over the JSON API (docs/inbox-api.md) and the live socket."""

from __future__ import annotations

from aiohttp import web

from accounts.groups import list_groups
from accounts.roles import Permission, can
from admin.identity import open_workspace
from admin.rendering import render_shell
from core.i18n import N_, gettext
from core.keys import database_key

routes = web.RouteTableDef()

CHANNEL_NAMES = {"web": N_("Web chat"), "telegram": N_("Telegram"), "whatsapp": N_("WhatsApp")}

# What inbox.js writes itself; `{name}` placeholders are filled in by the script.
SCRIPT_STRINGS = {
    "visitor_number": N_("Visitor #{id}"),
    "bot": N_("Bot"),
    "system": N_("System"),
    "operator_number": N_("Operator #{id}"),
    "internal_note": N_("Internal note"),
    "status_open": N_("Dialog open"),
    "status_snoozed": N_("Snoozed until {time}"),
    "status_closed": N_("Dialog closed"),
    "snoozed": N_("Dialog snoozed"),
    "owner_bot": N_("The bot is answering"),
    "owner_queue": N_("Waiting for an operator"),
    "assigned_to": N_("Assigned to {name}"),
    "assigned_to_you": N_("Assigned to you"),
    "sending": N_("Sending…"),
    "sent": N_("Sent"),
    "read": N_("Read"),
    "failed": N_("Not delivered: {reason}"),
    "failed_no_reason": N_("Not delivered."),
    "retry": N_("Retry"),
    "taken_by": N_("Taken by {name}"),
    "visitor_typing": N_("The visitor is typing…"),
    "no_conversations": N_("No conversations here."),
    "loading": N_("Loading…"),
    "error": N_("Something went wrong; try again."),
    "offline": N_("Reconnecting…"),
    "reply_placeholder": N_("Write a reply… Enter sends, Shift+Enter starts a new line"),
    "note_placeholder": N_("Write an internal note: only operators see it"),
    "uploading": N_("Uploading {name}…"),
    "remove_file": N_("Remove {name}"),
    "remove_tag": N_("Remove the tag {name}"),
    "add_tag": N_("Add a tag…"),
    "no_canned": N_("No saved replies match."),
    "notify_assigned": N_("A conversation was assigned to you"),
    "notify_message": N_("New message from {name}"),
    "load_of": N_("{load} of {capacity} dialogs"),
    "waiting": N_("{count} waiting"),
    "no_group": N_("No group"),
    "nobody_online": N_("Nobody is online."),
    "seconds": N_("{n} s"),
    "minutes": N_("{n} min"),
    "hours": N_("{n} h"),
    "days": N_("{n} d"),
    "to_group": N_("To the queue of {name}"),
    "online": N_("Online"),
    "away": N_("Away"),
    "offline_presence": N_("Offline"),
    "page_url": N_("Page"),
    "referrer": N_("Came from"),
    "browser": N_("Browser"),
    "language": N_("Language"),
    "first_seen": N_("First seen"),
    "last_seen": N_("Last seen"),
    "utm": N_("Campaign (UTM)"),
    "earlier": N_("Earlier conversations"),
    "no_earlier": N_("No earlier conversations."),
    "full_name": N_("Full name"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "saved": N_("Saved."),
    "choose_time": N_("Choose a date and time."),
    "unavailable": N_("Not available in this version yet."),
    **{f"channel_{value}": name for value, name in CHANNEL_NAMES.items()},
}


@routes.get("/w/{slug}/inbox")
async def inbox_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        visit.actor.require(Permission.WORK_INBOX)
        groups = await list_groups(tx.session, visit.actor)
    context = {
        "operator_id": visit.operator.id,
        "supervisor": can(visit.actor.role, Permission.MANAGE_OPERATORS),
        "groups": [{"id": group.id, "name": group.name} for group in groups],
        "channels": [(value, gettext(name)) for value, name in CHANNEL_NAMES.items()],
        "script_strings": {key: gettext(message) for key, message in SCRIPT_STRINGS.items()},
    }
    return await render_shell(request, "inbox.html", visit, "inbox", context)
