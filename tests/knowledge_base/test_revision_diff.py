"""The line diff between two texts of an article: hunks of typed lines numbered on both sides, and a
unified diff exactly as difflib writes it."""

import difflib

from hypothesis import given
from hypothesis import strategies as st

from knowledge_base.revision_diff import LineKind, article_text, compare_texts


def test_changed_lines_are_removed_then_added_with_their_numbers() -> None:
    old = article_text("Refunds", "Within 14 days.\n\n- keep the receipt\n")
    new = article_text("Refunds", "Within 30 days.\n\n- keep the receipt\n- note the order\n")
    diff = compare_texts(old, new, from_label="revision 1", to_label="draft")
    assert (diff.added, diff.removed, diff.identical) == (2, 1, False)
    [hunk] = diff.hunks
    changed = [(line.kind, line.text, line.old_number, line.new_number) for line in hunk.lines if line.kind != "same"]
    assert changed == [
        (LineKind.REMOVED, "Within 14 days.", 3, None),
        (LineKind.ADDED, "Within 30 days.", None, 3),
        (LineKind.ADDED, "- note the order", None, 6),
    ]
    assert hunk.lines[0] == hunk.lines[0].__class__(LineKind.SAME, "# Refunds", 1, 1)
    assert diff.unified.startswith("--- revision 1\n+++ draft\n@@ -1,5 +1,6 @@\n # Refunds\n")
    assert "-Within 14 days.\n+Within 30 days.\n" in diff.unified


def test_a_renamed_article_shows_the_title_change() -> None:
    diff = compare_texts(article_text("Refund", "Text"), article_text("Refunds", "Text"), from_label="a", to_label="b")
    assert [line.text for line in diff.hunks[0].lines if line.kind == LineKind.ADDED] == ["# Refunds"]


def test_identical_texts_have_no_hunks() -> None:
    diff = compare_texts("same\ntext", "same\ntext", from_label="a", to_label="b")
    assert diff.identical and diff.unified == "" and (diff.added, diff.removed) == (0, 0)


def test_distant_changes_make_separate_hunks_with_three_lines_of_context() -> None:
    old = "\n".join(f"line {n}" for n in range(1, 31))
    new = old.replace("line 2\n", "line two\n").replace("line 29", "line twenty-nine")
    diff = compare_texts(old, new, from_label="a", to_label="b")
    assert [hunk.header for hunk in diff.hunks] == ["@@ -1,5 +1,5 @@", "@@ -26,5 +26,5 @@"]


def test_text_is_kept_as_it_is_escaping_is_the_page_s_job() -> None:
    diff = compare_texts("", "<script>alert(1)</script>", from_label="a", to_label="b")
    assert diff.hunks[0].lines[0].text == "<script>alert(1)</script>"
    assert diff.hunks[0].header == "@@ -0,0 +1 @@"


@given(st.lists(st.sampled_from("abcde"), max_size=20), st.lists(st.sampled_from("abcde"), max_size=20))
def test_the_unified_text_is_what_difflib_writes(old: list[str], new: list[str]) -> None:
    expected = list(difflib.unified_diff(old, new, "a", "b", lineterm=""))
    diff = compare_texts("\n".join(old), "\n".join(new), from_label="a", to_label="b")
    assert diff.unified == ("\n".join(expected) + "\n" if expected else "")
