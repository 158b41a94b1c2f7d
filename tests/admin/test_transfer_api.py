"""An operator (not an admin) gives a dialog to a colleague: to anyone who answers dialogs, and where
the workspace restricts operators to their groups' dialogs, to those who see it already; the others
are refused with a clear 4xx. `transfer-targets` lists exactly those a transfer would accept."""

from dataclasses import dataclass
from typing import Any

from accounts.models import Workspace
from accounts.roles import Role
from core.db import Database
from core.ids import ConversationId, OperatorId
from tests.conversations.inbox_data import make_conversation, make_group, restrict_to_groups
from tests.factories import Client, log_in, make_operator, make_workspace


@dataclass(frozen=True)
class Team:
    workspace: Workspace
    headers: dict[str, str]  # Bob's
    ann: OperatorId  # admin, in no group
    bob: OperatorId  # Support
    carol: OperatorId  # Sales
    dave: OperatorId  # in no group
    ed: OperatorId  # editor
    dialog: ConversationId  # waiting in Support's queue
    names: dict[OperatorId, str]


async def team(client: Client, db: Database, *, restricted: bool) -> Team:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        people = {
            name: await make_operator(tx.session, workspace=workspace, role=role, email=f"{name}@acme.test")
            for name, role in (
                ("ann", Role.ADMIN),
                ("bob", Role.OPERATOR),
                ("carol", Role.OPERATOR),
                ("dave", Role.OPERATOR),
                ("ed", Role.EDITOR),
            )
        }
        support = await make_group(tx.session, workspace, "Support", members=(people["bob"].id,))
        await make_group(tx.session, workspace, "Sales", members=(people["carol"].id, people["ed"].id))
        dialog = await make_conversation(tx.session, workspace.id, group_id=support.id)
        if restricted:
            await restrict_to_groups(tx.session, workspace)
    token = await log_in(client, "bob@acme.test")
    ids = {name: operator.id for name, operator in people.items()}
    names = {operator.id: operator.display_name for operator in people.values()}
    return Team(workspace, {"X-CSRF-Token": token, "X-Workspace": "acme"}, **ids, dialog=dialog.id, names=names)


async def give(client: Client, acme: Team, operator_id: OperatorId) -> tuple[int, Any]:
    response = await client.post(
        f"/api/v1/conversations/{acme.dialog}/transfer", json={"operator_id": operator_id}, headers=acme.headers
    )
    return response.status, await response.json()


async def targets(client: Client, acme: Team) -> list[OperatorId]:
    response = await client.get(f"/api/v1/conversations/{acme.dialog}/transfer-targets", headers=acme.headers)
    assert response.status == 200
    people = (await response.json())["operators"]
    assert all(set(person) == {"id", "name", "presence", "load", "capacity"} for person in people)
    return [person["id"] for person in people]


async def test_an_operator_gives_a_dialog_to_any_colleague_when_visibility_is_not_restricted(
    client: Client, db: Database
) -> None:
    acme = await team(client, db, restricted=False)
    assert sorted(await targets(client, acme)) == sorted([acme.ann, acme.bob, acme.carol, acme.dave])
    status, body = await give(client, acme, acme.dave)  # in no group at all
    assert status == 200, body
    assert body["conversation"]["assignee_id"] == acme.dave


async def test_where_restricted_an_operator_gives_it_only_to_those_who_see_it(client: Client, db: Database) -> None:
    acme = await team(client, db, restricted=True)
    assert sorted(await targets(client, acme)) == sorted([acme.ann, acme.bob])
    for outsider in (acme.carol, acme.dave):
        status, body = await give(client, acme, outsider)
        assert status == 403
        assert body["error"]["code"] == "forbidden"
        assert body["error"]["message"] == (
            f"{acme.names[outsider]} is not in this dialog's group, so they may not see it. Transfer it to a"
            " group's queue instead, or ask an admin."
        )
    status, body = await give(client, acme, acme.ann)  # an admin sees every dialog
    assert status == 200, body


async def test_an_admin_may_give_it_to_anyone_who_answers_and_nobody_gives_it_to_an_editor(
    client: Client, db: Database
) -> None:
    acme = await team(client, db, restricted=True)
    status, body = await give(client, acme, acme.ed)
    assert status == 400
    assert body["error"] == {
        "code": "invalid_input",
        "message": f"{acme.names[acme.ed]} does not answer dialogs in this workspace.",
        "details": {"field": "operator_id", "name": acme.names[acme.ed]},
    }

    client.session.cookie_jar.clear()  # Bob leaves; Ann, an admin, logs in
    admin_token = await log_in(client, "ann@acme.test")
    admin = {"X-CSRF-Token": admin_token, "X-Workspace": "acme"}
    url = f"/api/v1/conversations/{acme.dialog}"
    listed = await (await client.get(f"{url}/transfer-targets", headers=admin)).json()
    assert sorted(person["id"] for person in listed["operators"]) == sorted([acme.ann, acme.bob, acme.carol, acme.dave])
    given = await client.post(f"{url}/transfer", json={"operator_id": acme.carol}, headers=admin)
    assert given.status == 200
    assert (await given.json())["conversation"]["assignee_id"] == acme.carol
    refused = await client.post(f"{url}/transfer", json={"operator_id": acme.ed}, headers=admin)
    assert refused.status == 400
