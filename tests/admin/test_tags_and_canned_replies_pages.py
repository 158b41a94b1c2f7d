"""The Tags and Canned replies pages: forms that create, edit and delete, errors flashed back, what
people typed shown as text, and each role seeing what it may change."""

from aiohttp import ClientResponse

from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace


async def seed(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com")
        await make_operator(tx.session, workspace=workspace, role=Role.OPERATOR, email="bob@example.com")


async def submit(client: Client, path: str, data: dict[str, str]) -> str:
    """Post a form, follow the redirect back, and return the page (with its flashed message)."""
    response: ClientResponse = await client.post(path, data=data, allow_redirects=False)
    assert response.status == 303, await response.text()
    return await (await client.get(response.headers["Location"])).text()


async def test_an_admin_creates_renames_and_deletes_a_tag_and_markup_stays_text(client: Client, db: Database) -> None:
    await seed(db)
    token = await log_in(client, "ann@example.com")
    page = await submit(client, "/w/acme/tags", {"_csrf": token, "name": "<b>x</b>", "color": "#ff0000"})
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
    assert 'value="#ff0000"' in page
    tags = await (await client.get("/api/v1/tags", headers={"X-Workspace": "acme"})).json()
    [tag] = tags["tags"]
    assert tag["name"] == "<b>x</b>"
    duplicate = await submit(client, "/w/acme/tags", {"_csrf": token, "name": "<B>X</B>"})
    assert "A tag named &lt;B&gt;X&lt;/B&gt; already exists." in duplicate
    bad_colour = await submit(client, "/w/acme/tags", {"_csrf": token, "name": "Red", "color": "red"})
    assert "Write the colour as #rrggbb" in bad_colour
    renamed = await submit(
        client, f"/w/acme/tags/{tag['id']}", {"_csrf": token, "action": "save", "name": "Bug", "color": "#00ff00"}
    )
    assert 'value="Bug"' in renamed and 'value="#00ff00"' in renamed
    deleted = await submit(client, f"/w/acme/tags/{tag['id']}", {"_csrf": token, "action": "delete"})
    assert "The tag was deleted." in deleted and 'value="Bug"' not in deleted


async def test_operators_see_canned_replies_in_the_navigation_but_not_tags(client: Client, db: Database) -> None:
    await seed(db)
    await log_in(client, "bob@example.com")
    page = await (await client.get("/w/acme/canned-replies")).text()
    assert 'href="/w/acme/canned-replies" aria-current="page"' in page
    assert 'href="/w/acme/tags"' not in page
    assert 'name="shared"' not in page  # only admins keep shared replies
    assert (await client.get("/w/acme/tags")).status == 403


async def test_a_tag_page_of_another_workspace_is_404(client: Client, db: Database) -> None:
    await seed(db)
    async with db.transaction() as tx:
        await make_workspace(tx.session, slug="theirs")
    await log_in(client, "ann@example.com")
    assert (await client.get("/w/theirs/tags")).status == 404
    assert (await client.get("/w/theirs/canned-replies")).status == 404


async def test_canned_replies_are_kept_on_the_page_and_shared_ones_are_read_only_for_operators(
    client: Client, db: Database
) -> None:
    await seed(db)
    ann = await log_in(client, "ann@example.com")
    shared = {"_csrf": ann, "shortcut": "hello", "title": "Greeting", "body": "<script>x</script>", "shared": "on"}
    page = await submit(client, "/w/acme/canned-replies", shared)
    assert "Canned reply /hello saved." in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page

    client.session.cookie_jar.clear()  # a new browser for Bob
    bob = await log_in(client, "bob@example.com")
    page = await submit(
        client, "/w/acme/canned-replies", {"_csrf": bob, "shortcut": "two words", "title": "T", "body": "B"}
    )
    assert "A shortcut is 1-40 letters, digits, dashes or underscores." in page
    page = await submit(
        client, "/w/acme/canned-replies", {"_csrf": bob, "shortcut": "refund", "title": "Refunds", "body": "We do."}
    )
    replies = await (await client.get("/api/v1/canned-replies", headers={"X-Workspace": "acme"})).json()
    ids = {reply["shortcut"]: reply["id"] for reply in replies["canned_replies"]}
    assert f'action="/w/acme/canned-replies/{ids["refund"]}"' in page
    assert f'action="/w/acme/canned-replies/{ids["hello"]}"' not in page  # shared: shown, not editable
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    edit = {"_csrf": bob, "action": "save", "shortcut": "refund", "title": "Money back", "body": "We do."}
    assert 'value="Money back"' in await submit(client, f"/w/acme/canned-replies/{ids['refund']}", edit)
    refused = await submit(client, f"/w/acme/canned-replies/{ids['hello']}", {**edit, "shortcut": "hello"})
    assert "does not allow this action" in refused
    deleted = await submit(client, f"/w/acme/canned-replies/{ids['refund']}", {"_csrf": bob, "action": "delete"})
    assert "The canned reply was deleted." in deleted
