"""URL slugs from titles: Cyrillic transliterated, everything else reduced to ASCII words (pure)."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX = 80
# One Latin spelling per Cyrillic letter (BGN/PCGN-like); "_" marks the signs, which are dropped.
_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split()  # noqa: SIM905
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN, strict=True))
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, fallback: str) -> str:
    """ "Как вернуть деньги?" -> "kak-vernut-dengi"; `fallback` when nothing is left."""
    spelled = "".join(_CYRILLIC.get(char, char) for char in text.lower()).replace("_", "")
    ascii_only = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    slug = _NOT_WORD.sub("-", ascii_only).strip("-")[:SLUG_MAX].strip("-")
    return slug or fallback


def numbered(slug: str, number: int) -> str:
    """The `number`-th candidate for a slug already taken: slug, slug-2, slug-3..."""
    return slug if number == 1 else f"{slug[: SLUG_MAX - 6]}-{number}"
