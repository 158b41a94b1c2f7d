"""What one widget connection has told its visitor about who can answer their queued dialog
(`availability` frames, docs/widget-protocol.md): when to look again, and what is new to say."""

from __future__ import annotations

from datetime import datetime, timedelta

from channels.web_widget.policy import widget_language
from channels.web_widget.texts import availability_frame
from conversations.availability import Availability
from core.clock import Clock
from core.i18n import Catalogs

# After a visitor's message, who is online is looked up again only this long after the last look.
AVAILABILITY_RECHECK = timedelta(seconds=30)


class AvailabilityNotices:
    def __init__(self, clock: Clock, catalogs: Catalogs, *, language_setting: str, browser_languages: str) -> None:
        self._clock = clock
        self._catalogs = catalogs
        self._language_setting = language_setting
        self._browser_languages = browser_languages
        self._language = widget_language(language_setting, browser_languages)
        self._checked_at: datetime | None = None
        self._told: dict[str, object] | None = None  # the last frame sent

    def speak_to(self, contact_language: str | None) -> None:
        """As the session endpoint chose it: the workspace's fixed language, else the browser's."""
        self._language = widget_language(self._language_setting, contact_language or self._browser_languages)

    @property
    def showing(self) -> bool:
        """The widget shows a notice (which a look may have to take back)."""
        return self._told is not None and self._told["notice"] is not None

    def due(self, *, at_once: bool = False) -> bool:
        checked = self._checked_at
        return at_once or checked is None or self._clock.now() - checked >= AVAILABILITY_RECHECK

    def frame_for(self, availability: Availability) -> dict[str, object] | None:
        """The frame to send, or None when it would say nothing new."""
        now = self._clock.now()
        self._checked_at = now
        frame = availability_frame(availability, now=now, language=self._language, catalogs=self._catalogs)
        if frame == self._told or (self._told is None and frame["notice"] is None):
            return None
        self._told = frame
        return frame

    def email_saved(self) -> None:
        if self._told is not None:
            self._told = {**self._told, "needs_email": False}

    def operator_answered(self) -> None:
        """The widget drops its notice when an operator's message arrives: it starts afresh."""
        self._told = None
