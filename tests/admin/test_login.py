import re

from pytest_aiohttp import AiohttpClient

from accounts.login_policy import MAX_FAILURES_PER_ACCOUNT
from accounts.roles import Role
from core.app import build_app
from core.config import HttpSettings
from core.db import Database
from tests.factories import PASSWORD, Client, csrf_token_of, log_in, make_operator, make_settings, make_workspace


async def seed_admin(db: Database, email: str = "ann@example.com") -> str:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email=email)
    return email


async def post_login(client: Client, email: str, password: str, *, ip: str = "203.0.113.5") -> tuple[int, str]:
    token = await csrf_token_of(client)
    response = await client.post(
        "/login",
        data={"email": email, "password": password, "_csrf": token, "next": "/w/acme/settings"},
        headers={"X-Forwarded-For": ip},
        allow_redirects=False,
    )
    return response.status, await response.text()


async def test_pages_redirect_to_login_and_back_after_it(client: Client, db: Database) -> None:
    await seed_admin(db)
    response = await client.get("/w/acme/settings", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/w/acme/settings"
    status, _ = await post_login(client, "ann@example.com", PASSWORD)
    assert status == 303
    page = await client.get("/w/acme/settings")
    assert page.status == 200
    assert "Your profile" in await page.text()


async def test_wrong_password_and_unknown_email_get_the_same_generic_answer(client: Client, db: Database) -> None:
    await seed_admin(db)
    wrong = await post_login(client, "ann@example.com", "not the password")
    unknown = await post_login(client, "nobody@example.com", "not the password")
    assert wrong[0] == unknown[0] == 401
    assert "Wrong email or password." in wrong[1]
    assert "Wrong email or password." in unknown[1]


async def test_repeated_failures_lock_the_account_with_429(client: Client, db: Database) -> None:
    await seed_admin(db)
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert (await post_login(client, "ann@example.com", "guess"))[0] == 401
    status, page = await post_login(client, "ann@example.com", PASSWORD)
    assert status == 429
    assert "Too many login attempts" in page


async def test_next_cannot_redirect_off_site(client: Client, db: Database) -> None:
    await seed_admin(db)
    token = await csrf_token_of(client)
    data = {"email": "ann@example.com", "password": PASSWORD, "_csrf": token, "next": "//evil.example/x"}
    response = await client.post("/login", data=data, allow_redirects=False)
    assert response.headers["Location"] == "/"


async def test_session_cookie_is_http_only_and_same_site_lax(client: Client, db: Database) -> None:
    await seed_admin(db)
    token = await csrf_token_of(client)
    data = {"email": "ann@example.com", "password": PASSWORD, "_csrf": token, "next": "/"}
    response = await client.post("/login", data=data, allow_redirects=False)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("firstline_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP here


async def test_session_cookie_is_secure_when_served_over_https(db: Database, aiohttp_client: AiohttpClient) -> None:
    settings = make_settings(http=HttpSettings(port=0, public_url="https://support.example.com"))
    client = await aiohttp_client(build_app(settings, database=db))
    response = await client.get("/login")
    assert "Secure" in response.headers["Set-Cookie"]


async def test_logout_ends_the_session(client: Client, db: Database) -> None:
    await seed_admin(db)
    token = await log_in(client, "ann@example.com")
    response = await client.post("/logout", data={"_csrf": token}, allow_redirects=False)
    assert response.status == 303
    after = await client.get("/w/acme/settings", allow_redirects=False)
    assert after.status == 303 and after.headers["Location"].startswith("/login")


async def test_changing_the_password_ends_other_sessions(client: Client, db: Database) -> None:
    email = await seed_admin(db)
    await log_in(client, email)
    async with db.transaction() as tx:
        from accounts.operators import find_operator_by_email
        from accounts.secrets_hashing import hash_password

        operator = await find_operator_by_email(tx.session, email)
        assert operator is not None
        operator.password_hash = hash_password("a brand new password")
    response = await client.get("/w/acme/settings", allow_redirects=False)
    assert response.status == 303


async def test_login_page_has_a_csrf_token_in_the_form(client: Client) -> None:
    page = await (await client.get("/login")).text()
    assert re.search(r'name="_csrf" value="[^"]{20,}"', page)


async def test_behind_a_trusted_proxy_the_forwarded_client_address_is_throttled(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    settings = make_settings(http=HttpSettings(port=0, proxy_hops=1))
    client = await aiohttp_client(build_app(settings, database=db))
    await seed_admin(db)
    from accounts.login_policy import MAX_FAILURES_PER_IP

    for attempt in range(MAX_FAILURES_PER_IP):
        # The forged left-most entry changes every time; the proxy-appended right-most one does not.
        await post_login(client, f"guess{attempt}@example.com", "x", ip=f"10.9.9.{attempt}, 198.51.100.7")
    blocked = await post_login(client, "ann@example.com", PASSWORD, ip="1.2.3.4, 198.51.100.7")
    other_client = await post_login(client, "ann@example.com", PASSWORD, ip="198.51.100.8")
    assert blocked[0] == 429
    assert other_client[0] == 303


async def test_without_proxies_a_forwarded_header_cannot_dodge_the_address_limit(client: Client, db: Database) -> None:
    await seed_admin(db)
    from accounts.login_policy import MAX_FAILURES_PER_IP

    for attempt in range(MAX_FAILURES_PER_IP):
        await post_login(client, f"guess{attempt}@example.com", "x", ip=f"10.0.0.{attempt}")
    assert (await post_login(client, "ann@example.com", PASSWORD, ip="10.1.1.1"))[0] == 429
