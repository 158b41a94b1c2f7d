"""Reading what languages a browser asks for (pure)."""

from __future__ import annotations


def preferred_languages(header: str) -> list[str]:
    """Primary language tags of an Accept-Language header, best first ("ru-RU;q=0.8" -> "ru")."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(weighted)]
