"""Roles and what each may do (pure)."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Forbidden, InvalidInput


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    EDITOR = "editor"


class Permission(StrEnum):
    MANAGE_WORKSPACE = "manage_workspace"
    MANAGE_OPERATORS = "manage_operators"
    MANAGE_API_KEYS = "manage_api_keys"
    WORK_INBOX = "work_inbox"
    EDIT_KNOWLEDGE_BASE = "edit_knowledge_base"
    MANAGE_FLOWS = "manage_flows"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_BROADCASTS = "manage_broadcasts"
    VIEW_USAGE = "view_usage"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: frozenset({Permission.WORK_INBOX}),
    Role.EDITOR: frozenset({Permission.EDIT_KNOWLEDGE_BASE, Permission.MANAGE_BROADCASTS}),
}


def can(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]


def check_permission(role: Role, permission: Permission) -> None:
    if not can(role, permission):
        raise Forbidden("Your role ({role}) does not allow this action.", role=str(role))


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("Choose a role: admin, operator or editor.", field="role") from None
