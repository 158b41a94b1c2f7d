"""The demo workspace's knowledge base: articles about Firstline itself, the same topics in English
and Russian, so the AI bot and the help center have something to answer from on a fresh install.

They ship as package data, `knowledge_base/demo_articles/<locale>/NN-name.md`, one article a file:

    # The article's title
    <!-- category: Getting started -->
    <!-- visibility: bot_only -->      (optional; public by default)

    The Markdown body, with ## sections.

`ensure_demo_articles` creates and publishes (through the editors' own functions) each article the
workspace does not have yet, matched by the slug its title gives, so running the demo again creates
nothing. Publishing here does not index: the server's indexer catches up on published articles
without chunks when it starts (knowledge_base.indexing.Indexer.run)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import Workspace
from accounts.roles import Role
from core.errors import NotFound
from core.ids import ArticleId, CategoryId, WorkspaceId
from knowledge_base.articles import create_article, publish_article
from knowledge_base.categories import create_category, workspace_categories
from knowledge_base.models import Article
from knowledge_base.slugs import slugify
from knowledge_base.validation import Locale, Visibility

ARTICLES_DIR = "demo_articles"
_TITLE = re.compile(r"# (?P<title>\S.*)")
_FIELD = re.compile(r"<!--\s*(?P<key>[a-z_]+):\s*(?P<value>.*?)\s*-->")
_FIELDS = frozenset({"category", "visibility"})


@dataclass(frozen=True)
class DemoArticle:
    locale: Locale
    name: str  # the file's name without ".md": "01-chat-widget", the same topic in every locale
    title: str
    category: str
    visibility: Visibility
    body: str  # Markdown

    @property
    def slug(self) -> str:
        """The slug `create_article` gives this title in a workspace that does not have it yet."""
        return slugify(self.title, fallback="article")


def parse_demo_article(locale: Locale, name: str, text: str) -> DemoArticle:
    """One file's article; ValueError naming the file when it lacks the `# Title` line or a
    category, or has a field it does not know."""
    lines = text.strip().splitlines()
    title = _TITLE.fullmatch(lines[0].strip()) if lines else None
    if title is None:
        raise ValueError(f"{locale}/{name}.md: the first line must be '# Title'")
    fields: dict[str, str] = {}
    rest = 1
    while rest < len(lines) and (field := _FIELD.fullmatch(lines[rest].strip())) is not None:
        if field["key"] not in _FIELDS:
            raise ValueError(f"{locale}/{name}.md: unknown field {field['key']!r}")
        fields[field["key"]] = field["value"]
        rest += 1
    if not fields.get("category"):
        raise ValueError(f"{locale}/{name}.md: no '<!-- category: ... -->' line after the title")
    return DemoArticle(
        locale=locale,
        name=name,
        title=title["title"].strip(),
        category=fields["category"],
        visibility=Visibility(fields.get("visibility", Visibility.PUBLIC)),
        body="\n".join(lines[rest:]).strip() + "\n",
    )


def load_demo_articles() -> list[DemoArticle]:
    """Every demo article, by locale and then by file name."""
    root = files("knowledge_base").joinpath(ARTICLES_DIR)
    articles = []
    for locale in sorted(Locale):
        for entry in sorted(root.joinpath(locale).iterdir(), key=lambda entry: entry.name):
            if entry.is_file() and entry.name.endswith(".md"):
                text = entry.read_text(encoding="utf-8")
                articles.append(parse_demo_article(locale, entry.name.removesuffix(".md"), text))
    return articles


async def ensure_demo_articles(session: AsyncSession, workspace_id: WorkspaceId, *, at: datetime) -> list[ArticleId]:
    """Create and publish the demo articles the workspace lacks (by slug), with their categories
    (by name); the ids of the articles created now, none when it already has them all."""
    slug = await session.scalar(select(Workspace.slug).where(Workspace.id == workspace_id))
    if slug is None:
        raise NotFound("No such workspace.")
    editor = Actor(workspace_id=workspace_id, workspace_slug=slug, role=Role.EDITOR)
    taken = set(await session.scalars(select(Article.slug).where(Article.workspace_id == workspace_id)))
    categories: dict[str, CategoryId] = {
        category.name: category.id for category in await workspace_categories(session, workspace_id)
    }
    created: list[ArticleId] = []
    for demo in load_demo_articles():
        if demo.slug in taken:
            continue
        if demo.category not in categories:
            categories[demo.category] = (await create_category(session, editor, demo.category)).id
        article = await create_article(
            session,
            editor,
            title=demo.title,
            body=demo.body,
            locale=demo.locale,
            visibility=demo.visibility,
            category_id=categories[demo.category],
            at=at,
        )
        await publish_article(session, editor, article.id, at=at)
        taken.add(article.slug)
        created.append(article.id)
    return created
