"""The lexical leg in a large workspace (knowledge_base.lexical): a workspace within the budget ranks
every match as before; a larger one ranks only the chunks matching the query's rarer words (by the
planner's statistics), still by all the words, then the commoner words' if those were too few, and
never more than the cap; which words are rarest."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Role
from core.db import Database
from core.ids import WorkspaceId
from knowledge_base import lexical
from knowledge_base.articles import create_article, publish_article
from knowledge_base.indexing import sync_chunks
from knowledge_base.lexical import LexicalHit, lexical_leg
from knowledge_base.search import _visible
from knowledge_base.validation import Locale, Visibility
from tests.factories import make_actor

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BOT = {Visibility.PUBLIC, Visibility.BOT_ONLY}
# "delivery" in every article, "courier" in two, "pallet" in one.
BODIES = [
    "Delivery takes two days. Delivery is free. Delivery is tracked.",
    "Delivery by courier: the courier calls before the delivery.",
    "Courier delivery on weekends.",
    "Delivery of a pallet needs a loading dock.",
    *(f"Delivery zone {n}: delivery within the city." for n in range(4)),
]


async def published(session: AsyncSession, actor: Actor, title: str, body: str, locale: Locale = Locale.EN) -> int:
    """The article's one chunk id (the lexical leg needs no vectors)."""
    article = await create_article(
        session, actor, title=title, body=body, locale=locale, visibility=Visibility.PUBLIC, category_id=None, at=T0
    )
    await publish_article(session, actor, article.id, at=T0)
    await sync_chunks(session, article.id)
    return int(await session.scalar(text("SELECT min(id) FROM kb_chunks WHERE article_id = :a"), {"a": article.id}))


async def leg(
    session: AsyncSession, workspace: WorkspaceId, query: str, budget: int | None, depth: int = 50, cap: int = 6_000
) -> list[LexicalHit]:
    visible = _visible(workspace, BOT, None)
    return await lexical_leg(session, workspace, visible, query, None, depth=depth, budget=budget, cap=cap)


async def test_a_workspace_within_the_budget_ranks_every_match_and_a_larger_one_its_rarer_words(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        chunks = [await published(tx.session, editor, f"Guide {n}", body) for n, body in enumerate(BODIES)]
        await tx.session.execute(text("ANALYZE kb_chunks"))  # the planner's statistics, for this transaction
        space = editor.workspace_id

        every = await leg(tx.session, space, "courier delivery of a pallet", None)
        assert {hit.chunk_id for hit in every} == set(chunks)  # "delivery" matches every one
        assert await leg(tx.session, space, "courier delivery of a pallet", len(chunks)) == every  # within budget

        rarer = await leg(tx.session, space, "courier delivery of a pallet", 3, depth=3)  # 8 chunks > 3
        assert rarer == [hit for hit in every if hit.chunk_id in {chunks[1], chunks[2], chunks[3]}]  # same ranks
        assert [hit.chunk_id for hit in await leg(tx.session, space, "pallet delivery", 1, depth=1)] == [chunks[3]]
        assert await leg(tx.session, space, "the of a", 1) == []  # stop words only

        # "parcel" is in no chunk: too few found, the commoner "delivery" is ranked too
        every = await leg(tx.session, space, "parcel delivery", None)
        assert len(every) == len(chunks) and await leg(tx.session, space, "parcel delivery", 1, depth=3) == every[:3]
        # "courier" and "pallet" find three chunks; too few for five: "delivery" adds the others
        assert await leg(tx.session, space, "courier pallet delivery", 3, depth=5) == (
            await leg(tx.session, space, "courier pallet delivery", None, depth=5)
        )


async def test_without_statistics_or_with_common_words_only_at_most_the_cap_is_ranked(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        chunks = [await published(tx.session, editor, f"Guide {n}", body) for n, body in enumerate(BODIES)]
        hits = await leg(tx.session, editor.workspace_id, "delivery", 1, cap=3)  # the rarest word alone is common
        assert len(hits) == 3 and {hit.chunk_id for hit in hits} < set(chunks)
        assert [hit.rank for hit in hits] == sorted((hit.rank for hit in hits), reverse=True)


async def test_each_article_is_ranked_in_its_configuration_when_the_queries_differ(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        russian = await published(tx.session, editor, "Доставка", "Доставка курьером до двери.", Locale.RU)
        others = [await published(tx.session, editor, f"Guide {n}", body) for n, body in enumerate(BODIES)]
        await tx.session.execute(text("ANALYZE kb_chunks"))
        query = "доставка курьером delivery"  # in English "доставка"; in Russian "доставк"; "deliveri" in both
        every = await leg(tx.session, editor.workspace_id, query, None)
        assert {hit.chunk_id for hit in every} == {russian, *others}
        hits = await leg(tx.session, editor.workspace_id, query, 2, depth=1)  # "deliveri", in every chunk, left out
        assert hits == [hit for hit in every if hit.chunk_id == russian]


def test_the_rarest_words_within_the_budget_are_kept_in_the_querys_order() -> None:
    estimates = {"": 5.0, "delivery": 900.0, "courier": 300.0, "pallet": 40.0, "it's": 1.0}
    query = "'delivery' | 'courier' | 'pallet' | 'tracking'"
    assert lexical._rarest(query, estimates, 400) == "'courier' | 'pallet' | 'tracking'"
    assert lexical._rarest(query, estimates, 10) == "'tracking'"
    assert lexical._rarest(query, estimates, 2_000) == query
    assert lexical._rarest("'delivery'", estimates, 1) == "'delivery'"  # the rarest always
    assert lexical._rarest("'it''s' | 'delivery'", estimates, 10) == "'it''s'"
    assert lexical._rarest(query, None, 10) == query  # no statistics
    assert lexical._rarest("'a' | 'b':*", estimates, 1) == "'a' | 'b':*"  # not a plain OR of lexemes
    assert lexical._unquote(r"'it''s a \\ back\'slash'") == "it's a \\ back'slash"


def test_a_words_estimated_matches_are_its_share_times_the_workspaces_chunks() -> None:
    statistics = {
        "chunks": 10_000.0,
        "workspaces": [7, 8],
        "shares": [0.6, 0.3],
        "distinct": 3.0,
        "nulls": 0.0,
        "rarest_listed": 0.02,
        "listed": {"delivery": 0.5},
    }
    assert lexical._estimates(statistics, WorkspaceId(7)) == {"": 60.0, "delivery": 3_000.0}
    assert lexical._estimates(statistics, WorkspaceId(9)) == pytest.approx({"": 10.0, "delivery": 500.0})
    assert lexical._estimates(statistics | {"distinct": -0.0004}, WorkspaceId(9))["delivery"] == pytest.approx(250.0)
