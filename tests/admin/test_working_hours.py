"""Working hours over HTTP: the JSON API (`/api/v1/workspace/working-hours`) and the section of the
Settings page; admins only; bad input is refused readably and changes nothing (and the page keeps
what was typed)."""

import re
from datetime import UTC, datetime

import pytest
from pytest_aiohttp import AiohttpClient

from accounts.models import Workspace
from accounts.roles import Role
from accounts.working_hours import WorkingHours
from accounts.workspaces import working_hours_of
from core.app import build_app
from core.clock import FrozenClock
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_settings, make_workspace

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # a Friday, 19:00 in Moscow
OFFICE = {
    "timezone": "Europe/Moscow",
    "always_open": False,
    "days": {day: [{"opens": "09:00", "closes": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-31"],
}
FORM = {
    "timezone": "Europe/Moscow",
    "day_mon": "09:00–13:00, 14:00–18:00",
    "day_tue": "09:00-18:00",
    "day_wed": "",
    "day_thu": "",
    "day_fri": "10:00–24:00",
    "day_sat": "",
    "day_sun": "",
    "holidays": "2026-12-31\r\n\r\n2027-01-01\r\n",
}


@pytest.fixture
async def client(db: Database, aiohttp_client: AiohttpClient) -> Client:
    return await aiohttp_client(build_app(make_settings(), database=db, clock=FrozenClock(NOW)))


async def member_of_acme(client: Client, db: Database, role: Role = Role.ADMIN, locale: str | None = None) -> Workspace:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=role, email="me@acme.test", locale=locale)
    return workspace


async def api_headers(client: Client, db: Database, role: Role = Role.ADMIN) -> tuple[Workspace, dict[str, str]]:
    workspace = await member_of_acme(client, db, role)
    token = await log_in(client, "me@acme.test")
    return workspace, {"X-CSRF-Token": token, "X-Workspace": "acme"}


async def stored_hours(db: Database, workspace: Workspace) -> WorkingHours:
    async with db.transaction() as tx:
        return await working_hours_of(tx.session, workspace.id)


async def test_a_new_workspace_is_always_open_in_utc(client: Client, db: Database) -> None:
    _, headers = await api_headers(client, db)
    response = await client.get("/api/v1/workspace/working-hours", headers=headers)
    assert response.status == 200
    body = await response.json()
    assert body["working_hours"]["timezone"] == "UTC"
    assert body["working_hours"]["always_open"] is True
    assert body["working_hours"]["holidays"] == []
    assert (body["open_now"], body["next_opening"]) == (True, NOW.isoformat())


async def test_admins_set_the_hours_and_read_them_back(client: Client, db: Database) -> None:
    workspace, headers = await api_headers(client, db)
    response = await client.put("/api/v1/workspace/working-hours", json=OFFICE, headers=headers)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["working_hours"]["days"]["mon"] == [{"opens": "09:00", "closes": "18:00"}]
    assert body["working_hours"]["days"]["sat"] == []
    assert body["open_now"] is False  # Friday 19:00 in Moscow
    assert body["next_opening"] == "2026-11-23T06:00:00+00:00"  # Monday 09:00 MSK
    again = await (await client.get("/api/v1/workspace/working-hours", headers=headers)).json()
    assert again == body
    stored = await stored_hours(db, workspace)
    assert (stored.timezone, stored.always_open) == ("Europe/Moscow", False)
    back = await client.put("/api/v1/workspace/working-hours", json={"always_open": True}, headers=headers)
    assert (await back.json())["working_hours"]["always_open"] is True
    assert (await stored_hours(db, workspace)) == WorkingHours()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone", "Unknown timezone Europe/Atlantis"),
        ({"days": {"mon": [{"opens": "18:00", "closes": "09:00"}]}}, "days.mon", "must be after the opening time"),
        ({"holidays": ["tomorrow"]}, "holidays", "Holidays are dates written as YYYY-MM-DD (got tomorrow)."),
    ],
)
async def test_bad_hours_are_400_naming_the_field_and_change_nothing(
    client: Client, db: Database, change: dict[str, object], field: str, message: str
) -> None:
    workspace, headers = await api_headers(client, db)
    response = await client.put("/api/v1/workspace/working-hours", json={**OFFICE, **change}, headers=headers)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_input"
    assert error["details"]["field"] == field
    assert message in error["message"]
    assert (await stored_hours(db, workspace)) == WorkingHours()


async def test_a_wrong_shape_is_400(client: Client, db: Database) -> None:
    _, headers = await api_headers(client, db)
    response = await client.put("/api/v1/workspace/working-hours", json={**OFFICE, "days": "always"}, headers=headers)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.EDITOR])
