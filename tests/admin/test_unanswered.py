"""The unanswered-questions report over HTTP (editors and admins): questions the AI bot handed off for
want of an article, or answered unhelpfully, grouped by topic on the page and in
`/api/v1/ai/unanswered`; a group links to a new article titled with its question and can be
dismissed; answered, resolved, old and other workspaces' questions never show."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from accounts.models import Workspace
from accounts.roles import Role
from bots.ai.models import QUESTION_DIM, AIAnswer
from core.app import build_app
from core.clock import FrozenClock
from core.db import Database
from core.ids import AIAnswerId
from tests.factories import Client, log_in, make_operator, make_settings, make_workspace

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PAGE = "/w/acme/knowledge-base/unanswered"
API = "/api/v1/ai/unanswered"
_keys = itertools.count(1)


def vector(*leading: float) -> list[float]:
    return [*leading, *([0.0] * (QUESTION_DIM - len(leading)))]


REFUND = vector(1.0)
REFUND_AGAIN = vector(0.95, 0.31)  # cosine ≈ 0.95 with REFUND
DELIVERY = vector(0.0, 0.0, 1.0)


@pytest.fixture
async def client(db: Database, aiohttp_client: AiohttpClient) -> Client:
    return await aiohttp_client(build_app(make_settings(), database=db, clock=FrozenClock(NOW)))


async def ask(
    db: Database,
    workspace: Workspace,
    question: str,
    *,
    embedding: Sequence[float] | None = None,
    decision: str = "handoff",
    reason: str | None = "weak-evidence",
    helpful: bool | None = None,
    language: str = "en",
    ago: timedelta = timedelta(hours=1),
    resolved: bool = False,
) -> AIAnswerId:
    async with db.transaction() as tx:
        row = AIAnswer(
            workspace_id=workspace.id,
            request_key=f"test-{next(_keys)}",
            question=question,
            language=language,
            decision=decision,
            reason=reason,
            mode="extractive",
            question_embedding=None if embedding is None else list(embedding),
            helpful=helpful,
            resolved_at=NOW if resolved else None,
            created_at=NOW - ago,
        )
        tx.session.add(row)
        await tx.session.flush()
        return row.id


async def member_of(db: Database, slug: str, role: Role, email: str) -> Workspace:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug=slug, name=slug.title())
        await make_operator(tx.session, workspace=workspace, role=role, email=email)
    return workspace


async def seed_report(db: Database, acme: Workspace, rival: Workspace) -> dict[str, AIAnswerId]:
    """Acme: a refund topic asked three ways (one answer found unhelpful), one about delivery, and
    rows that must not show; the rival's question never shows in Acme."""
    return {
        "refund": await ask(db, acme, "how do I get a refund", embedding=REFUND, ago=timedelta(hours=3)),
        "refund again": await ask(
            db, acme, "How do I get a refund?", ago=timedelta(hours=2), reason="not-in-knowledge-base"
        ),
        "money back": await ask(
            db, acme, "Money back please", embedding=REFUND_AGAIN, decision="answer", reason=None, helpful=False
        ),
        "delivery": await ask(db, acme, "Where is my parcel?", embedding=DELIVERY, language="ru"),
        "answered": await ask(db, acme, "Opening hours?", decision="answer", reason=None),
        "liked": await ask(db, acme, "Prices?", decision="answer", reason=None, helpful=True),
        "asked for person": await ask(db, acme, "Talk to a human", reason="visitor-asked"),
        "resolved": await ask(db, acme, "Old topic", resolved=True),
        "too old": await ask(db, acme, "Ancient question", ago=timedelta(days=91)),
        "rival": await ask(db, rival, "Rival secret question", embedding=REFUND),
    }


async def test_an_editor_sees_the_questions_grouped_by_topic(client: Client, db: Database) -> None:
    acme = await member_of(db, "acme", Role.EDITOR, "ed@acme.test")
    rival = await member_of(db, "rival", Role.ADMIN, "boss@rival.test")
    await log_in(client, "ed@acme.test")
    empty = await (await client.get(PAGE)).text()
    assert 'data-testid="unanswered-empty"' in empty
    await seed_report(db, acme, rival)
    assert 'href="/w/acme/knowledge-base/unanswered"' in await (await client.get("/w/acme/knowledge-base")).text()

    response = await client.get(PAGE)
    page = await response.text()
    assert response.status == 200
    questions = re.findall(r'data-testid="group-question">([^<]*)<', page)
    assert questions == ["How do I get a refund?", "Where is my parcel?"]
    assert re.findall(r'data-testid="group-count">([^<]*)<', page) == ["3 times", "1 time"]
    assert "Money back please" in page  # an example of the refund group
    assert "The visitor said the answer did not help" in page and "No article matched well enough" in page
    links = [unescape(link) for link in re.findall(r'<a href="([^"]*)" data-testid="write-article"', page)]
    assert links == [
        "/w/acme/knowledge-base?title=How+do+I+get+a+refund%3F&language=en",
        "/w/acme/knowledge-base?title=Where+is+my+parcel%3F&language=ru",
    ]
    for hidden in ("Opening hours?", "Prices?", "Talk to a human", "Old topic", "Ancient question", "Rival secret"):
        assert hidden not in page


