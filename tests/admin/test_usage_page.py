"""The Usage page and `GET /api/v1/usage`: a period's figures in the operator's language, admins only."""

from datetime import UTC, datetime

import pytest
from pytest_aiohttp import AiohttpClient

from accounts.api_keys import issue_api_key
from accounts.roles import Role
from billing.meter import Metric, record_usage
from billing.visitors import record_visitor_activity
from core.app import build_app
from core.clock import FrozenClock
from core.db import Database
from tests.billing.factories import make_contact
from tests.factories import Client, log_in, make_operator, make_settings, make_workspace

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
IN_OCTOBER = datetime(2026, 10, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
async def usage_client(db: Database, aiohttp_client: AiohttpClient) -> Client:
    """The application with its clock in November 2026, and workspace `acme` with some usage."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        for role in Role:
            await make_operator(tx.session, workspace=workspace, role=role, email=f"{role.value}@example.com")
        for _ in range(3):
            contact = await make_contact(tx.session, workspace.id)
            await record_visitor_activity(tx.session, workspace_id=workspace.id, contact_id=contact, at=NOW)
        await record_usage(
            tx.session,
            workspace_id=workspace.id,
            metric=Metric.TELEGRAM_MESSAGE,
            quantity=12345,
            idempotency_key="broadcast:1",
            occurred_at=NOW,
        )
        await record_usage(
            tx.session,
            workspace_id=workspace.id,
            metric=Metric.AI_QUESTION,
            quantity=1,
            idempotency_key="question:1",
            occurred_at=IN_OCTOBER,
        )
    return await aiohttp_client(build_app(make_settings(), database=db, clock=FrozenClock(NOW)))


async def test_the_page_shows_the_current_periods_figures_and_rules(usage_client: Client) -> None:
    await log_in(usage_client, "admin@example.com")
    response = await usage_client.get("/w/acme/usage")
    assert response.status == 200
    page = await response.text()
    assert "November 2026" in page
    assert '<p class="figure-value">3</p>' in page
    assert '<p class="figure-value">12,345</p>' in page
    assert "counts once, however many visits" in page
    assert 'href="/w/acme/usage" aria-current="page"' in page
    assert 'href="/w/acme/usage?period=2026-11" aria-current="page"' in page
    assert 'href="/w/acme/usage?period=2025-12"' in page
    assert "period=2025-11" not in page  # twelve months back, no more


async def test_a_chosen_period_shows_that_month(usage_client: Client) -> None:
    await log_in(usage_client, "admin@example.com")
    page = await (await usage_client.get("/w/acme/usage?period=2026-10")).text()
    assert "October 2026" in page
    assert 'href="/w/acme/usage?period=2026-10" aria-current="page"' in page
    assert page.count('<p class="figure-value">0</p>') == 3  # only the October AI question
    assert '<p class="figure-value">1</p>' in page


async def test_the_page_is_in_russian_with_russian_number_format(usage_client: Client, db: Database) -> None:
    await log_in(usage_client, "admin@example.com")
    page = await (await usage_client.get("/w/acme/usage", headers={"Accept-Language": "ru"})).text()
    assert "ноябрь 2026" in page
    assert "Уникальные посетители" in page
    assert '<p class="figure-value">12\xa0345</p>' in page


@pytest.mark.parametrize("role", [Role.EDITOR, Role.OPERATOR])
async def test_editors_and_operators_may_not_see_usage(usage_client: Client, role: Role) -> None:
    await log_in(usage_client, f"{role.value}@example.com")
    page = await usage_client.get("/w/acme/usage")
    assert page.status == 403
    assert "does not allow this action" in await page.text()
    api = await usage_client.get("/api/v1/usage", headers={"X-Workspace": "acme"})
    assert api.status == 403
    assert (await api.json())["error"]["code"] == "forbidden"


async def test_an_invalid_period_is_a_400_saying_how_to_write_one(usage_client: Client) -> None:
    await log_in(usage_client, "admin@example.com")
    page = await usage_client.get("/w/acme/usage?period=november")
    assert page.status == 400
    assert "Choose a month written as YYYY-MM, for example 2026-11." in await page.text()
    api = await usage_client.get("/api/v1/usage?period=2026-13", headers={"X-Workspace": "acme"})
    assert api.status == 400
    assert (await api.json())["error"] == {
        "code": "invalid_input",
        "message": "Choose a month written as YYYY-MM, for example 2026-11.",
        "details": {"field": "period"},
    }


async def test_the_page_needs_a_login(usage_client: Client) -> None:
    response = await usage_client.get("/w/acme/usage", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login?next=")


async def test_the_json_endpoint_with_the_session(usage_client: Client) -> None:
    await log_in(usage_client, "admin@example.com")
    current = await usage_client.get("/api/v1/usage", headers={"X-Workspace": "acme"})
    assert current.status == 200
    assert await current.json() == {
        "period": "2026-11",
        "unique_visitors": 3,
        "ai_questions": 0,
        "telegram_messages": 12345,
        "whatsapp_templates": 0,
    }
    october = await (await usage_client.get("/api/v1/usage?period=2026-10", headers={"X-Workspace": "acme"})).json()
    assert (october["period"], october["ai_questions"], october["unique_visitors"]) == ("2026-10", 1, 0)


async def test_the_json_endpoint_with_an_api_key_of_the_workspace(usage_client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        theirs = await issue_api_key(tx.session, workspace_id=workspace.id, name="CI", role=Role.ADMIN, created_by=None)
        editors = await issue_api_key(
            tx.session, workspace_id=workspace.id, name="KB", role=Role.EDITOR, created_by=None
        )
    response = await usage_client.get("/api/v1/usage", headers={"Authorization": f"Bearer {theirs.key}"})
    assert await response.json() == {
        "period": "2026-11",
        "unique_visitors": 0,
        "ai_questions": 0,
        "telegram_messages": 0,
        "whatsapp_templates": 0,
    }
    forbidden = await usage_client.get("/api/v1/usage", headers={"Authorization": f"Bearer {editors.key}"})
    assert forbidden.status == 403
    assert (await usage_client.get("/api/v1/usage")).status == 401
