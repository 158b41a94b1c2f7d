"""Comparing two texts of an article: two revisions, or a revision and the current draft, as a
highlighted line diff on a page of the editor (`…/articles/{id}/compare?from=N&to=M|draft`) and as
JSON (`/api/v1/knowledge-base/articles/{id}/revisions/{a}/compare/{b}`). Editors and admins."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from admin.api import json_response
from admin.identity import api_actor, open_workspace
from admin.rendering import render_shell
from core.errors import InvalidInput
from core.ids import ArticleId
from core.keys import database_key
from knowledge_base.articles import access_article, access_revision, list_revisions, published_revision
from knowledge_base.revision_diff import Hunk, TextDiff, article_text, compare_texts

routes = web.RouteTableDef()
DRAFT = "draft"
Side = int | str  # a revision number, or DRAFT


def parse_side(value: str, *, field: str) -> Side:
    if value == DRAFT:
        return DRAFT
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise InvalidInput("Compare a revision number or draft.", field=field)


async def compare_sides(session: AsyncSession, actor: Actor, article_id: ArticleId, old: Side, new: Side) -> TextDiff:
    """The texts are labelled "revision N" and "draft" (the unified diff's file names)."""
    return compare_texts(
        await _text(session, actor, article_id, old),
        await _text(session, actor, article_id, new),
        from_label=_label(old),
        to_label=_label(new),
    )


async def _text(session: AsyncSession, actor: Actor, article_id: ArticleId, side: Side) -> str:
    if isinstance(side, int):
        revision = await access_revision(session, actor, article_id, side)
        return article_text(revision.title, revision.body_markdown)
    article = await access_article(session, actor, article_id)
    return article_text(article.title, article.body_markdown)


def _label(side: Side) -> str:
    return f"revision {side}" if isinstance(side, int) else DRAFT


def diff_json(old: Side, new: Side, diff: TextDiff) -> dict[str, object]:
    return {
        "from": old,
        "to": new,
        "identical": diff.identical,
        "added": diff.added,
        "removed": diff.removed,
        "unified": diff.unified,
        "hunks": [_hunk_json(hunk) for hunk in diff.hunks],
    }


def _hunk_json(hunk: Hunk) -> dict[str, object]:
    return {
        "header": hunk.header,
        "old_start": hunk.old_start + 1,
        "old_count": hunk.old_count,
        "new_start": hunk.new_start + 1,
        "new_count": hunk.new_count,
        "lines": [
            {"kind": line.kind, "text": line.text, "old_number": line.old_number, "new_number": line.new_number}
            for line in hunk.lines
        ],
    }


@routes.get(r"/w/{slug}/knowledge-base/articles/{article_id:\d+}/compare")
async def compare_page(request: web.Request) -> web.StreamResponse:
    """`from` defaults to the live revision (else the newest), `to` to the draft."""
    article_id = ArticleId(int(request.match_info["article_id"]))
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        article = await access_article(tx.session, visit.actor, article_id)
        revisions = await list_revisions(tx.session, visit.actor, article_id)
        live = await published_revision(tx.session, article)
        default_from = live.number if live is not None else revisions[0].number if revisions else DRAFT
        old = parse_side(request.query.get("from", str(default_from)), field="from")
        new = parse_side(request.query.get("to", DRAFT), field="to")
        diff = await compare_sides(tx.session, visit.actor, article_id, old, new)
        context = {
            "article": {"id": article.id, "title": article.title},
            "revisions": [{"number": r.number, "title": r.title, "published_at": r.published_at} for r in revisions],
            "live_number": None if live is None else live.number,
            "old": old,
            "new": new,
            "diff": diff,
        }
    return await render_shell(request, "knowledge_base_compare.html", visit, "knowledge-base", context)


@routes.get(r"/api/v1/knowledge-base/articles/{article_id:\d+}/revisions/{old:\d+|draft}/compare/{new:\d+|draft}")
async def compare_api(request: web.Request) -> web.Response:
    article_id = ArticleId(int(request.match_info["article_id"]))
    old = parse_side(request.match_info["old"], field="from")
    new = parse_side(request.match_info["new"], field="to")
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        diff = await compare_sides(tx.session, actor, article_id, old, new)
    return json_response(diff_json(old, new, diff))
