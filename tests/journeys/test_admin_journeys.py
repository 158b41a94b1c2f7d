"""What people do in the admin, in a real Chromium: log in, invite a colleague, switch workspaces,
change the language, and find that what users type stays text and that a phone screen works."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from playwright.async_api import BrowserContext, Locator, Page, expect

from accounts.models import Membership
from accounts.roles import Role
from core.db import Database
from tests.factories import PASSWORD, make_operator, make_workspace
from tests.journeys.conftest import NewContext

ALL_SECTIONS = [
    "Inbox",
    "Canned replies",
    "Tags",
    "Knowledge base",
    "Flows",
    "Channels",
    "Broadcasts",
    "Usage",
    "Operators",
    "Settings",
]
RUSSIAN_CATALOG = Path(__file__).resolve().parents[2] / "core" / "locale" / "ru" / "LC_MESSAGES" / "messages.po"
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "a brand new passphrase"
# Fixed places a person looks at after a run (what the pages look like), not scratch files.
SCREENSHOTS = Path("/tmp")


async def seed_admin(db: Database, *, email: str, slug: str = "acme", name: str = "Acme") -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug=slug, name=name)
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email=email)


def russian(message: str) -> str:
    """The Russian catalog's translation of `message`, read from the .po file the app loads."""
    with RUSSIAN_CATALOG.open("rb") as po_file:
        entry = read_po(po_file, locale="ru").get(message)
    assert entry is not None, f"{message!r} is not in the Russian catalog"
    assert isinstance(entry.string, str), message
    assert entry.string, f"{message!r} has no Russian translation yet"
    return entry.string


def navigation(page: Page) -> Locator:
    return page.locator("nav.sidenav")


