"""The `firstline` command: serve, demo, worker, migrate, create-operator, create-api-key. Every failure
ends in one readable line on stderr and a non-zero exit, never a traceback wall."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiohttp import web

from accounts.api_keys import issue_api_key
from accounts.bootstrap import ensure_workspace_with_admin
from accounts.models import Membership
from accounts.operators import create_operator, find_operator_by_email
from accounts.roles import Role
from accounts.workspaces import find_workspace_by_slug
from core.clock import SystemClock
from core.config import Settings, load_settings, with_secret_key
from core.db import Database, create_engine, unique_or
from core.errors import Conflict, DomainError, NotFound, StartupError
from core.log import configure_logging
from core.migrate import current_revision
from core.startup import prepare_database, running_database
from flows.store import ensure_demo_flows
from knowledge_base.demo import ensure_demo_articles

DEMO_SLUG = "demo"
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        # Servers log what they do; one-shot commands stay quiet unless something goes wrong.
        quiet = args.command not in (_serve, _demo, _worker)
        configure_logging("WARNING" if quiet else settings.log_level, settings.log_format)
        args.command(settings, args)
    except (StartupError, DomainError) as error:
        print(f"firstline: error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="firstline", description="Firstline customer conversation platform")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="migrate the database and serve the web app")
    serve.set_defaults(command=_serve)
    demo = commands.add_parser("demo", help="like serve, with the demo workspace and its admin ensured first")
    demo.set_defaults(command=_demo)
    for command in (serve, demo):
        command.add_argument("--host", help="listen address (default FIRSTLINE_HOST or 127.0.0.1)")
        command.add_argument("--port", type=int, help="listen port (default FIRSTLINE_PORT or 8080)")
    worker = commands.add_parser("worker", help="send broadcasts and run their scheduler, without the web app")
    worker.set_defaults(command=_worker)
    commands.add_parser("migrate", help="apply database migrations and exit").set_defaults(command=_migrate)
    operator = commands.add_parser("create-operator", help="create an operator (or add one to a workspace)")
    operator.add_argument("--email", required=True)
    operator.add_argument("--name", help="display name (default: the part of the email before @)")
    operator.add_argument("--workspace", required=True, metavar="SLUG")
    operator.add_argument("--role", choices=[role.value for role in Role], default=Role.ADMIN.value)
    operator.add_argument("--password", help="default: asked for on a terminal, else generated and printed")
    operator.set_defaults(command=_create_operator)
    api_key = commands.add_parser("create-api-key", help="create a workspace API key and print it once")
    api_key.add_argument("--workspace", required=True, metavar="SLUG")
    api_key.add_argument("--name", default="CLI key")
    api_key.add_argument("--role", choices=[role.value for role in Role], default=Role.ADMIN.value)
    api_key.set_defaults(command=_create_api_key)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    _run_server(settings, args, demo=False)


def _demo(settings: Settings, args: argparse.Namespace) -> None:
    _run_server(settings, args, demo=True)


def _run_server(settings: Settings, args: argparse.Namespace, *, demo: bool) -> None:
    # Imported here: the app's dependencies (aiogram's Bot API types above all) take seconds to load,
    # which the one-shot commands need not wait for.
    from core.app import build_app

    http = settings.http.model_copy(
        update={key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    )
    settings = with_secret_key(settings.model_copy(update={"http": http}))
    with running_database(settings) as ready:
        asyncio.run(prepare_database(ready))
        lines = asyncio.run(_ensure_demo(ready)) if demo else []
        banner = "\n".join(["", f"Firstline is running at {ready.http.base_url}", *lines, "Press Ctrl-C to stop.", ""])
        try:
            web.run_app(
                build_app(ready),
                host=ready.http.host,
                port=ready.http.port,
                print=lambda _: print(banner, flush=True),
                access_log=None,
            )
        finally:
            # A second Ctrl-C must not cut short the database shutdown that follows.
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    from broadcasts.worker import run_worker  # Imported here, as the app is: aiogram takes seconds to load.

    with running_database(with_secret_key(settings)) as ready:
        asyncio.run(prepare_database(ready))
        asyncio.run(run_worker(ready))


async def _ensure_demo(settings: Settings) -> list[str]:
    password = settings.admin.password.get_secret_value() if settings.admin.password is not None else None

    async def ensure(database: Database) -> list[str]:
        async with database.transaction() as tx:
            result = await ensure_workspace_with_admin(
                tx.session, slug=DEMO_SLUG, name="Demo", admin_email=settings.admin.email, admin_password=password
            )
            now = SystemClock().now()
            await ensure_demo_flows(tx.session, result.workspace.id, language=result.workspace.default_locale, at=now)
            await ensure_demo_articles(tx.session, result.workspace.id, at=now)
        if result.generated_password is not None:
            credential = f"{result.admin_email} / {result.generated_password}  (shown once; keep it)"
        elif password is not None:
            credential = f"{result.admin_email} / the password in FIRSTLINE_ADMIN_PASSWORD"
        else:
            credential = (
                f"{result.admin_email} (password printed at first start; set FIRSTLINE_ADMIN_PASSWORD to reset it)"
            )
        return [
            f"  admin login:  {credential}",
            f"  workspace:    {settings.http.base_url}/w/{DEMO_SLUG}/",
            f"  demo site:    {settings.http.base_url}/demo  (a page with the chat widget)",
        ]

    return await _with_database(settings, ensure)


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    with running_database(settings) as ready:
        asyncio.run(prepare_database(ready))
        revision = asyncio.run(_current_revision(ready))
    print(f"database schema is at revision {revision}")


async def _current_revision(settings: Settings) -> str | None:
    assert settings.database.url is not None
    engine = create_engine(settings.database.url, pool_size=1)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


def _create_operator(settings: Settings, args: argparse.Namespace) -> None:
    password = args.password
    generated = False
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password for the new operator: ")
    elif password is None:
        password, generated = secrets.token_urlsafe(12), True

    async def create(database: Database) -> str:
        async with database.transaction() as tx:
            workspace = await find_workspace_by_slug(tx.session, args.workspace)
            if workspace is None:
                raise NotFound("Workspace {slug} not found.", slug=args.workspace)
            operator = await find_operator_by_email(tx.session, args.email)
            outcome = f"added existing operator {args.email} to {args.workspace} as {args.role}"
            if operator is None:
                name = args.name or args.email.split("@")[0]
                operator = await create_operator(tx.session, email=args.email, display_name=name, password=password)
                outcome = f"created operator {operator.email} in {args.workspace} as {args.role}"
                if generated:
                    outcome += f"; password: {password}"
            membership = Membership(workspace_id=workspace.id, operator_id=operator.id, role=args.role)
            async with unique_or(
                tx.session,
                Conflict("{email} is already a member of {slug}.", email=operator.email, slug=args.workspace),
            ):
                tx.session.add(membership)
        return outcome

    print(_run_with_database(settings, create))


def _create_api_key(settings: Settings, args: argparse.Namespace) -> None:
    async def create(database: Database) -> str:
        async with database.transaction() as tx:
            workspace = await find_workspace_by_slug(tx.session, args.workspace)
            if workspace is None:
                raise NotFound("Workspace {slug} not found.", slug=args.workspace)
            key = await issue_api_key(
                tx.session, workspace_id=workspace.id, name=args.name, role=Role(args.role), created_by=None
            )
        return key.key

    key = _run_with_database(settings, create)
    print(key)
    print(f"(this {args.role} key for workspace {args.workspace} is shown only now)", file=sys.stderr)


def _run_with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    with running_database(settings) as ready:
        asyncio.run(prepare_database(ready))
        return asyncio.run(_with_database(ready, work))


async def _with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    assert settings.database.url is not None  # set by running_database
    engine = create_engine(settings.database.url, pool_size=2)
    try:
        return await work(Database.from_engine(engine))
    finally:
        await engine.dispose()
