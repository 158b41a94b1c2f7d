from accounts.access import access_workspace_as_operator
from accounts.bootstrap import ensure_workspace_with_admin
from accounts.operators import find_operator_by_email
from accounts.roles import Role
from accounts.secrets_hashing import verify_password
from core.db import Database


async def test_first_start_creates_workspace_and_admin_with_a_generated_password(db: Database) -> None:
    async with db.transaction() as tx:
        first = await ensure_workspace_with_admin(
            tx.session, slug="demo", name="Demo", admin_email="Admin@Example.com", admin_password=None
        )
        again = await ensure_workspace_with_admin(
            tx.session, slug="demo", name="Demo", admin_email="admin@example.com", admin_password=None
        )
        operator = await find_operator_by_email(tx.session, "admin@example.com")
        assert operator is not None
        actor = await access_workspace_as_operator(tx.session, operator.id, "demo")
    assert first.generated_password is not None
    assert verify_password(operator.password_hash, first.generated_password)
    assert again.generated_password is None and again.workspace.id == first.workspace.id
    assert actor.role is Role.ADMIN


async def test_a_configured_password_is_authoritative(db: Database) -> None:
    async with db.transaction() as tx:
        await ensure_workspace_with_admin(
            tx.session, slug="demo", name="Demo", admin_email="admin@example.com", admin_password="first password!"
        )
        result = await ensure_workspace_with_admin(
            tx.session, slug="demo", name="Demo", admin_email="admin@example.com", admin_password="second password!"
        )
        operator = await find_operator_by_email(tx.session, "admin@example.com")
    assert result.generated_password is None
    assert operator is not None and verify_password(operator.password_hash, "second password!")
