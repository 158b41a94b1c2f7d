"""Categories of a workspace's articles: create, rename and reorder, delete (their articles stay,
uncategorised). Editors and admins: Permission.EDIT_KNOWLEDGE_BASE."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from core.db import unique_or
from core.errors import Conflict, NotFound
from core.ids import CategoryId, WorkspaceId
from knowledge_base.models import Category
from knowledge_base.slugs import numbered, slugify
from knowledge_base.validation import check_category_name


async def create_category(session: AsyncSession, actor: Actor, name: str, *, position: int | None = None) -> Category:
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    cleaned = check_category_name(name)
    if position is None:
        last = await session.scalar(
            select(Category.position)
            .where(Category.workspace_id == actor.workspace_id)
            .order_by(Category.position.desc())
            .limit(1)
        )
        position = 0 if last is None else last + 1
    slug = await free_category_slug(session, actor.workspace_id, slugify(cleaned, fallback="category"))
    category = Category(workspace_id=actor.workspace_id, name=cleaned, slug=slug, position=position)
    async with unique_or(session, Conflict("Two categories were created at once; try again.")):
        session.add(category)
    return category


async def change_category(
    session: AsyncSession, actor: Actor, category_id: CategoryId, *, name: str | None, position: int | None
) -> Category:
    """A new name keeps the slug: links to the help center stay valid."""
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    category = await access_category(session, actor, category_id, for_update=True)
    if name is not None:
        category.name = check_category_name(name)
    if position is not None:
        category.position = position
    return category


async def delete_category(session: AsyncSession, actor: Actor, category_id: CategoryId) -> None:
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    await session.delete(await access_category(session, actor, category_id, for_update=True))
    await session.flush()


async def list_categories(session: AsyncSession, actor: Actor) -> list[Category]:
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    return await workspace_categories(session, actor.workspace_id)


async def workspace_categories(session: AsyncSession, workspace_id: WorkspaceId) -> list[Category]:
    rows = await session.scalars(
        select(Category).where(Category.workspace_id == workspace_id).order_by(Category.position, Category.name)
    )
    return list(rows)


async def access_category(
    session: AsyncSession, actor: Actor, category_id: CategoryId, *, for_update: bool = False
) -> Category:
    """The category, if it is the actor's workspace's; another workspace's is 404 like a missing one."""
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    query = select(Category).where(Category.id == category_id, Category.workspace_id == actor.workspace_id)
    if for_update:
        query = query.with_for_update()
    category = await session.scalar(query)
    if category is None:
        raise NotFound("No such category.")
    return category


async def free_category_slug(session: AsyncSession, workspace_id: WorkspaceId, slug: str) -> str:
    taken = set(
        await session.scalars(
            select(Category.slug).where(Category.workspace_id == workspace_id, Category.slug.startswith(slug))
        )
    )
    return next(candidate for n in range(1, len(taken) + 2) if (candidate := numbered(slug, n)) not in taken)
