"""What the AI bot says besides answers, in the visitor's language (pure). A workspace may override
any of them per language (`ai_settings.texts`: {"handoff_unknown": {"ru": "…"}}); these are the
defaults."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Say(StrEnum):
    HANDOFF_ASKED = "handoff_asked"  # the visitor asked for a person
    HANDOFF_UNKNOWN = "handoff_unknown"  # weak evidence, not in the knowledge base, a stop topic
    HANDOFF_ERROR = "handoff_error"  # the model failed
    UNHELPFUL_OFFER = "unhelpful_offer"
    HELPFUL_THANKS = "helpful_thanks"
    BUTTON_HELPFUL = "button_helpful"
    BUTTON_UNHELPFUL = "button_unhelpful"
    BUTTON_PERSON = "button_person"
    READ_MORE = "read_more"


DEFAULTS: dict[Say, dict[str, str]] = {
    Say.HANDOFF_ASKED: {
        "en": "Of course. I'm passing the conversation to a colleague.",
        "ru": "Конечно, передаю разговор коллеге.",
    },
    Say.HANDOFF_UNKNOWN: {
        "en": "I can't answer that from our help articles, so I'm passing your question to a colleague.",
        "ru": "В наших статьях нет ответа на этот вопрос, поэтому я передаю его коллеге.",
    },
    Say.HANDOFF_ERROR: {
        "en": "I can't answer right now, so I'm passing your question to a colleague.",
        "ru": "Сейчас я не могу ответить, поэтому передаю ваш вопрос коллеге.",
    },
    Say.UNHELPFUL_OFFER: {
        "en": "Sorry that didn't help. You can rephrase the question, or talk to a person.",
        "ru": "Жаль, что не помогло. Можно переформулировать вопрос или поговорить с человеком.",
    },
    Say.HELPFUL_THANKS: {"en": "Glad it helped!", "ru": "Рад, что помог!"},
    Say.BUTTON_HELPFUL: {"en": "👍 Helpful", "ru": "👍 Помогло"},
    Say.BUTTON_UNHELPFUL: {"en": "👎 Not helpful", "ru": "👎 Не помогло"},
    Say.BUTTON_PERSON: {"en": "Talk to a person", "ru": "Позвать человека"},
    Say.READ_MORE: {"en": "Read more", "ru": "Подробнее"},
}


def text_for(what: Say, language: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> str:
    override = (overrides or {}).get(what.value, {}).get(language, "").strip()
    if override:
        return override
    defaults = DEFAULTS[what]
    return defaults.get(language, defaults["en"])
