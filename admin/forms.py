"""Reading submitted HTML forms, and the post-redirect-get pattern with errors flashed back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple

from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy

from admin.rendering import flash
from core.errors import DomainError, NotFound, Unauthenticated
from core.i18n import gettext

FormData = MultiDictProxy[str | bytes | bytearray | web.FileField]


def text_field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def int_fields(form: FormData, name: str) -> list[int]:
    return [int(value) for value in form.getall(name, []) if isinstance(value, str) and value.isdigit()]


def safe_next(target: str | None) -> str:
    """Only local paths: `next=//evil.example` or an absolute URL would make an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


class Done(NamedTuple):
    """A form action's success message and the page to show next (not the form's own)."""

    message: str
    then: str


async def submit_and_return(
    request: web.Request, back_to: str, action: Callable[[FormData], Awaitable[str | Done | None]]
) -> web.Response:
    """Run a form action; flash its message (or its error, translated) and redirect back (or, on
    success, where a `Done` says)."""
    form = await request.post()
    session = await get_session(request)
    try:
        message = await action(form)
    except (Unauthenticated, NotFound):
        raise
    except DomainError as error:
        flash(session, error.translated(gettext), kind="error")
    else:
        if isinstance(message, Done):
            flash(session, message.message, kind="success")
            raise web.HTTPSeeOther(message.then)
        if message is not None:
            flash(session, message, kind="success")
    raise web.HTTPSeeOther(back_to)
