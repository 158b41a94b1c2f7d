"""Issue 4's story in real Chromiums, one browser per person: three operators of the Support group
and an admin are at work when visitors write. Each new dialog waits in Support's queue and the
assigner gives it, round robin, to an online operator with room; the operator sees it arrive live,
reads where the visitor came from in the contact card, leaves a note for a colleague, answers with
a saved reply typed after "/", tags the dialog and closes it. An operator who goes offline sees
their dialog go back to the queue, and a colleague gets it. The admin moves a dialog to Billing's
queue, and watches the queues: how many wait, for how long, who is online at what load.

The app is built with the test's database, so its assigner does not sweep by itself: the test
sweeps (`Assigner.sweep`, what the background loop runs on every kick) whenever the real one would
have been kicked."""

from __future__ import annotations

import re

from playwright.async_api import Error, Locator, Page, expect
from sqlalchemy import select

from accounts.actors import Actor
from accounts.groups import configure_group, create_group, set_operator_groups
from accounts.models import Operator, OperatorGroup
from accounts.presence import set_capacity
from accounts.roles import Role
from conversations.assigner import Assigner
from conversations.canned_replies import CannedReplyFields, create_canned_reply
from conversations.models import Conversation, ConversationTag, Message, Tag
from conversations.tags import create_tag
from core.clock import SystemClock
from core.db import Database
from tests.factories import make_operator, make_workspace
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import SCREENSHOTS, log_in

REALTIME = True  # the app with its realtime hub: pages and widgets update live (conftest)

CAPACITY = 2
SHIPPING_REPLY = "Orders ship within one business day; a tracking link follows by email."
NOTE = "Chen: she came from the spring newsletter, so the 10% code applies if she asks."
FIRST_QUESTION = "When will my order ship?"
SECOND_QUESTION = "Can I change my delivery address?"
THIRD_QUESTION = "Do you ship to Norway?"
NOTE_BACKGROUND = "rgb(255, 248, 219)"


async def seed(db: Database) -> None:
    """Workspace "demo": Olga the admin (in no group); Anna, Boris and Chen in Support (the default
    group, round robin, re-queue on offline), each taking at most two dialogs; an empty Billing
    group; a shared saved reply and a tag."""
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session, slug="demo", name="Demo")
        olga = await make_operator(session, workspace=workspace, role=Role.ADMIN, email="olga@demo.test")
        admin = Actor(workspace_id=workspace.id, workspace_slug="demo", role=Role.ADMIN, operator_id=olga.id)
        support = await create_group(session, admin, "Support")
        await configure_group(
            session, admin, support.id, policy="round_robin", requeue_on_offline=True, is_default=True
        )
        await create_group(session, admin, "Billing")
        for name in ("Anna", "Boris", "Chen"):
            operator = await make_operator(session, workspace=workspace, email=f"{name.lower()}@demo.test")
            operator.display_name = name
            await set_capacity(session, admin, operator.id, CAPACITY)
            await set_operator_groups(session, admin, operator.id, [support.id])
        olga.display_name = "Olga"
        await create_canned_reply(
            session,
            admin,
            CannedReplyFields(shortcut="shipping", title="Shipping times", body=SHIPPING_REPLY, shared=True),
        )
        await create_tag(session, admin, "shipping", color="#1d4ed8")


async def sweep(db: Database) -> int:
    """One pass of the assigner, as the server's background loop runs it when kicked."""
    return await Assigner(db, SystemClock()).sweep()


async def staff_opens_inbox(new_context: NewContext, errors: list[Error], email: str, *, view: str) -> Page:
    """Logs in and lands on the Inbox, connected live; an open inbox brings its operator online."""
    page = await (await new_context()).new_page()
    page.on("pageerror", lambda error: errors.append(error))
    await page.goto("/login")
    await log_in(page, email)
    await expect(page).to_have_url(re.compile(r"/w/demo/inbox$"))
    await expect(page.get_by_test_id("inbox")).to_have_attribute("data-connection", "online")
    await expect(page.get_by_test_id("presence")).to_have_attribute("data-presence", "online")
    await expect(page.get_by_test_id("presence-select")).to_have_value("online")
    await page.get_by_test_id(f"view-{view}").click()
    await expect(page.get_by_test_id(f"view-{view}")).to_have_attribute("aria-pressed", "true")
    return page


