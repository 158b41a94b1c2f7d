"""The Groups and capacity page over HTTP: an admin sets how each group's queue is served, the
default group, members' capacity in a group, operators' capacity and who sees which dialogs; bad
input is refused readably (in the operator's language), keeps what was typed and changes nothing."""

import html
import re
from dataclasses import dataclass

import pytest

from accounts.actors import Actor
from accounts.groups import GroupView, list_groups
from accounts.models import Workspace
from accounts.operators import MemberView, list_members
from accounts.roles import Role
from accounts.workspaces import access_group_visibility
from core.db import Database
from core.ids import GroupId, OperatorId
from tests.conversations.inbox_data import make_conversation, make_group
from tests.factories import Client, log_in, make_operator, make_workspace

PAGE = "/w/acme/operators/groups"


@dataclass(frozen=True)
class Team:
    workspace: Workspace
    admin: Actor
    olga: OperatorId
    ivan: OperatorId
    support: GroupId
    sales: GroupId
    token: str


async def team(client: Client, db: Database, *, locale: str | None = None) -> Team:
    """Ann (admin, logged in), Olga and Ivan (operators) in Support; Sales is empty; Olga has a dialog."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        ann = await make_operator(
            tx.session, workspace=workspace, role=Role.ADMIN, email="ann@acme.test", locale=locale
        )
        olga = await make_operator(tx.session, workspace=workspace, email="olga@acme.test")
        ivan = await make_operator(tx.session, workspace=workspace, email="ivan@acme.test")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="ed@acme.test")
        support = await make_group(tx.session, workspace, "Support", members=(olga.id, ivan.id))
        sales = await make_group(tx.session, workspace, "Sales")
        await make_conversation(tx.session, workspace.id, owner="operator", assignee_id=olga.id, group_id=support.id)
    token = await log_in(client, "ann@acme.test")
    admin = Actor(workspace_id=workspace.id, workspace_slug="acme", role=Role.ADMIN, operator_id=ann.id)
    return Team(workspace, admin, olga.id, ivan.id, support.id, sales.id, token)


async def groups_of(db: Database, acme: Team) -> dict[str, GroupView]:
    async with db.transaction() as tx:
        return {group.name: group for group in await list_groups(tx.session, acme.admin)}


async def members_of(db: Database, acme: Team) -> dict[OperatorId, MemberView]:
    async with db.transaction() as tx:
        return {member.operator_id: member for member in await list_members(tx.session, acme.admin)}


def input_value(page: str, name: str) -> str:
    """The value of the first input named `name` after the form of `action`."""
    match = re.search(rf'<input name="{re.escape(name)}"[^>]*?value="([^"]*)"', page, re.DOTALL)
    assert match is not None, name
    return html.unescape(match.group(1))


def form_of(page: str, action: str) -> str:
    start = page.index(f'action="{action}"')
    return page[start : page.index("</form>", start)]


async def test_the_operators_page_links_to_it_and_it_shows_groups_capacity_presence_and_load(
    client: Client, db: Database
) -> None:
    acme = await team(client, db)
    operators = await (await client.get("/w/acme/operators")).text()
    assert f'href="{PAGE}"' in operators
    response = await client.get(PAGE)
    assert response.status == 200
    page = await response.text()
    support = form_of(page, f"/w/acme/operators/groups/{acme.support}")
    assert 'value="round_robin" checked' in support
    assert 'name="requeue_on_offline" value="on" checked' in support
    assert 'name="is_default" value="on">' in support  # not the default yet
    assert f'name="capacity_{acme.olga}"' in support and f'name="capacity_{acme.ivan}"' in support
    capacity = form_of(page, "/w/acme/operators/capacity")
    olga_row = capacity[capacity.index('data-testid="capacity-olga@acme.test"') :]
    assert '<td data-testid="presence">Offline</td>' in olga_row
    assert '<td data-testid="load">1</td>' in olga_row  # her open dialog
    assert input_value(olga_row, f"capacity_{acme.olga}") == "5"
    assert "ed@acme.test" not in capacity  # an editor answers no dialogs


async def test_an_admin_sets_a_groups_policy_default_and_member_capacity(client: Client, db: Database) -> None:
    acme = await team(client, db)
    form = {
        "_csrf": acme.token,
        "name": "Support",
        "assignment_policy": "least_busy",
        "is_default": "on",
        f"capacity_{acme.olga}": "2",
        f"capacity_{acme.ivan}": "",
    }
    saved = await client.post(f"/w/acme/operators/groups/{acme.support}", data=form, allow_redirects=False)
    assert saved.status == 303 and saved.headers["Location"] == PAGE
    support = (await groups_of(db, acme))["Support"]
    assert (support.assignment_policy, support.requeue_on_offline, support.is_default) == ("least_busy", False, True)
    assert support.member_capacity == {acme.olga: 2}
    page = await (await client.get(PAGE)).text()
    assert "Saved." in page
    assert input_value(form_of(page, f"/w/acme/operators/groups/{acme.support}"), f"capacity_{acme.olga}") == "2"

    # Sales becomes the default: only one group is.
    sales = {"_csrf": acme.token, "name": "Sales", "assignment_policy": "round_robin", "is_default": "on"}
    assert (await client.post(f"/w/acme/operators/groups/{acme.sales}", data=sales)).status == 200
    groups = await groups_of(db, acme)
    assert (groups["Sales"].is_default, groups["Support"].is_default) == (True, False)
    # Emptying Olga's field: her own capacity applies again.
    form |= {f"capacity_{acme.olga}": ""}
    assert (await client.post(f"/w/acme/operators/groups/{acme.support}", data=form)).status == 200
    assert (await groups_of(db, acme))["Support"].member_capacity == {}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "Capacity must be between 0 and 1000."),
        ("1001", "Capacity must be between 0 and 1000."),
        ("three", "Capacity must be a whole number of dialogs."),
        ("2.5", "Capacity must be a whole number of dialogs."),
    ],
)
async def test_a_bad_member_capacity_is_refused_keeps_what_was_typed_and_saves_nothing(
    client: Client, db: Database, typed: str, message: str
) -> None:
    acme = await team(client, db)
    form = {
        "_csrf": acme.token,
        "name": "Support desk",
        "assignment_policy": "least_busy",
        f"capacity_{acme.olga}": typed,
        f"capacity_{acme.ivan}": "3",
    }
    response = await client.post(f"/w/acme/operators/groups/{acme.support}", data=form)
    assert response.status == 400
    page = await response.text()
    assert "Nothing was saved: correct the marked fields." in page
    support = form_of(page, f"/w/acme/operators/groups/{acme.support}")
    field = f"group-{acme.support}-capacity-{acme.olga}"
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in support
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in support
    assert input_value(support, f"capacity_{acme.olga}") == typed
    assert input_value(support, f"capacity_{acme.ivan}") == "3"
    assert input_value(support, "name") == "Support desk"
    assert 'value="least_busy" checked' in support
    unchanged = await groups_of(db, acme)
    assert "Support" in unchanged and unchanged["Support"].assignment_policy == "round_robin"
    assert unchanged["Support"].member_capacity == {}


async def test_the_refusal_is_in_the_operators_language(client: Client, db: Database) -> None:
    acme = await team(client, db, locale="ru")
    form = {"_csrf": acme.token, f"capacity_{acme.olga}": "много", f"capacity_{acme.ivan}": "5000"}
    response = await client.post("/w/acme/operators/capacity", data=form)
    assert response.status == 400
    page = await response.text()
    assert "Ничего не сохранено: исправьте отмеченные поля." in page
    assert "Лимит диалогов должен быть целым числом." in page
    assert "Лимит диалогов — от 0 до 1000." in page
    capacity = form_of(page, "/w/acme/operators/capacity")
    assert input_value(capacity, f"capacity_{acme.olga}") == "много"
    assert input_value(capacity, f"capacity_{acme.ivan}") == "5000"


async def test_an_admin_sets_operators_capacity_and_a_bad_one_changes_nothing(client: Client, db: Database) -> None:
    acme = await team(client, db)
    fine = {"_csrf": acme.token, f"capacity_{acme.olga}": "3", f"capacity_{acme.ivan}": "0"}
    assert (await client.post("/w/acme/operators/capacity", data=fine, allow_redirects=False)).status == 303
    members = await members_of(db, acme)
    assert (members[acme.olga].capacity, members[acme.ivan].capacity) == (3, 0)

    bad = {"_csrf": acme.token, f"capacity_{acme.olga}": "7", f"capacity_{acme.ivan}": ""}
    response = await client.post("/w/acme/operators/capacity", data=bad)
    assert response.status == 400
    assert f'id="capacity-{acme.ivan}-error">Capacity must be a whole number of dialogs.' in await response.text()
    assert (await members_of(db, acme))[acme.olga].capacity == 3  # Olga's valid 7 was not saved either


async def test_an_admin_restricts_operators_to_their_groups(client: Client, db: Database) -> None:
    acme = await team(client, db)
    on = await client.post("/w/acme/operators/visibility", data={"_csrf": acme.token, "restrict_to_groups": "on"})
    assert on.status == 200
    assert 'name="restrict_to_groups" value="on" checked' in await on.text()
    async with db.transaction() as tx:
        assert await access_group_visibility(tx.session, acme.admin) is True
    await client.post("/w/acme/operators/visibility", data={"_csrf": acme.token})
    async with db.transaction() as tx:
        assert await access_group_visibility(tx.session, acme.admin) is False


async def test_group_and_operator_names_are_shown_as_text(client: Client, db: Database) -> None:
    acme = await team(client, db)
    evil = '<img src=x onerror="alert(1)">'
    form = {"_csrf": acme.token, "name": evil, "assignment_policy": "round_robin"}
    assert (await client.post(f"/w/acme/operators/groups/{acme.sales}", data=form)).status == 200
    page = await (await client.get(PAGE)).text()
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=&#34;alert(1)&#34;&gt;") >= 2  # the heading and the name field
    # Refused (another group has that name) and typed back: still text.
    form = {"_csrf": acme.token, "name": evil.upper(), "assignment_policy": "round_robin"}
    refused = await client.post(f"/w/acme/operators/groups/{acme.support}", data=form)
    assert refused.status == 400
    page = await refused.text()
    assert "<IMG" not in page and "&lt;IMG SRC=X ONERROR=&#34;ALERT(1)&#34;&gt;" in page
    assert "already exists" in page


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        (PAGE, None, 403),
        ("/w/acme/operators/capacity", {"capacity_1": "9"}, 403),
        ("/w/acme/operators/visibility", {"restrict_to_groups": "on"}, 303),  # back, the refusal flashed
    ],
)
async def test_operators_may_not_use_it(
    client: Client, db: Database, path: str, data: dict[str, str] | None, status: int
) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@acme.test")
        await make_operator(tx.session, workspace=workspace, email="olga@acme.test")
        group = await make_group(tx.session, workspace, "Support")
    token = await log_in(client, "olga@acme.test")
    if data is None:
        response = await client.get(path)
        assert response.status == status
        group_form = {"_csrf": token, "name": "Mine", "assignment_policy": "least_busy"}
        refused = await client.post(f"/w/acme/operators/groups/{group.id}", data=group_form, allow_redirects=False)
        assert refused.status == 403
    else:
        response = await client.post(path, data={"_csrf": token, **data}, allow_redirects=False)
        assert response.status == status
    async with db.transaction() as tx:
        admin = Actor(workspace_id=workspace.id, workspace_slug="acme", role=Role.ADMIN)
        assert await access_group_visibility(tx.session, admin) is False
        assert [g.name for g in await list_groups(tx.session, admin)] == ["Support"]
        assert {m.capacity for m in await list_members(tx.session, admin)} == {5}


async def test_a_form_without_the_csrf_token_is_refused(client: Client, db: Database) -> None:
    acme = await team(client, db)
    response = await client.post(
        f"/w/acme/operators/groups/{acme.support}", data={"name": "Support", "assignment_policy": "least_busy"}
    )
    assert response.status == 403
    assert (await groups_of(db, acme))["Support"].assignment_policy == "round_robin"