async def test_only_admins_see_or_change_the_hours(client: Client, db: Database, role: Role) -> None:
    workspace, headers = await api_headers(client, db, role)
    assert (await client.get("/api/v1/workspace/working-hours", headers=headers)).status == 403
    response = await client.put(
        "/api/v1/workspace/working-hours", json={**OFFICE, "timezone": "nowhere"}, headers=headers
    )
    assert response.status == 403  # refused for the role before the hours are looked at
    assert (await stored_hours(db, workspace)) == WorkingHours()
    page = await (await client.get("/w/acme/settings")).text()
    assert 'data-testid="working-hours"' not in page
    form = await client.post(
        "/w/acme/settings/working-hours", data={**FORM, "_csrf": headers["X-CSRF-Token"]}, allow_redirects=False
    )
    assert form.status == 403
    assert (await stored_hours(db, workspace)) == WorkingHours()


async def test_the_api_needs_authentication(client: Client) -> None:
    response = await client.get("/api/v1/workspace/working-hours")
    assert response.status == 401


async def test_the_settings_page_shows_the_hours_form(client: Client, db: Database) -> None:
    await member_of_acme(client, db)
    await log_in(client, "me@acme.test")
    page = await (await client.get("/w/acme/settings")).text()
    assert 'data-testid="working-hours-form"' in page
    assert "<option selected>UTC</option>" in page
    assert "<option>Europe/Moscow</option>" in page
    assert re.search(r'name="always_open" value="on" checked', page)
    assert 'name="day_mon" value=""' in page


async def test_saving_the_form_stores_the_hours_and_shows_them(client: Client, db: Database) -> None:
    workspace = await member_of_acme(client, db)
    token = await log_in(client, "me@acme.test")
    response = await client.post("/w/acme/settings/working-hours", data={**FORM, "_csrf": token}, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/w/acme/settings")
    stored = await stored_hours(db, workspace)
    assert stored.timezone == "Europe/Moscow" and stored.week is not None
    assert [len(day) for day in stored.week] == [2, 1, 0, 0, 1, 0, 0]
    assert sorted(day.isoformat() for day in stored.holidays) == ["2026-12-31", "2027-01-01"]
    page = await (await client.get("/w/acme/settings")).text()
    assert "Working hours saved." in page
    assert "<option selected>Europe/Moscow</option>" in page
    assert 'name="day_mon" value="09:00–13:00, 14:00–18:00"' in page
    assert 'name="day_fri" value="10:00–24:00"' in page
    assert "2026-12-31\n2027-01-01</textarea>" in page
    assert "Open now (7:00\u202fPM there)." in page or "Open now (7:00 PM there)." in page


async def test_an_invalid_form_says_why_and_keeps_what_was_typed(client: Client, db: Database) -> None:
    workspace = await member_of_acme(client, db)
    token = await log_in(client, "me@acme.test")
    typed = {**FORM, "day_tue": "18:00–09:00", "holidays": "2026-12-31\r\nsoon"}
    response = await client.post("/w/acme/settings/working-hours", data={**typed, "_csrf": token})
    assert response.status == 400
    page = await response.text()
    assert re.search(r'<p class="flash error" role="status">The closing time 09:00 must be after', page)
    assert 'name="day_tue" value="18:00–09:00"' in page
    assert 'name="day_mon" value="09:00–13:00, 14:00–18:00"' in page
    assert "2026-12-31\nsoon</textarea>" in page
    assert "<option selected>Europe/Moscow</option>" in page
    assert (await stored_hours(db, workspace)) == WorkingHours()
    unreadable = await client.post(
        "/w/acme/settings/working-hours", data={**FORM, "day_wed": "nine to five", "_csrf": token}
    )
    assert unreadable.status == 400
    assert "Write opening hours like 09:00–18:00" in await unreadable.text()


async def test_form_errors_are_in_the_admins_language(client: Client, db: Database) -> None:
    await member_of_acme(client, db, locale="ru")
    token = await log_in(client, "me@acme.test")
    response = await client.post(
        "/w/acme/settings/working-hours", data={**FORM, "holidays": "31.12.2026", "_csrf": token}
    )
    page = await response.text()
    assert "Выходные даты пишутся как ГГГГ-ММ-ДД (указано: 31.12.2026)." in page
    assert "Часы работы" in page


async def test_the_form_needs_the_csrf_token(client: Client, db: Database) -> None:
    workspace = await member_of_acme(client, db)
    await log_in(client, "me@acme.test")
    response = await client.post("/w/acme/settings/working-hours", data=FORM, allow_redirects=False)
    assert response.status == 403
    assert (await stored_hours(db, workspace)) == WorkingHours()
