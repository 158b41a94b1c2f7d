"""Who is acting in which workspace: an operator through a session, or an API key (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import Permission, Role, check_permission
from core.ids import ApiKeyId, OperatorId, WorkspaceId


@dataclass(frozen=True)
class Actor:
    workspace_id: WorkspaceId
    workspace_slug: str
    role: Role
    operator_id: OperatorId | None = None
    api_key_id: ApiKeyId | None = None

    def require(self, permission: Permission) -> None:
        check_permission(self.role, permission)
