"""Visitor tokens: which workspace and which browser (the widget's visitor id), signed so a visitor
cannot pose as another; kept by the widget and sent back on every session, socket and upload."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.crypto import derive_key
from core.ids import WorkspaceId

MAX_AGE_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class Visitor:
    workspace_id: WorkspaceId
    address: str  # the widget's visitor id: the contact's address on the web channel


class VisitorTokens:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(derive_key(secret_key, "visitor-token"), salt="visitor")

    def issue(self, visitor: Visitor) -> str:
        return self._serializer.dumps({"w": visitor.workspace_id, "a": visitor.address})

    def read(self, token: str, *, workspace_id: WorkspaceId) -> Visitor | None:
        """The visitor, if the token is genuine, unexpired and for this workspace."""
        visitor = self.read_any(token)
        return visitor if visitor is not None and visitor.workspace_id == workspace_id else None

    def read_any(self, token: str) -> Visitor | None:
        """The visitor of a genuine, unexpired token, whichever workspace it is for."""
        try:
            data = self._serializer.loads(token, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("w"), int) or not isinstance(data.get("a"), str):
            return None
        return Visitor(workspace_id=WorkspaceId(data["w"]), address=data["a"])


def new_visitor(workspace_id: WorkspaceId) -> Visitor:
    return Visitor(workspace_id=workspace_id, address=uuid.uuid4().hex)
