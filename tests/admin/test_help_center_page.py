"""The public help center: no login; only public articles with a published revision, in the
visitor's language (else the other one); the live revision, not the draft; search with each
article's language configuration; another workspace's articles never appear."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Role
from core.db import Database
from knowledge_base.articles import change_article, create_article, publish_article, save_draft
from knowledge_base.categories import create_category
from knowledge_base.models import Article
from knowledge_base.validation import Locale, Visibility
from tests.factories import Client, make_actor, make_workspace

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def article(
    session: AsyncSession,
    actor: Actor,
    title: str,
    body: str,
    *,
    locale: Locale = Locale.EN,
    visibility: Visibility = Visibility.PUBLIC,
    publish: bool = True,
) -> Article:
    created = await create_article(
        session, actor, title=title, body=body, locale=locale, visibility=visibility, category_id=None, at=T0
    )
    if publish:
        await publish_article(session, actor, created.id, at=T0)
    return created


async def acme_editor(db: Database) -> Actor:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme Inc")
        return await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)


async def test_only_public_published_articles_appear_and_only_their_live_revision(client: Client, db: Database) -> None:
    editor = await acme_editor(db)
    async with db.transaction() as tx:
        billing = await create_category(tx.session, editor, "Billing")
        refunds = await article(tx.session, editor, "Refunds", "Refunds take **14 days**.")
        await change_article(
            tx.session, editor, refunds.id, locale=Locale.EN, visibility=Visibility.PUBLIC, category_id=billing.id
        )
        await save_draft(tx.session, editor, refunds.id, title="Refunds (draft)", body="UNPUBLISHED DRAFT", at=T0)
        await article(tx.session, editor, "Shipping", "Parcels leave daily.")
        await article(tx.session, editor, "Bot secret", "BOT ONLY TEXT", visibility=Visibility.BOT_ONLY)
        await article(tx.session, editor, "Internal memo", "INTERNAL TEXT", visibility=Visibility.INTERNAL)
        await article(tx.session, editor, "Unpublished", "NEVER PUBLISHED", publish=False)

    index = await client.get("/help/acme")
    assert index.status == 200
    page = await index.text()
    assert "Acme Inc" in page and "Billing" in page and "Refunds" in page and "Shipping" in page
    assert page.index("Billing") < page.index("Refunds") < page.index("Other articles") < page.index("Shipping")
    for hidden in ("Bot secret", "Internal memo", "Unpublished", "UNPUBLISHED DRAFT", "Refunds (draft)"):
        assert hidden not in page
    assert "Set-Cookie" not in index.headers  # a visitor gets no session

    shown = await (await client.get("/help/acme/articles/refunds")).text()
    assert "<strong>14 days</strong>" in shown and "UNPUBLISHED DRAFT" not in shown
    for slug in ("bot-secret", "internal-memo", "unpublished", "nope"):
        response = await client.get(f"/help/acme/articles/{slug}")
        assert response.status == 404, slug
    for query in ("secret", "memo", "never", "text"):
        results = await (await client.get("/help/acme", params={"q": query})).text()
        assert "Nothing found" in results, query
    assert (await client.get("/help/no-such-workspace")).status == 404


async def test_the_visitors_language_is_shown_first_else_the_other(client: Client, db: Database) -> None:
    editor = await acme_editor(db)
    async with db.transaction() as tx:
        await article(tx.session, editor, "Refunds", "Within 14 days.")
        await article(tx.session, editor, "Возврат денег", "В течение 14 дней.", locale=Locale.RU)
    russian = await (await client.get("/help/acme", headers={"Accept-Language": "ru-RU,ru;q=0.9"})).text()
    assert "Возврат денег" in russian and ">Refunds<" not in russian and "Справочный центр" in russian
    english = await (await client.get("/help/acme", headers={"Accept-Language": "en-US"})).text()
    assert ">Refunds<" in english and "Возврат денег" not in english

    async with db.transaction() as tx:
        other = await make_actor(
            tx.session, role=Role.EDITOR, workspace=await make_workspace(tx.session, slug="ru-only")
        )
        await article(tx.session, other, "Доставка", "Отправляем каждый день.", locale=Locale.RU)
    fallback = await (await client.get("/help/ru-only", headers={"Accept-Language": "en-US"})).text()
    assert "Доставка" in fallback


async def test_search_uses_each_articles_language_and_ranks(client: Client, db: Database) -> None:
    editor = await acme_editor(db)
    async with db.transaction() as tx:
        await article(tx.session, editor, "Refunds", "You can get a refund within 14 days of purchase.")
        await article(tx.session, editor, "Pricing", "Plans and prices. Refunds are described elsewhere.")
        await article(tx.session, editor, "Возврат денег", "Деньги можно вернуть в течение 14 дней.", locale=Locale.RU)
        await article(
            tx.session, editor, "Refund policy (internal)", "refunded refunds", visibility=Visibility.INTERNAL
        )
        rival = await make_actor(tx.session, role=Role.EDITOR, workspace=await make_workspace(tx.session, slug="rival"))
        await article(tx.session, rival, "Rival refunds", "Refunding refunds refunded.")

    english = await (await client.get("/help/acme", params={"q": "refunded"})).text()
    assert english.index("Refunds") < english.index("Pricing")  # stems match; the title weighs in
    assert "internal" not in english and "Rival" not in english
    russian = await (await client.get("/help/acme", params={"q": "вернуть деньги"})).text()
    assert "Возврат денег" in russian and "Pricing" not in russian
    quoted = await (await client.get("/help/acme", params={"q": '"plans and prices" -nothing'})).text()
    assert "Pricing" in quoted
    weird = await client.get("/help/acme", params={"q": "&|!():* ' \" <script>"})
    assert weird.status == 200 and "<script>" not in await weird.text()


async def test_script_in_an_article_never_reaches_the_page(client: Client, db: Database) -> None:
    editor = await acme_editor(db)
    async with db.transaction() as tx:
        await article(
            tx.session,
            editor,
            "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <a href='javascript:alert(2)'>y</a>",
        )
    index = await (await client.get("/help/acme")).text()
    assert "<img src=x" not in index and "&lt;img src=x onerror=alert(1)&gt;" in index
    shown = await (await client.get("/help/acme/articles/img-src-x-onerror-alert-1")).text()
    assert "<script>alert" not in shown and 'href="javascript' not in shown and "href='javascript" not in shown