async def visitor_writes(
    new_context: NewContext, text: str, *, path: str = "/demo", locale: str = "en-US", referer: str | None = None
) -> Page:
    visitor = await (await new_context(locale=locale)).new_page()
    await visitor.goto(path, referer=referer)
    await visitor.get_by_test_id("launcher").click()
    await visitor.get_by_test_id("composer-input").fill(text)
    await visitor.get_by_test_id("composer-input").press("Enter")
    await expect(widget_messages(visitor).filter(has_text=text)).to_have_attribute("data-seq", "1")
    return visitor


def widget_messages(page: Page) -> Locator:
    return page.get_by_test_id("message")


def items(page: Page) -> Locator:
    return page.get_by_test_id("conversation-item")


def history(page: Page) -> Locator:
    return page.get_by_test_id("conversation").get_by_test_id("message")


def item(page: Page, conversation_id: str) -> Locator:
    """One conversation in the list, whatever its preview says now."""
    return items(page).and_(page.locator(f'[data-id="{conversation_id}"]'))


async def dialog_id(page: Page, text: str) -> str:
    """The id of the one listed conversation whose preview has `text`."""
    found = items(page).filter(has_text=text)
    await expect(found).to_have_count(1)
    conversation_id = await found.get_attribute("data-id")
    assert conversation_id is not None
    return conversation_id


def queue_cell(page: Page, group: str, column: int) -> Locator:
    """A cell of the supervisor's queue overview: 0 group, 1 waiting, 2 longest wait, 3 online."""
    return page.get_by_test_id("queue-group").filter(has_text=group).locator("td").nth(column)


async def sees_dialog_arrive(page: Page, text: str, *, mine: int, chimes: int) -> None:
    """A dialog given to this operator appears in Mine without a reload, with a chime."""
    await expect(items(page).filter(has_text=text)).to_have_count(1)
    await expect(page.get_by_test_id("count-mine")).to_have_text(str(mine))
    await expect(page.get_by_test_id("inbox")).to_have_attribute("data-chimes", str(chimes))
    await expect(page.get_by_test_id("my-load")).to_have_text(f"{mine} of {CAPACITY} dialogs")


async def write(page: Page, text: str) -> None:
    composer = page.get_by_test_id("composer")
    await composer.fill(text)
    await composer.press("Enter")
    await expect(composer).to_have_value("")