async def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill the login form (by field name, so it works in any interface language) and submit it."""
    await page.locator("input[name=email]").fill(email)
    await page.locator("input[name=password]").fill(password)
    await page.locator("form[action='/login'] button[type=submit]").click()


async def log_out(page: Page) -> None:
    await page.locator("form[action='/logout'] button").click()
    await expect(page).to_have_url(re.compile(r"/login$"))


async def has_no_horizontal_scroll(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def test_admin_is_sent_to_login_sees_a_generic_error_for_a_wrong_password_then_reaches_the_workspace(
    committed_db: Database, page: Page
) -> None:
    await seed_admin(committed_db, email="admin@acme.test")

    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await expect(page.locator("form[action='/login'] input[name=next]")).to_have_value("/")
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()

    await log_in(page, "admin@acme.test", "not the password")
    wrong_password = page.get_by_role("alert")
    await expect(wrong_password).to_have_text("Wrong email or password.")
    await expect(page.get_by_label("Email")).to_have_value("admin@acme.test")

    await log_in(page, "nobody@acme.test", "not the password")
    await expect(page.get_by_label("Email")).to_have_value("nobody@acme.test")
    await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

    await log_in(page, "admin@acme.test")
    await expect(page).to_have_url(re.compile(r"/w/acme/inbox$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    await expect(navigation(page).get_by_role("link")).to_have_text(ALL_SECTIONS)
    await expect(page.get_by_test_id("workspace-switcher")).to_contain_text("Acme")


async def test_admin_invites_an_operator_who_sets_a_password_and_is_then_put_in_a_group(
    committed_db: Database, page: Page, new_context: NewContext
) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    await page.goto("/login")
    await log_in(page, "admin@acme.test")
    await navigation(page).get_by_role("link", name="Operators").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/operators$"))

    add_group = page.get_by_test_id("add-group")
    await add_group.get_by_label("New group").fill("Support")
    await add_group.get_by_role("button", name="Create group").click()
    await expect(page.get_by_role("status")).to_have_text("Group Support created.")
    await expect(page.get_by_test_id("group-Support").get_by_label("Group name")).to_have_value("Support")

    add_operator = page.get_by_test_id("add-operator")
    await add_operator.get_by_label("Email").fill("olga@acme.test")
    await add_operator.get_by_label("Display name").fill("Olga")
    await add_operator.get_by_label("Role").select_option("operator")
    await add_operator.get_by_role("button", name="Add").click()
    invitation = page.get_by_role("status")
    await expect(invitation).to_have_class(re.compile(r"\bsuccess\b"))
    await expect(invitation).to_contain_text("Send this one-time link to olga@acme.test")
    link = re.search(r"https?://\S+/invite/[A-Za-z0-9_-]+", await invitation.inner_text())
    assert link is not None, await invitation.inner_text()
    await expect(page.get_by_test_id("member-olga@acme.test")).to_contain_text("invited")

    # Someone else, in their own browser, follows the link.
    olga = await (await new_context()).new_page()
    await olga.goto(link.group(0))
    await expect(olga.get_by_role("heading", name="Set your password")).to_be_visible()
    await expect(olga.get_by_text("olga@acme.test")).to_be_visible()
    await olga.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    await olga.get_by_label("Password again", exact=True).fill(NEW_PASSWORD)
    await olga.get_by_role("button", name="Save and log in").click()
    await expect(olga).to_have_url(re.compile(r"/w/acme/inbox$"))
    await expect(olga.locator(".who")).to_have_text("Olga")
    await expect(navigation(olga).get_by_role("link")).to_have_text(["Inbox", "Canned replies", "Settings"])
    await expect(navigation(olga).get_by_role("link", name="Operators")).to_have_count(0)

    # Back in the admin's browser: Olga joins Support.
    await page.reload()
    olga_row = page.get_by_test_id("member-olga@acme.test")
    await expect(olga_row).not_to_contain_text("invited")
    await olga_row.get_by_role("checkbox", name="Support").check()
    await olga_row.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await page.reload()
    await expect(page.get_by_test_id("member-olga@acme.test").get_by_role("checkbox", name="Support")).to_be_checked()
    await expect(page.get_by_test_id("group-Support")).to_contain_text("1 member")
    await page.screenshot(path=SCREENSHOTS / "operators.png", full_page=True)


async def test_operator_switches_to_their_other_workspace_but_cannot_open_a_foreign_one(
    committed_db: Database, page: Page, new_context: NewContext
) -> None:
    async with committed_db.transaction() as tx:
        alpha = await make_workspace(tx.session, slug="alpha-shop", name="Alpha Shop")
        beta = await make_workspace(tx.session, slug="beta-shop", name="Beta Shop")
        both = await make_operator(tx.session, workspace=alpha, role=Role.ADMIN, email="both@shops.test")
        tx.session.add(Membership(workspace_id=beta.id, operator_id=both.id, role=Role.OPERATOR))
        await make_operator(tx.session, workspace=alpha, role=Role.ADMIN, email="alpha-only@shops.test")

    await page.goto("/login")
    await log_in(page, "both@shops.test")
    await expect(page).to_have_url(re.compile(r"/w/alpha-shop/inbox$"))
    switcher = page.get_by_test_id("workspace-switcher")
    await switcher.locator("summary").click()
    await expect(switcher).to_have_attribute("open", "")
    await switcher.get_by_role("link", name=re.compile("^Beta Shop")).click()
    await expect(page).to_have_url(re.compile(r"/w/beta-shop/inbox$"))
    await expect(switcher.locator("summary")).to_contain_text("Beta Shop")
    await expect(navigation(page).get_by_role("link")).to_have_text(["Inbox", "Canned replies", "Settings"])

    outsider = await (await new_context()).new_page()
    await outsider.goto("/login")
    await log_in(outsider, "alpha-only@shops.test")
    await expect(outsider).to_have_url(re.compile(r"/w/alpha-shop/inbox$"))
    for path in ("/w/beta-shop/settings", "/w/beta-shop/operators", "/w/beta-shop/"):
        response = await outsider.goto(path)
        assert response is not None, path
        assert response.status == 404, path
        await expect(outsider.get_by_role("heading", level=1)).to_have_text("404")
        await expect(outsider.get_by_role("alert")).to_have_text("Workspace not found.")
        assert "Beta Shop" not in await outsider.content()


async def test_russian_browser_gets_russian_until_the_operator_chooses_english_which_sticks_across_logins(
    committed_db: Database, new_context: NewContext
) -> None:
    await seed_admin(committed_db, email="ivan@acme.test")
    context: BrowserContext = await new_context(locale="ru-RU")
    page = await context.new_page()

    await page.goto("/login")
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await expect(page.get_by_role("button", name=russian("Log in"))).to_be_visible()
    await log_in(page, "ivan@acme.test")
    await expect(page).to_have_url(re.compile(r"/w/acme/inbox$"))
    await expect(navigation(page).get_by_role("link")).to_have_text([russian(label) for label in ALL_SECTIONS])

    await navigation(page).get_by_role("link", name=russian("Settings")).click()
    profile = page.get_by_test_id("profile")
    await profile.get_by_label(russian("Interface language")).select_option("en")
    await profile.get_by_role("button", name=russian("Save")).click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")  # confirmed in the language just chosen
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    await expect(navigation(page).get_by_role("link")).to_have_text(ALL_SECTIONS)
    await expect(profile.get_by_label("Interface language")).to_have_value("en")

    await log_out(page)
    await expect(page.get_by_role("button", name=russian("Log in"))).to_be_visible()  # still a Russian browser
    await log_in(page, "ivan@acme.test")
    await expect(page).to_have_url(re.compile(r"/w/acme/inbox$"))
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    await expect(navigation(page).get_by_role("link")).to_have_text(ALL_SECTIONS)


async def test_markup_typed_into_names_is_shown_as_text_and_never_runs(committed_db: Database, page: Page) -> None:
    group_name = '<img src=x onerror="window.__xss=1">'
    display_name = "<b>Mallory</b><script>window.__xss=2</script>"
    await seed_admin(committed_db, email="admin@acme.test")
    await page.goto("/login")
    await log_in(page, "admin@acme.test")
    await page.goto("/w/acme/operators")

    add_group = page.get_by_test_id("add-group")
    await add_group.get_by_label("New group").fill(group_name)
    await add_group.get_by_role("button", name="Create group").click()
    await expect(page.get_by_role("status")).to_have_text(f"Group {group_name} created.")

    add_operator = page.get_by_test_id("add-operator")
    await add_operator.get_by_label("Email").fill("mallory@acme.test")
    await add_operator.get_by_label("Display name").fill(display_name)
    await add_operator.get_by_role("button", name="Add").click()
    await expect(page.get_by_role("status")).to_contain_text("mallory@acme.test")

    # The admin's own name, shown in the top bar of every page.
    await page.goto("/w/acme/settings")
    profile = page.get_by_test_id("profile")
    await profile.get_by_label("Display name").fill(f"Boss {display_name}")
    await profile.get_by_role("button", name="Save").click()
    await expect(page.locator(".who")).to_have_text(f"Boss {display_name}")

    await page.goto("/w/acme/operators")
    await expect(page.get_by_test_id("member-mallory@acme.test").locator("strong")).to_have_text(display_name)
    await expect(page.get_by_role("checkbox", name=group_name)).to_have_count(2)
    await expect(page.get_by_label("Group name")).to_have_value(group_name)
    await expect(page.locator("body img, body script, body b")).to_have_count(0)
    assert await page.evaluate("typeof window.__xss") == "undefined"


async def test_phone_sized_screen_shows_login_and_shell_without_sideways_scrolling(
    committed_db: Database, new_context: NewContext
) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    context = await new_context(viewport={"width": PHONE["width"], "height": PHONE["height"]})
    page = await context.new_page()

    await page.goto("/login")
    await expect(page.get_by_role("button", name="Log in")).to_be_in_viewport()
    assert await has_no_horizontal_scroll(page)
    await page.screenshot(path=SCREENSHOTS / "login-phone.png", full_page=True)

    await log_in(page, "admin@acme.test")
    await expect(page).to_have_url(re.compile(r"/w/acme/inbox$"))
    assert await has_no_horizontal_scroll(page)
    await expect(page.get_by_role("button", name="Log out")).to_be_in_viewport()

    # The navigation scrolls sideways inside itself: every entry can be brought into view and tapped.
    for link in await navigation(page).get_by_role("link").all():
        await link.scroll_into_view_if_needed()
        await expect(link).to_be_in_viewport()
    assert await has_no_horizontal_scroll(page)
    await navigation(page).get_by_role("link", name="Settings").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/settings$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    assert await has_no_horizontal_scroll(page)
    await navigation(page).get_by_role("link", name="Operators").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Operators")
    assert await has_no_horizontal_scroll(page)
    await page.screenshot(path=SCREENSHOTS / "operators-phone.png", full_page=True)
