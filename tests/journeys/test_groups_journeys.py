"""Groups and capacity in a real Chromium: an admin sets how Support's queue is served, the default
group, a member's capacity in it and an operator's own capacity, and restricts operators to their
groups' dialogs; then an operator of Support transfers a dialog and is offered only colleagues who
may see it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.async_api import Error, Page, expect

from accounts.roles import Role
from core.db import Database
from tests.conversations.inbox_data import make_conversation, make_group
from tests.factories import make_operator, make_workspace
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import SCREENSHOTS, log_in, navigation

REALTIME = True  # the app with its realtime hub: pages and widgets update live (conftest)


@dataclass(frozen=True)
class Names:
    ann: str
    bob: str
    carol: str


async def seed(db: Database) -> Names:
    """Ann is the admin; Bob answers in Support, Carol in Sales; a visitor waits in Support's queue."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        ann = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@acme.test")
        bob = await make_operator(tx.session, workspace=workspace, email="bob@acme.test")
        carol = await make_operator(tx.session, workspace=workspace, email="carol@acme.test")
        support = await make_group(tx.session, workspace, "Support", members=(bob.id,))
        await make_group(tx.session, workspace, "Sales", members=(carol.id,))
        await make_conversation(tx.session, workspace.id, group_id=support.id, text="My order never came")
    return Names(ann.display_name, bob.display_name, carol.display_name)


async def logged_in(new_context: NewContext, email: str, errors: list[Error]) -> Page:
    page = await (await new_context()).new_page()
    page.on("pageerror", lambda error: errors.append(error))
    await page.goto("/login")
    await log_in(page, email)
    await expect(page).to_have_url(re.compile(r"/w/acme/inbox$"))
    return page


async def test_an_admin_sets_up_queues_and_an_operator_transfers_only_to_those_who_may_see_the_dialog(
    committed_db: Database, new_context: NewContext
) -> None:
    names = await seed(committed_db)
    errors: list[Error] = []
    admin = await logged_in(new_context, "ann@acme.test", errors)
    await navigation(admin).get_by_role("link", name="Operators").click()
    await admin.get_by_role("link", name="Assignment, default group and capacity").click()
    await expect(admin).to_have_url(re.compile(r"/w/acme/operators/groups$"))
    await expect(admin.get_by_role("heading", level=1)).to_have_text("Groups and capacity")

    support = admin.get_by_test_id("group-settings-Support")
    await expect(support.get_by_label("Round robin: operators take turns")).to_be_checked()
    await support.get_by_label("Least busy: whoever has the fewest open dialogs").check()
    await support.get_by_label("Default group for new dialogs").check()
    await support.get_by_label(f"Capacity of {names.bob} in this group").fill("2")
    await support.get_by_role("button", name="Save group").click()
    await expect(admin.get_by_role("status")).to_have_text("Saved.")
    support = admin.get_by_test_id("group-settings-Support")
    await expect(support.get_by_role("heading")).to_contain_text("default group")
    await expect(support.get_by_label("Least busy: whoever has the fewest open dialogs")).to_be_checked()
    await expect(support.get_by_label(f"Capacity of {names.bob} in this group")).to_have_value("2")
    await expect(admin.get_by_test_id("group-settings-Sales").get_by_role("heading")).not_to_contain_text("default")

    capacity = admin.get_by_test_id("capacity")
    carol = capacity.get_by_test_id("capacity-carol@acme.test")
    await expect(carol.get_by_test_id("presence")).to_have_text("Offline")
    await expect(carol.get_by_test_id("load")).to_have_text("0")
    await carol.get_by_label(f"Capacity of {names.carol}").fill("3")
    await capacity.get_by_role("button", name="Save capacities").click()
    await expect(admin.get_by_role("status")).to_have_text("Saved.")
    await expect(carol.get_by_label(f"Capacity of {names.carol}")).to_have_value("3")

    visibility = admin.get_by_test_id("visibility")
    await visibility.get_by_label("Operators see only the dialogs of their groups").check()
    await visibility.get_by_role("button", name="Save").click()
    await expect(admin.get_by_role("status")).to_have_text("Saved.")
    await expect(visibility.get_by_label("Operators see only the dialogs of their groups")).to_be_checked()
    await admin.screenshot(path=SCREENSHOTS / "groups_and_capacity.png", full_page=True)

    # Bob, of Support, passes the waiting dialog on: Carol (Sales only) may not see it, so she is not offered.
    inbox = await logged_in(new_context, "bob@acme.test", errors)
    await expect(inbox.get_by_test_id("inbox")).to_have_attribute("data-connection", "online")
    await inbox.get_by_test_id("view-open").click()
    await inbox.get_by_test_id("conversation-item").filter(has_text="My order never came").click()
    await inbox.get_by_test_id("action-transfer").click()
    transfer = inbox.get_by_test_id("transfer-dialog")
    people = transfer.locator("#transfer-operators").get_by_role("button")
    await expect(people).to_have_count(2)
    await expect(people.filter(has_text=names.ann)).to_have_count(1)
    await expect(people.filter(has_text=names.bob)).to_have_count(1)
    await expect(transfer.get_by_role("button", name=re.compile(f"^{names.carol}"))).to_have_count(0)
    await people.filter(has_text=names.ann).click()
    await expect(transfer).to_be_hidden()
    await expect(inbox.get_by_test_id("conversation-owner")).to_have_text(f"Assigned to {names.ann}")
    assert errors == []
