"""Secrets at rest (identity secrets, bot tokens, model keys) are sealed with a key derived from
FIRSTLINE_SECRET_KEY; visitor tokens are signed with another key derived from it."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from core.errors import StartupError


def derive_key(secret_key: str, purpose: str) -> bytes:
    """32 bytes for one purpose; different purposes never share a key."""
    return hashlib.sha256(f"firstline:{purpose}:{secret_key}".encode()).digest()


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "secrets-at-rest")))

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise StartupError(
                "a stored secret cannot be decrypted: FIRSTLINE_SECRET_KEY differs from the one it was sealed with"
            ) from None
