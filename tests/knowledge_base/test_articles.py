"""Articles and categories as editors manage them: drafts, publishing as immutable revisions,
restoring, settings; editors and admins only; another workspace's rows are not found."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Role
from core.db import Database
from core.errors import Forbidden, InvalidInput, NotFound
from knowledge_base.articles import (
    ArticleFilter,
    access_article,
    change_article,
    create_article,
    delete_article,
    list_articles,
    list_revisions,
    publish_article,
    restore_revision,
    save_draft,
)
from knowledge_base.categories import (
    change_category,
    create_category,
    delete_category,
    list_categories,
)
from knowledge_base.models import Article
from knowledge_base.validation import ArticleStatus, Locale, Visibility
from tests.factories import make_actor

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def new_article(
    session: AsyncSession,
    actor: Actor,
    title: str = "How do I get a refund?",
    body: str = "Write to us within **14 days**.",
    *,
    visibility: Visibility = Visibility.PUBLIC,
    locale: Locale = Locale.EN,
) -> Article:
    return await create_article(
        session, actor, title=title, body=body, locale=locale, visibility=visibility, category_id=None, at=T0
    )


async def test_an_article_starts_as_a_draft_and_each_publish_is_a_revision(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article = await new_article(tx.session, editor)
        assert (article.status, article.published_revision_id, article.slug) == ("draft", None, "how-do-i-get-a-refund")

        first = await publish_article(tx.session, editor, article.id, at=T0 + timedelta(minutes=1))
        await save_draft(tx.session, editor, article.id, title="Refunds", body="Within 30 days.", at=T0)
        assert article.published_revision_id == first.id  # readers still see revision 1
        [summary] = await list_articles(tx.session, editor)
        assert (summary.status, summary.published_number, summary.unpublished_changes) == ("published", 1, True)
        assert summary.slug == "how-do-i-get-a-refund"  # a new title keeps the links

        second = await publish_article(tx.session, editor, article.id, at=T0 + timedelta(minutes=2))
        assert (second.number, second.title, second.body_markdown) == (2, "Refunds", "Within 30 days.")
        assert second.published_by == editor.operator_id
        assert [(r.number, r.title) for r in await list_revisions(tx.session, editor, article.id)] == [
            (2, "Refunds"),
            (1, "How do I get a refund?"),
        ]
        [summary] = await list_articles(tx.session, editor)
        assert (summary.published_number, summary.unpublished_changes) == (2, False)


async def test_restoring_a_revision_copies_it_into_the_draft_and_publishes_it(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article = await new_article(tx.session, editor, body="Version one.")
        await publish_article(tx.session, editor, article.id, at=T0)
        await save_draft(tx.session, editor, article.id, title="Refunds", body="Version two.", at=T0)
        await publish_article(tx.session, editor, article.id, at=T0)

        restored = await restore_revision(tx.session, editor, article.id, 1, at=T0 + timedelta(hours=1))
        assert (restored.number, restored.body_markdown) == (3, "Version one.")
        assert (article.title, article.body_markdown) == ("How do I get a refund?", "Version one.")
        assert article.published_revision_id == restored.id
        revisions = await list_revisions(tx.session, editor, article.id)
        assert [r.body_markdown for r in revisions] == ["Version one.", "Version two.", "Version one."]
        with pytest.raises(NotFound):
            await restore_revision(tx.session, editor, article.id, 9, at=T0)


async def test_bad_input_is_refused_and_the_draft_kept(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        with pytest.raises(InvalidInput):
            await new_article(tx.session, editor, title="   ")
        article = await new_article(tx.session, editor, body="")
        with pytest.raises(InvalidInput, match="empty article"):
            await publish_article(tx.session, editor, article.id, at=T0)
        with pytest.raises(InvalidInput):
            await save_draft(tx.session, editor, article.id, title="Refunds", body="x" * 100_001, at=T0)
        with pytest.raises(InvalidInput):
            await save_draft(tx.session, editor, article.id, title="t" * 201, body="Fine.", at=T0)
        assert (article.title, article.body_markdown) == ("How do I get a refund?", "")


async def test_slugs_are_unique_per_workspace(db: Database) -> None:
    async with db.transaction() as tx:
        editor, other = await make_actor(tx.session, role=Role.EDITOR), await make_actor(tx.session)
        slugs = [(await new_article(tx.session, editor, "Refunds")).slug for _ in range(3)]
        assert slugs == ["refunds", "refunds-2", "refunds-3"]
        assert (await new_article(tx.session, other, "Refunds")).slug == "refunds"
        assert (await new_article(tx.session, editor, "Возврат денег", locale=Locale.RU)).slug == "vozvrat-deneg"


async def test_categories_are_ordered_renamed_and_deleting_one_keeps_its_articles(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        billing = await create_category(tx.session, editor, "Billing")
        start = await create_category(tx.session, editor, "Getting started", position=-1)
        await create_category(tx.session, editor, " Billing ")  # the same name: another slug
        assert [(c.name, c.slug) for c in await list_categories(tx.session, editor)] == [
            ("Getting started", "getting-started"),
            ("Billing", "billing"),
            ("Billing", "billing-2"),
        ]
        await change_category(tx.session, editor, billing.id, name="Payments", position=None)
        assert billing.slug == "billing"
        article = await new_article(tx.session, editor)
        await change_article(
            tx.session, editor, article.id, locale=Locale.EN, visibility=Visibility.INTERNAL, category_id=start.id
        )
        assert (article.visibility, article.category_id) == ("internal", start.id)
        await delete_category(tx.session, editor, start.id)
        await tx.session.refresh(article)
        assert article.category_id is None


async def test_listing_filters_by_locale_visibility_category_and_status(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        faq = await create_category(tx.session, editor, "FAQ")
        public = await new_article(tx.session, editor, "Refunds")
        await new_article(tx.session, editor, "Возврат", locale=Locale.RU, visibility=Visibility.BOT_ONLY)
        await change_article(
            tx.session, editor, public.id, locale=Locale.EN, visibility=Visibility.PUBLIC, category_id=faq.id
        )
        await publish_article(tx.session, editor, public.id, at=T0)

        async def titles(where: ArticleFilter) -> list[str]:
            return [a.title for a in await list_articles(tx.session, editor, where)]

        assert await titles(ArticleFilter()) == ["Refunds", "Возврат"]
        assert await titles(ArticleFilter(locale=Locale.RU)) == ["Возврат"]
        assert await titles(ArticleFilter(visibility=Visibility.PUBLIC)) == ["Refunds"]
        assert await titles(ArticleFilter(category_id=faq.id)) == ["Refunds"]
        assert await titles(ArticleFilter(status=ArticleStatus.DRAFT)) == ["Возврат"]


async def test_operators_may_not_edit_and_other_workspaces_are_not_found(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        admin = await make_actor(tx.session, role=Role.ADMIN)
        article = await new_article(tx.session, editor)
        category = await create_category(tx.session, editor, "FAQ")
        colleague = Actor(editor.workspace_id, editor.workspace_slug, Role.OPERATOR, operator_id=None)
        with pytest.raises(Forbidden):
            await new_article(tx.session, colleague)
        with pytest.raises(Forbidden):
            await list_articles(tx.session, colleague)
        with pytest.raises(Forbidden):
            await publish_article(tx.session, colleague, article.id, at=T0)

        for attempt in (
            access_article(tx.session, admin, article.id),
            publish_article(tx.session, admin, article.id, at=T0),
            save_draft(tx.session, admin, article.id, title="Mine", body="Now.", at=T0),
            list_revisions(tx.session, admin, article.id),
            delete_article(tx.session, admin, article.id),
            delete_category(tx.session, admin, category.id),
            create_article(
                tx.session,
                admin,
                title="Sneaky",
                body="",
                locale=Locale.EN,
                visibility=Visibility.PUBLIC,
                category_id=category.id,
                at=T0,
            ),
        ):
            with pytest.raises(NotFound):
                await attempt
        assert await list_articles(tx.session, admin) == []
        assert (await access_article(tx.session, editor, article.id)).title == "How do I get a refund?"


async def test_deleting_an_article_deletes_its_revisions(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article = await new_article(tx.session, editor)
        await publish_article(tx.session, editor, article.id, at=T0)
        await delete_article(tx.session, editor, article.id)
        with pytest.raises(NotFound):
            await list_revisions(tx.session, editor, article.id)
        assert await list_articles(tx.session, editor) == []
