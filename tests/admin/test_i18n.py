"""Russian and English: the catalog is complete, and the language follows the operator's setting,
else the browser's Accept-Language (or the language switch on the login page)."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from accounts.roles import Role
from core.db import Database
from core.languages import preferred_languages
from tests.factories import Client, csrf_token_of, log_in, make_operator, make_workspace
from tests.test_conventions import PACKAGES

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    **{
        name: None
        for name in (
            "InvalidInput",
            "Phrase",
            "InvalidJson",
            "Conflict",
            "AlreadyTaken",
            "NotFound",
            "Forbidden",
            "CsrfFailed",
            "Unauthenticated",
            "RateLimited",
            "QuotaExceeded",
            "DomainError",
            "UnsupportedType",
            "PayloadTooLarge",
            "DeliveryFailed",
            "OriginNotAllowed",
            "IdentityInvalid",
        )
    },
}


def extracted_messages() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
        options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
        for _, _, message, _, _ in extract_from_dir(ROOT / package, method_map, options, keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_interface_string_has_a_russian_translation() -> None:
    with open(ROOT / "core/locale/ru/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po, locale="ru")
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(extracted_messages() - translated)
    assert missing == [], f"run `make messages` and translate: {missing}"


def test_placeholders_survive_translation() -> None:
    with open(ROOT / "core/locale/ru/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po, locale="ru")
    pattern = re.compile(r"\{\w+\}|%\(\w+\)[sd]")
    for message in catalog:
        if not message.id:
            continue
        source = str(message.id[0] if isinstance(message.id, tuple) else message.id)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            assert set(pattern.findall(str(form))) == set(pattern.findall(source)), source


def test_accept_language_is_ordered_by_quality() -> None:
    assert preferred_languages("en-US;q=0.5, ru-RU, de;q=0.9") == ["ru", "de", "en"]
    assert preferred_languages("fr;q=0, *;q=0.1") == ["*"]
    assert preferred_languages("garbage;q=x") == []


async def test_login_page_follows_the_browser_language(client: Client) -> None:
    russian = await (await client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})).text()
    assert 'lang="ru"' in russian and "Пароль" in russian
    english = await (await client.get("/login", headers={"Accept-Language": "de-DE,en;q=0.5"})).text()
    assert 'lang="en"' in english and "Password" in english


async def test_the_operator_setting_wins_over_the_browser(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com", locale="ru")
    await log_in(client, "ann@example.com")
    page = await (await client.get("/w/acme/settings", headers={"Accept-Language": "en"})).text()
    assert 'lang="ru"' in page and "Настройки" in page


async def test_errors_on_pages_are_translated(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="ed@example.com", locale="ru")
    await log_in(client, "ed@example.com")
    page = await client.get("/w/acme/operators")
    assert page.status == 403
    assert "Ваша роль" in await page.text()


async def test_language_switch_on_the_login_page_sets_a_cookie(client: Client) -> None:
    token = await csrf_token_of(client)
    response = await client.post("/language", data={"_csrf": token, "locale": "ru", "next": "/login"})
    assert response.status == 200
    assert 'lang="ru"' in await response.text()