async def test_three_operators_share_the_support_queue_and_the_admin_watches_it(
    committed_db: Database, new_context: NewContext, server_url: str
) -> None:
    await seed(committed_db)
    errors: list[Error] = []
    anna = await staff_opens_inbox(new_context, errors, "anna@demo.test", view="mine")
    boris = await staff_opens_inbox(new_context, errors, "boris@demo.test", view="mine")
    chen = await staff_opens_inbox(new_context, errors, "chen@demo.test", view="mine")
    olga = await staff_opens_inbox(new_context, errors, "olga@demo.test", view="open")
    for operator in (anna, boris, chen):
        await expect(operator.get_by_test_id("count-mine")).to_have_text("0")
        await expect(operator.get_by_test_id("my-load")).to_have_text(f"0 of {CAPACITY} dialogs")
        await expect(operator.get_by_test_id("queue-toggle")).to_have_count(0)  # supervisors only

    # Olga, the admin, keeps the queue overview open: nobody waits, the three are online and free.
    await olga.get_by_test_id("queue-toggle").click()
    await expect(olga.get_by_test_id("queue-panel")).to_be_visible()
    await expect(queue_cell(olga, "Support", 1)).to_have_text("0")
    await expect(queue_cell(olga, "Support", 2)).to_have_text("—")
    online = queue_cell(olga, "Support", 3).get_by_role("listitem")
    await expect(online).to_have_text(
        [f"Anna · Online · 0/{CAPACITY}", f"Boris · Online · 0/{CAPACITY}", f"Chen · Online · 0/{CAPACITY}"]
    )
    await expect(queue_cell(olga, "Billing", 3)).to_have_text("Nobody is online.")

    # A German visitor comes from a newsletter link and asks; the dialog waits in Support's queue…
    first_visitor = await visitor_writes(
        new_context,
        FIRST_QUESTION,
        path="/demo?utm_source=newsletter&utm_campaign=spring",
        locale="de-DE",
        referer="http://news.example/spring-issue",
    )
    await expect(queue_cell(olga, "Support", 1)).to_have_text("1")
    await expect(queue_cell(olga, "Support", 2)).to_have_text(re.compile(r"^\d+ s$"))
    await expect(olga.get_by_test_id("count-unassigned")).to_have_text("1")
    first = await dialog_id(olga, FIRST_QUESTION)

    # …until the assigner's next pass gives it to the first in the round: Anna sees it arrive.
    assert await sweep(committed_db) == 1
    await sees_dialog_arrive(anna, FIRST_QUESTION, mine=1, chimes=1)
    await expect(queue_cell(olga, "Support", 1)).to_have_text("0")
    await expect(olga.get_by_test_id("count-unassigned")).to_have_text("0")

    # Two more visitors write before the next pass: both wait, the longest waiting goes first.
    second_visitor = await visitor_writes(new_context, SECOND_QUESTION)
    third_visitor = await visitor_writes(new_context, THIRD_QUESTION)
    await expect(queue_cell(olga, "Support", 1)).to_have_text("2")
    assert await sweep(committed_db) == 2
    await sees_dialog_arrive(boris, SECOND_QUESTION, mine=1, chimes=1)
    await sees_dialog_arrive(chen, THIRD_QUESTION, mine=1, chimes=1)
    for operator in (anna, boris, chen):
        await expect(items(operator)).to_have_count(1)  # each sees only their own in Mine
    await expect(online).to_have_text(
        [f"Anna · Online · 1/{CAPACITY}", f"Boris · Online · 1/{CAPACITY}", f"Chen · Online · 1/{CAPACITY}"]
    )
    await expect(queue_cell(olga, "Support", 1)).to_have_text("0")
    for question, name in ((FIRST_QUESTION, "Anna"), (SECOND_QUESTION, "Boris"), (THIRD_QUESTION, "Chen")):
        await expect(items(olga).filter(has_text=question)).to_contain_text(name)

    # Boris goes offline: Support re-queues his open dialog, and his Mine empties before his eyes.
    await boris.get_by_test_id("presence-select").select_option("offline")
    await expect(boris.get_by_test_id("presence")).to_have_attribute("data-presence", "offline")
    await expect(items(boris)).to_have_count(0)
    await expect(boris.get_by_test_id("count-mine")).to_have_text("0")
    await expect(boris.get_by_test_id("my-load")).to_have_text(f"0 of {CAPACITY} dialogs")
    await expect(queue_cell(olga, "Support", 1)).to_have_text("1")
    await expect(online).to_have_text([f"Anna · Online · 1/{CAPACITY}", f"Chen · Online · 1/{CAPACITY}"])
    await expect(items(olga).filter(has_text=SECOND_QUESTION)).not_to_contain_text("Boris")
    # He closes the tab and goes home. (An open inbox tab reports activity every 30 s, and such a
    # report brings an operator who chose Offline back online: a tab left open would undo this.)
    await boris.close()

    # The next pass gives it to a colleague with room: Anna, whose last dialog is the oldest (by
    # round robin; Chen has as much room). That fills Anna up.
    assert await sweep(committed_db) == 1
    await sees_dialog_arrive(anna, SECOND_QUESTION, mine=2, chimes=2)
    await expect(items(olga).filter(has_text=SECOND_QUESTION)).to_contain_text("Anna")
    await expect(queue_cell(olga, "Support", 1)).to_have_text("0")
    await expect(online).to_have_text([f"Anna · Online · 2/{CAPACITY}", f"Chen · Online · 1/{CAPACITY}"])
    await expect(widget_messages(second_visitor)).to_have_count(1)  # nothing of this reaches the visitor

    # Anna opens hers: the visitor's context is in the contact card.
    await items(anna).filter(has_text=FIRST_QUESTION).click()
    await expect(history(anna).filter(has_text=FIRST_QUESTION)).to_have_attribute("data-author", "visitor")
    await expect(anna.get_by_test_id("conversation-owner")).to_have_text("Assigned to you")
    card = anna.get_by_test_id("contact-card")
    visit = card.locator("dl.visit")
    page_link = visit.get_by_role("link", name=re.compile(r"demo\?utm_source=newsletter"))
    await expect(page_link).to_have_attribute("href", f"{server_url}/demo?utm_source=newsletter&utm_campaign=spring")
    await expect(visit).to_contain_text(re.compile(r"Came from\s*http://news\.example/"))
    await expect(visit).to_contain_text(re.compile(r"Campaign \(UTM\)\s*source=newsletter, campaign=spring"))
    await expect(visit).to_contain_text(re.compile(r"Language\s*de-DE"))
    await expect(visit).to_contain_text(re.compile(r"Browser\s*Chrome \d+"))

    # A note for a colleague: marked and coloured as internal.
    await anna.get_by_test_id("mode-note").click()
    await write(anna, NOTE)
    note = history(anna).filter(has_text=NOTE)
    await expect(note).to_have_attribute("data-author", "note")
    await expect(note).to_contain_text("Internal note")
    await expect(note).to_have_css("background-color", NOTE_BACKGROUND)

    # The answer: "/" and the start of the shortcut open the saved replies; Enter picks, Enter sends.
    composer = anna.get_by_test_id("composer")
    await anna.get_by_test_id("mode-reply").click()
    await composer.press_sequentially("/ship")
    picker = anna.get_by_test_id("canned-replies")
    await expect(picker).to_be_visible()
    await expect(picker.get_by_role("option")).to_have_count(1)
    await expect(picker.get_by_role("option")).to_contain_text("/shipping Shipping times")
    await composer.press("Enter")
    await expect(composer).to_have_value(SHIPPING_REPLY)
    await expect(picker).to_be_hidden()
    await composer.press("Enter")
    await expect(composer).to_have_value("")
    await expect(history(anna).filter(has_text=SHIPPING_REPLY)).to_have_attribute("data-author", "operator")
    # The visitor gets the reply (the third message of the dialog) and never the note before it.
    answer = widget_messages(first_visitor).filter(has_text=SHIPPING_REPLY)
    await expect(answer).to_have_attribute("data-author", "operator")
    await expect(answer).to_have_attribute("data-seq", "3")
    await expect(widget_messages(first_visitor)).to_have_text(
        [re.compile(re.escape(FIRST_QUESTION)), re.compile(f"^Anna{re.escape(SHIPPING_REPLY)}")]
    )

    await anna.get_by_test_id("add-tag").select_option(label="shipping")
    await expect(anna.get_by_test_id("conversation-tags").get_by_test_id("tag")).to_have_text("shipping×")
    await expect(item(olga, first).get_by_test_id("tag")).to_have_text("shipping")
    await anna.get_by_test_id("action-close").click()
    await expect(anna.get_by_test_id("conversation-status")).to_have_text("Dialog closed")
    await expect(items(anna)).to_have_text([re.compile(re.escape(SECOND_QUESTION))])  # Mine: open ones only
    await expect(anna.get_by_test_id("count-mine")).to_have_text("1")
    await expect(anna.get_by_test_id("my-load")).to_have_text(f"1 of {CAPACITY} dialogs")
    await expect(online).to_have_text([f"Anna · Online · 1/{CAPACITY}", f"Chen · Online · 1/{CAPACITY}"])
    await expect(item(olga, first)).to_have_count(0)  # it left "All open"

    # Olga sends the Norway question to Billing's queue: it leaves Chen and Support.
    await items(olga).filter(has_text=THIRD_QUESTION).click()
    await expect(olga.get_by_test_id("conversation-owner")).to_have_text("Assigned to Chen")
    await olga.get_by_test_id("action-transfer").click()
    transfer = olga.get_by_test_id("transfer-dialog")
    await transfer.get_by_role("button", name=re.compile(r"^To the queue of Billing")).click()
    await expect(transfer).to_be_hidden()
    await expect(olga.get_by_test_id("conversation-owner")).to_have_text("Waiting for an operator")
    await expect(items(chen)).to_have_count(0)
    await expect(chen.get_by_test_id("count-mine")).to_have_text("0")
    await expect(chen.get_by_test_id("my-load")).to_have_text(f"0 of {CAPACITY} dialogs")
    group_filter = olga.locator("#filter-group")
    await group_filter.select_option(label="Support")
    await expect(items(olga)).to_have_text([re.compile(re.escape(SECOND_QUESTION))])
    await group_filter.select_option(label="Billing")
    await expect(items(olga)).to_have_text([re.compile(re.escape(THIRD_QUESTION))])
    await group_filter.select_option(label="All groups")
    await expect(items(olga)).to_have_count(2)

    # The overview: Billing has one waiting and nobody to answer; Support's queue is empty.
    await expect(queue_cell(olga, "Billing", 1)).to_have_text("1")
    await expect(queue_cell(olga, "Billing", 2)).to_have_text(re.compile(r"^\d+ s$"))
    await expect(queue_cell(olga, "Billing", 3)).to_have_text("Nobody is online.")
    await expect(queue_cell(olga, "Support", 1)).to_have_text("0")
    await expect(online).to_have_text([f"Anna · Online · 1/{CAPACITY}", f"Chen · Online · 0/{CAPACITY}"])
    await olga.screenshot(path=SCREENSHOTS / "inbox-three-operators.png")
    assert await sweep(committed_db) == 0  # no one of Billing is online: it keeps waiting
    await expect(widget_messages(third_visitor)).to_have_count(1)

    # The same overview over the API, for a wallboard.
    response = await olga.request.get("/api/v1/queue", headers={"X-Workspace": "demo"})
    assert response.ok, await response.text()
    overview = await response.json()
    groups = {group["name"]: group for group in overview["groups"]}
    assert (groups["Billing"]["waiting"], groups["Billing"]["operators"]) == (1, [])
    assert groups["Billing"]["longest_wait_seconds"] >= 0
    assert groups["Support"]["waiting"] == 0
    assert [
        (person["name"], person["presence"], person["load"], person["capacity"])
        for person in groups["Support"]["operators"]
    ] == [("Anna", "online", 1, CAPACITY), ("Boris", "offline", 0, CAPACITY), ("Chen", "online", 0, CAPACITY)]

    async with committed_db.transaction() as tx:
        rows = (
            await tx.session.execute(
                select(
                    Conversation.id, Conversation.status, Conversation.owner, Operator.display_name, OperatorGroup.name
                )
                .outerjoin(Operator, Operator.id == Conversation.assignee_id)
                .outerjoin(OperatorGroup, OperatorGroup.id == Conversation.group_id)
                .order_by(Conversation.id)
            )
        ).all()
        first_id = rows[0].id
        stored = (
            await tx.session.execute(
                select(Message.author, Message.body).where(Message.conversation_id == first_id).order_by(Message.seq)
            )
        ).all()
        tags = list(
            await tx.session.scalars(
                select(Tag.name)
                .join(ConversationTag, ConversationTag.tag_id == Tag.id)
                .where(ConversationTag.conversation_id == first_id)
            )
        )
    assert [tuple(row)[1:] for row in rows] == [
        ("closed", "operator", "Anna", "Support"),
        ("open", "operator", "Anna", "Support"),
        ("open", "queue", None, "Billing"),
    ]
    assert [tuple(row) for row in stored] == [
        ("visitor", FIRST_QUESTION),
        ("note", NOTE),
        ("operator", SHIPPING_REPLY),
    ]
    assert tags == ["shipping"]
    assert errors == []
