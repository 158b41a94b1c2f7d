"""Which uploads are accepted (pure): size, and a type confirmed by the file's own first bytes —
never by the name or the browser's claim alone. SVG and HTML are refused (they can carry scripts)."""

from __future__ import annotations

from core.errors import InvalidInput, PayloadTooLarge, UnsupportedType

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 200
_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/gif", b"GIF8", 0),
    ("image/webp", b"WEBP", 8),
    ("application/pdf", b"%PDF-", 0),
)
ALLOWED_TYPES = frozenset({*(kind for kind, _, _ in _SIGNATURES), "text/plain"})
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def detect_content_type(data: bytes) -> str:
    """The accepted type these bytes really are, or UnsupportedType."""
    for content_type, signature, offset in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return content_type
    if _is_plain_text(data):
        return "text/plain"
    raise UnsupportedType("Only images (PNG, JPEG, GIF, WebP), PDF and plain text files can be attached.")


def check_upload(name: str, data: bytes) -> tuple[str, str]:
    """(clean file name, content type) of an acceptable upload."""
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge("A file can be at most {max_mb} MB.", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    if not data:
        raise InvalidInput("The file is empty.", field="file")
    return clean_file_name(name), detect_content_type(data)


def clean_file_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return (cleaned or "file")[:MAX_NAME_LENGTH]


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    try:
        sample = data[:8192].decode("utf-8")
    except UnicodeDecodeError:
        # The sample may end inside a multi-byte character.
        try:
            sample = data[:8189].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return "<svg" not in sample.lower() and "<html" not in sample.lower() and "<script" not in sample.lower()
