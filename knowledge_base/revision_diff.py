"""What changed between two texts of an article (pure): difflib's line matching as a unified diff,
and the same hunks as typed lines numbered on both sides, for the compare page to highlight."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum

CONTEXT_LINES = 3


class LineKind(StrEnum):
    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"


_PREFIX = {LineKind.SAME: " ", LineKind.ADDED: "+", LineKind.REMOVED: "-"}


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    text: str
    old_number: int | None  # 1-based; None for an added line
    new_number: int | None  # 1-based; None for a removed line


@dataclass(frozen=True)
class Hunk:
    old_start: int  # 0-based index of the hunk's first old line
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[DiffLine, ...]

    @property
    def header(self) -> str:
        return f"@@ -{_range(self.old_start, self.old_count)} +{_range(self.new_start, self.new_count)} @@"


@dataclass(frozen=True)
class TextDiff:
    from_label: str
    to_label: str
    hunks: tuple[Hunk, ...]

    @property
    def identical(self) -> bool:
        return not self.hunks

    @property
    def added(self) -> int:
        return self._count(LineKind.ADDED)

    @property
    def removed(self) -> int:
        return self._count(LineKind.REMOVED)

    @property
    def unified(self) -> str:
        """The `diff -u` text (empty when nothing changed), as difflib.unified_diff writes it."""
        if self.identical:
            return ""
        out = [f"--- {self.from_label}", f"+++ {self.to_label}"]
        for hunk in self.hunks:
            out.append(hunk.header)
            out.extend(_PREFIX[line.kind] + line.text for line in hunk.lines)
        return "\n".join(out) + "\n"

    def _count(self, kind: LineKind) -> int:
        return sum(1 for hunk in self.hunks for line in hunk.lines if line.kind is kind)


def article_text(title: str, body: str) -> str:
    """An article as it is compared: the title as a heading over the Markdown, so renames show."""
    return f"# {title}\n\n{body}"


def compare_texts(old: str, new: str, *, from_label: str, to_label: str, context: int = CONTEXT_LINES) -> TextDiff:
    old_lines, new_lines = _lines(old), _lines(new)
    # autojunk off: in long articles, frequent lines (blank ones, list markers) must still match.
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks = tuple(_hunk(group, old_lines, new_lines) for group in matcher.get_grouped_opcodes(context))
    return TextDiff(from_label=from_label, to_label=to_label, hunks=hunks)


def _lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines  # a final newline ends the last line; it is not one more


def _hunk(group: list[tuple[str, int, int, int, int]], old: list[str], new: list[str]) -> Hunk:
    lines: list[DiffLine] = []
    for tag, old_from, old_to, new_from, new_to in group:
        if tag == "equal":
            lines.extend(
                DiffLine(LineKind.SAME, old[i], i + 1, j + 1)
                for i, j in zip(range(old_from, old_to), range(new_from, new_to), strict=True)
            )
            continue
        lines.extend(DiffLine(LineKind.REMOVED, old[i], i + 1, None) for i in range(old_from, old_to))
        lines.extend(DiffLine(LineKind.ADDED, new[j], None, j + 1) for j in range(new_from, new_to))
    first, last = group[0], group[-1]
    return Hunk(
        old_start=first[1],
        old_count=last[2] - first[1],
        new_start=first[3],
        new_count=last[4] - first[3],
        lines=tuple(lines),
    )


def _range(start: int, count: int) -> str:
    """A hunk side as unified diffs write it: "3" for one line, "3,4", and "2,0" for none after line 2."""
    if count == 1:
        return str(start + 1)
    return f"{start if count == 0 else start + 1},{count}"
