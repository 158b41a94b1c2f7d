"""Login, logout, accepting an invitation, and switching the interface language."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from accounts.authentication import attempt_login
from accounts.invitations import accept_invitation, find_open_invitation
from accounts.login_policy import WINDOW
from accounts.operators import SUPPORTED_LOCALES
from admin.forms import safe_next, text_field
from admin.identity import end_session, optional_operator, start_session
from admin.rendering import render_page
from core.errors import DomainError
from core.i18n import LANGUAGE_COOKIE, gettext
from core.keys import clock_key, database_key, settings_key

routes = web.RouteTableDef()


@routes.get("/login", name="login")
async def login_form(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        operator = await optional_operator(request, tx.session)
    if operator is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return await render_page(request, "login.html", {"next": safe_next(request.query.get("next")), "email": ""})


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email, next_path = text_field(form, "email"), safe_next(text_field(form, "next"))
    async with request.app[database_key].transaction() as tx:
        outcome = await attempt_login(
            tx.session,
            email=email,
            password=text_field(form, "password"),
            ip=request.remote or "unknown",
            clock=request.app[clock_key],
        )
        if outcome.operator is not None:
            await start_session(request, outcome.operator)
    if outcome.operator is not None:
        raise web.HTTPSeeOther(next_path)
    if outcome.throttled:
        message = gettext("Too many login attempts. Try again in {minutes} minutes.").format(
            minutes=int(WINDOW.total_seconds() // 60)
        )
        status = 429
    else:
        message = gettext("Wrong email or password.")
        status = 401
    context = {"next": next_path, "email": email, "error": message}
    return await render_page(request, "login.html", context, status=status)


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await end_session(request)
    raise web.HTTPSeeOther("/login")


@routes.get("/invite/{token}")
async def invitation_form(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        _, operator = await find_open_invitation(tx.session, request.match_info["token"], clock=request.app[clock_key])
    return await render_page(request, "invite.html", {"email": operator.email})


@routes.post("/invite/{token}")
async def accept_invitation_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    password = text_field(form, "password")
    if password != text_field(form, "password_again"):
        return await _invitation_error(request, gettext("The two passwords differ."))
    try:
        async with request.app[database_key].transaction() as tx:
            operator = await accept_invitation(
                tx.session, request.match_info["token"], password, clock=request.app[clock_key]
            )
            await start_session(request, operator)
    except DomainError as error:
        if error.http_status == 404:
            raise
        return await _invitation_error(request, error.translated(gettext))
    raise web.HTTPSeeOther("/")


async def _invitation_error(request: web.Request, message: str) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        _, operator = await find_open_invitation(tx.session, request.match_info["token"], clock=request.app[clock_key])
    return await render_page(request, "invite.html", {"email": operator.email, "error": message}, status=400)


@routes.post("/language")
async def choose_language(request: web.Request) -> web.StreamResponse:
    """Anonymous visitors keep the choice in a cookie; a logged-in operator's profile stores it."""
    form = await request.post()
    locale = text_field(form, "locale")
    response = web.HTTPSeeOther(safe_next(text_field(form, "next")))
    if locale in SUPPORTED_LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            locale,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.app[settings_key].http.is_https,
        )
        async with request.app[database_key].transaction() as tx:
            operator = await optional_operator(request, tx.session)
            if operator is not None:
                operator.locale = locale
    (await get_session(request)).changed()
    raise response
