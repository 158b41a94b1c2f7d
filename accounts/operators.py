"""Operators and their membership in a workspace: add (invite), change role, remove, list, profile."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_member
from accounts.actors import Actor
from accounts.invitations import create_invitation
from accounts.models import GroupMember, Membership, Operator
from accounts.roles import Permission, Role
from accounts.secrets_hashing import hash_password
from accounts.validation import check_email, check_name, check_password
from core.clock import Clock
from core.db import unique_or
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import GroupId, OperatorId

SUPPORTED_LOCALES = ("en", "ru")


@dataclass(frozen=True)
class MemberView:
    operator_id: OperatorId
    email: str
    display_name: str
    role: Role
    group_ids: tuple[GroupId, ...]
    has_password: bool
    is_active: bool
    presence: str
    capacity: int


@dataclass(frozen=True)
class AddedMember:
    operator: Operator
    invitation_token: str | None  # set when the operator has no password yet


async def find_operator_by_email(session: AsyncSession, email: str) -> Operator | None:
    """Operators are installation-wide; this finds one for login, the CLI and invitations."""
    query = select(Operator).where(func.lower(Operator.email) == email.strip().lower())
    return (await session.execute(query)).scalar_one_or_none()


async def create_operator(session: AsyncSession, *, email: str, display_name: str, password: str | None) -> Operator:
    address = check_email(email)
    operator = Operator(
        email=address,
        display_name=check_name(display_name, field="display name", max_length=120),
        password_hash=None if password is None else hash_password(check_password(password)),
    )
    async with unique_or(
        session, Conflict("An operator with email {email} already exists.", field="email", email=address)
    ):
        session.add(operator)
    return operator


async def add_member(
    session: AsyncSession, actor: Actor, *, email: str, display_name: str, role: Role, clock: Clock
) -> AddedMember:
    """Add an operator to the actor's workspace, creating them (with an invitation) if new."""
    actor.require(Permission.MANAGE_OPERATORS)
    operator = await find_operator_by_email(session, check_email(email))
    if operator is None:
        operator = await create_operator(session, email=email, display_name=display_name, password=None)
    conflict = Conflict("{email} is already a member of this workspace.", field="email", email=operator.email)
    async with unique_or(session, conflict):
        session.add(Membership(workspace_id=actor.workspace_id, operator_id=operator.id, role=role))
    token = None
    if operator.password_hash is None:
        token = await create_invitation(session, workspace_id=actor.workspace_id, operator_id=operator.id, clock=clock)
    return AddedMember(operator=operator, invitation_token=token)


async def reinvite_member(session: AsyncSession, actor: Actor, operator_id: OperatorId, *, clock: Clock) -> str:
    actor.require(Permission.MANAGE_OPERATORS)
    operator, _ = await access_member(session, actor, operator_id)
    if operator.password_hash is not None:
        raise Conflict("{email} has already set a password.", email=operator.email)
    return await create_invitation(session, workspace_id=actor.workspace_id, operator_id=operator_id, clock=clock)


async def set_member_role(session: AsyncSession, actor: Actor, operator_id: OperatorId, role: Role) -> None:
    actor.require(Permission.MANAGE_OPERATORS)
    _, membership = await access_member(session, actor, operator_id)
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        await _check_not_last_admin(session, actor)
    membership.role = role
    await session.flush()


async def remove_member(session: AsyncSession, actor: Actor, operator_id: OperatorId) -> None:
    actor.require(Permission.MANAGE_OPERATORS)
    _, membership = await access_member(session, actor, operator_id)
    if membership.role == Role.ADMIN:
        await _check_not_last_admin(session, actor)
    await session.execute(
        delete(GroupMember).where(
            GroupMember.workspace_id == actor.workspace_id, GroupMember.operator_id == operator_id
        )
    )
    await session.delete(membership)
    await session.flush()


async def list_members(session: AsyncSession, actor: Actor, *, only: OperatorId | None = None) -> list[MemberView]:
    actor.require(Permission.MANAGE_OPERATORS)
    query = (
        select(Operator, Membership.role, Membership.presence, Membership.capacity)
        .join(Membership, Membership.operator_id == Operator.id)
        .where(Membership.workspace_id == actor.workspace_id)
        .order_by(func.lower(Operator.display_name), Operator.id)
    )
    groups_query = select(GroupMember.operator_id, GroupMember.group_id).where(
        GroupMember.workspace_id == actor.workspace_id
    )
    if only is not None:
        query = query.where(Operator.id == only)
        groups_query = groups_query.where(GroupMember.operator_id == only)
    rows = await session.execute(query)
    groups = await session.execute(groups_query)
    by_operator: dict[OperatorId, list[GroupId]] = {}
    for operator_id, group_id in groups:
        by_operator.setdefault(operator_id, []).append(group_id)
    return [
        MemberView(
            operator_id=operator.id,
            email=operator.email,
            display_name=operator.display_name,
            role=Role(role),
            group_ids=tuple(sorted(by_operator.get(operator.id, []))),
            has_password=operator.password_hash is not None,
            is_active=operator.is_active,
            presence=presence,
            capacity=capacity,
        )
        for operator, role, presence, capacity in rows
    ]


async def display_name_of(session: AsyncSession, operator_id: OperatorId | None) -> str:
    """How visitors see who acts: the operator's display name (an API key acts as "Support")."""
    name = (
        None
        if operator_id is None
        else await session.scalar(select(Operator.display_name).where(Operator.id == operator_id))
    )
    return name or "Support"


async def member_view(session: AsyncSession, actor: Actor, operator_id: OperatorId) -> MemberView:
    found = await list_members(session, actor, only=operator_id)
    if not found:
        raise NotFound("Operator not found.")
    return found[0]


async def update_profile(
    session: AsyncSession, operator: Operator, *, display_name: str | None, locale: str | None
) -> None:
    if display_name is not None:
        operator.display_name = check_name(display_name, field="display name", max_length=120)
    if locale is not None:
        if locale not in SUPPORTED_LOCALES:
            raise InvalidInput("Choose a supported language.", field="locale")
        operator.locale = locale
    await session.flush()


async def _check_not_last_admin(session: AsyncSession, actor: Actor) -> None:
    # Lock the workspace's admin memberships so two concurrent demotions cannot both pass.
    admins = (
        await session.execute(
            select(Membership.id)
            .where(Membership.workspace_id == actor.workspace_id, Membership.role == Role.ADMIN)
            .with_for_update()
        )
    ).all()
    if len(admins) <= 1:
        raise Conflict("A workspace needs at least one admin; make someone else an admin first.")
