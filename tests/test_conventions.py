"""Project rules that are easiest to check by reading the source."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "core",
    "accounts",
    "admin",
    "billing",
    "bots",
    "broadcasts",
    "channels",
    "conversations",
    "flows",
    "knowledge_base",
)
TENANT_MODELS = (
    "Membership",
    "OperatorGroup",
    "GroupMember",
    "ApiKey",
    "Invitation",
    "Contact",
    "Conversation",
    "Message",
    "Attachment",
    "WidgetSettings",
    "Category",
    "Article",
    "ArticleRevision",
    "ArticleChunk",
)
ACCESS_MODULES = {ROOT / "accounts" / "access.py", ROOT / "conversations" / "access.py"}


def python_files() -> list[Path]:
    return [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]


def test_tenant_rows_are_loaded_only_through_access_functions() -> None:
    bare_get = re.compile(r"\.get\(\s*(" + "|".join(TENANT_MODELS) + r")\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files()
        if path not in ACCESS_MODULES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if bare_get.search(line)
    ]
    assert offenders == [], "load tenant rows with accounts.access.access_*: " + ", ".join(offenders)


def reads_the_environment(path: Path) -> bool:
    """Code touching os.environ / os.getenv (strings that merely mention them, like examples, do not count)."""
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in {"environ", "getenv", "environb"}
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        for node in ast.walk(ast.parse(path.read_text()))
    )


def test_only_the_config_module_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if path != ROOT / "core" / "config.py" and reads_the_environment(path)
    ]
    assert readers == []


def test_no_module_is_named_like_a_grab_bag_or_the_standard_library() -> None:
    forbidden = {"utils", "helpers", "common", "misc", "manager", "services", "platform", "queue", "logging", "types"}
    assert [p for p in python_files() if p.stem in forbidden] == []


def test_handwritten_modules_stay_under_the_size_ceiling() -> None:
    too_long = [
        f"{path.relative_to(ROOT)} ({count} lines)"
        for path in python_files()
        if (count := len(path.read_text().splitlines())) > 400
    ]
    assert too_long == []