async def test_write_an_article_prefills_the_new_article_form(client: Client, db: Database) -> None:
    await member_of(db, "acme", Role.EDITOR, "ed@acme.test")
    await log_in(client, "ed@acme.test")
    page = await (await client.get("/w/acme/knowledge-base?title=Where+is+my+parcel%3F&language=ru")).text()
    assert '<input name="title" maxlength="200" required value="Where is my parcel?" autofocus>' in page
    assert '<option value="ru" selected>' in page
    plain = await (await client.get("/w/acme/knowledge-base")).text()
    assert '<input name="title" maxlength="200" required value="">' in plain


async def test_dismissing_a_group_resolves_all_its_questions(client: Client, db: Database) -> None:
    acme = await member_of(db, "acme", Role.ADMIN, "me@acme.test")
    rival = await member_of(db, "rival", Role.ADMIN, "boss@rival.test")
    ids = await seed_report(db, acme, rival)
    token = await log_in(client, "me@acme.test")
    page = await (await client.get(PAGE)).text()
    first_form = re.search(rf'<form method="post" action="{PAGE}/dismiss" class="inline">(.*?)</form>', page, re.S)
    assert first_form is not None
    group_ids = [AIAnswerId(int(value)) for value in re.findall(r'name="answer_id" value="(\d+)"', first_form.group(1))]
    assert sorted(group_ids) == sorted([ids["refund"], ids["refund again"], ids["money back"]])

    data = [("_csrf", token), *(("answer_id", str(answer_id)) for answer_id in [*group_ids, ids["rival"]])]
    dismissed = await client.post(PAGE + "/dismiss", data=data)
    after = await dismissed.text()
    assert "Dismissed 3 questions." in after
    assert re.findall(r'data-testid="group-question">([^<]*)<', after) == ["Where is my parcel?"]
    async with db.transaction() as tx:
        rows = await tx.session.execute(select(AIAnswer.id, AIAnswer.resolved_at))
        resolved = {answer_id: at for answer_id, at in rows}
    assert all(resolved[answer_id] == NOW for answer_id in group_ids)
    assert resolved[ids["rival"]] is None  # another workspace's question is not touched
    assert (await client.post(PAGE + "/dismiss", data=data[:1] + data[-1:])).status == 200
    without_token = await client.post(PAGE + "/dismiss", data=[("answer_id", str(ids["delivery"]))])
    assert without_token.status == 403


async def test_the_json_api_returns_the_groups(client: Client, db: Database) -> None:
    acme = await member_of(db, "acme", Role.EDITOR, "ed@acme.test")
    rival = await member_of(db, "rival", Role.ADMIN, "boss@rival.test")
    ids = await seed_report(db, acme, rival)
    token = await log_in(client, "ed@acme.test")
    headers = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    response = await client.get(API, headers=headers)
    assert response.status == 200
    body = await response.json()
    assert (body["similarity"], body["period_days"]) == (0.85, 90)
    refund, delivery = body["groups"]
    assert refund["question"] == "How do I get a refund?" and refund["count"] == 3
    assert refund["examples"] == ["How do I get a refund?", "Money back please"]
    assert sorted(refund["reasons"]) == ["not-in-knowledge-base", "unhelpful", "weak-evidence"]
    assert sorted(refund["answer_ids"]) == sorted([ids["refund"], ids["refund again"], ids["money back"]])
    assert refund["latest_at"] == (NOW - timedelta(hours=1)).isoformat()  # "Money back please"
    assert (delivery["question"], delivery["language"], delivery["count"]) == ("Where is my parcel?", "ru", 1)
    assert "Rival" not in await response.text()

    strict = await (await client.get(API, params={"similarity": "0.99"}, headers=headers)).json()
    assert [group["count"] for group in strict["groups"]] == [2, 1, 1]
    bad = await client.get(API, params={"similarity": "2"}, headers=headers)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_input"

    dismissed = await client.post(API + "/dismiss", json={"answer_ids": refund["answer_ids"]}, headers=headers)
    assert (await dismissed.json()) == {"dismissed": 3}
    left = await (await client.get(API, headers=headers)).json()
    assert [group["question"] for group in left["groups"]] == ["Where is my parcel?"]


async def test_operators_may_not_see_the_report(client: Client, db: Database) -> None:
    acme = await member_of(db, "acme", Role.OPERATOR, "op@acme.test")
    delivery = await ask(db, acme, "Where is my parcel?")
    token = await log_in(client, "op@acme.test")
    assert (await client.get(PAGE)).status == 403
    headers = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    assert (await client.get(API, headers=headers)).status == 403
    refused = await client.post(API + "/dismiss", json={"answer_ids": [delivery]}, headers=headers)
    assert refused.status == 403
    async with db.transaction() as tx:
        assert await tx.session.scalar(select(AIAnswer.resolved_at).where(AIAnswer.id == delivery)) is None


async def test_another_workspace_report_is_not_reachable(client: Client, db: Database) -> None:
    await member_of(db, "acme", Role.ADMIN, "me@acme.test")
    rival = await member_of(db, "rival", Role.ADMIN, "boss@rival.test")
    await ask(db, rival, "Rival secret question")
    token = await log_in(client, "me@acme.test")
    assert (await client.get("/w/rival/knowledge-base/unanswered")).status == 404
    response = await client.get(API, headers={"X-CSRF-Token": token, "X-Workspace": "rival"})
    assert response.status == 404
    assert "Rival secret" not in await (await client.get(PAGE)).text()
