"""Plain factory functions with defaults for test data, and helpers for driving the admin."""

from __future__ import annotations

import itertools
import re
from functools import cache

from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import Membership, Operator, Workspace
from accounts.roles import Role
from accounts.secrets_hashing import hash_password
from core.config import HttpSettings, Settings

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)
Client = TestClient[web.Request, web.Application]


def import_all_models() -> None:
    """Register every table on Base.metadata (the migrations' env does the same)."""
    import accounts.models  # noqa: F401
    import billing.models  # noqa: F401
    import bots.ai.models  # noqa: F401
    import broadcasts.models  # noqa: F401
    import channels.telegram.models
    import channels.web_widget.models  # noqa: F401
    import conversations.models  # noqa: F401
    import flows.models  # noqa: F401
    import knowledge_base.models  # noqa: F401


def make_settings(**overrides: object) -> Settings:
    base = Settings(secret_key=SecretStr("test-secret-key"), http=HttpSettings(port=0), log_format="text")
    return base.model_copy(update=overrides)


@cache
def _password_hash() -> str:
    # argon2 is deliberately slow; hash the shared test password once per run.
    return hash_password(PASSWORD)


async def make_workspace(session: AsyncSession, *, slug: str | None = None, name: str | None = None) -> Workspace:
    number = next(_sequence)
    workspace = Workspace(slug=slug or f"ws-{number}", name=name or f"Workspace {number}")
    session.add(workspace)
    await session.flush()
    return workspace


async def make_operator(
    session: AsyncSession,
    *,
    workspace: Workspace | None = None,
    role: Role = Role.OPERATOR,
    email: str | None = None,
    locale: str | None = None,
) -> Operator:
    number = next(_sequence)
    operator = Operator(
        email=email or f"operator{number}@example.com",
        display_name=f"Operator {number}",
        password_hash=_password_hash(),
        locale=locale,
    )
    session.add(operator)
    await session.flush()
    if workspace is not None:
        session.add(Membership(workspace_id=workspace.id, operator_id=operator.id, role=role))
        await session.flush()
    return operator


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def csrf_token_of(client: Client, path: str = "/login") -> str:
    response = await client.get(path, allow_redirects=False)
    page = await response.text()
    match = _CSRF_META.search(page)
    assert match is not None, f"no CSRF token on {path} ({response.status})"
    return match.group(1)


async def log_in(client: Client, email: str, password: str = PASSWORD) -> str:
    """Log in through the real form; returns the session's CSRF token for later writes."""
    token = await csrf_token_of(client)
    response = await client.post(
        "/login", data={"email": email, "password": password, "_csrf": token, "next": "/"}, allow_redirects=False
    )
    assert response.status == 303, await response.text()
    return await csrf_token_of(client, "/workspaces/new")


async def make_actor(session: AsyncSession, *, role: Role = Role.ADMIN, workspace: Workspace | None = None) -> Actor:
    """A new operator with `role` in `workspace` (a new one by default), as services see them."""
    if workspace is None:
        workspace = await make_workspace(session)
    operator = await make_operator(session, workspace=workspace, role=role)
    return Actor(workspace_id=workspace.id, workspace_slug=workspace.slug, role=role, operator_id=operator.id)
