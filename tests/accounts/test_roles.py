import pytest

from accounts.roles import Permission, Role, can, check_permission, parse_role
from core.errors import Forbidden, InvalidInput


def test_admin_may_do_everything() -> None:
    assert all(can(Role.ADMIN, permission) for permission in Permission)


def test_operator_works_the_inbox_only() -> None:
    assert can(Role.OPERATOR, Permission.WORK_INBOX)
    assert not can(Role.OPERATOR, Permission.MANAGE_OPERATORS)
    assert not can(Role.OPERATOR, Permission.EDIT_KNOWLEDGE_BASE)


def test_editor_writes_articles_and_broadcasts_but_manages_nobody() -> None:
    assert can(Role.EDITOR, Permission.EDIT_KNOWLEDGE_BASE)
    assert can(Role.EDITOR, Permission.MANAGE_BROADCASTS)
    assert not can(Role.EDITOR, Permission.MANAGE_OPERATORS)
    assert not can(Role.EDITOR, Permission.MANAGE_API_KEYS)


def test_check_permission_raises_forbidden_naming_the_role() -> None:
    with pytest.raises(Forbidden) as raised:
        check_permission(Role.EDITOR, Permission.MANAGE_OPERATORS)
    assert "editor" in raised.value.message


def test_parse_role_refuses_unknown_names() -> None:
    assert parse_role("editor") is Role.EDITOR
    with pytest.raises(InvalidInput):
        parse_role("owner")
