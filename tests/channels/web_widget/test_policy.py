"""The widget's pure decisions: origins, language, identity hashes and settings validation."""

import hashlib
import hmac

import pytest

from channels.web_widget.policy import (
    check_color,
    check_greetings,
    check_origins,
    check_position,
    identity_hash_valid,
    normalise_origin,
    origin_allowed,
    widget_language,
)
from core.errors import InvalidInput


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://shop.example", "https://shop.example"),
        ("  HTTPS://Shop.Example/  ", "https://shop.example"),
        ("https://shop.example:443", "https://shop.example"),
        ("http://shop.example:80/", "http://shop.example"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://магазин.рф", "https://xn--80aairftm.xn--p1ai"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_origins_are_normalised_as_browsers_send_them(value: str, origin: str) -> None:
    assert normalise_origin(value) == origin


@pytest.mark.parametrize(
    "value",
    [
        "shop.example",
        "ftp://shop.example",
        "https://shop.example/pricing",
        "https://shop.example?x=1",
        "https://shop.example#top",
        "https://ann:secret@shop.example",
        "https://shop.example:99999",
        "https://",
        "https://shop example",
        "javascript:alert(1)",
        "null",
    ],
)
def test_anything_but_an_origin_is_refused_and_named(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_origin(value)
    assert refused.value.params["field"] == "allowed_origins"
    assert refused.value.params["origin"] == value.strip()
    assert value.strip() in refused.value.message


def test_an_empty_list_allows_every_origin_and_a_missing_one() -> None:
    assert origin_allowed([], "https://anything.example")
    assert origin_allowed([], None)


def test_a_list_allows_exactly_its_origins() -> None:
    allowed = ["https://shop.example", "http://localhost:3000"]
    assert origin_allowed(allowed, "https://shop.example")
    assert origin_allowed(allowed, "https://SHOP.example:443")
    assert origin_allowed(allowed, "http://localhost:3000")
    assert not origin_allowed(allowed, "http://shop.example")
    assert not origin_allowed(allowed, "https://evil.shop.example")
    assert not origin_allowed(allowed, "https://shop.example.evil.example")
    assert not origin_allowed(allowed, "http://localhost:3001")
    assert not origin_allowed(allowed, "null")
    assert not origin_allowed(allowed, None)


@pytest.mark.parametrize(
    ("setting", "accept_language", "language"),
    [
        ("en", "ru-RU,ru;q=0.9", "en"),
        ("ru", "en-US", "ru"),
        ("auto", "ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("auto", "de-DE,en;q=0.7,ru;q=0.5", "en"),
        ("auto", "en;q=0.3,ru;q=0.6", "ru"),
        ("auto", "de, fr", "en"),
        ("auto", "", "en"),
        ("auto", "ru;q=0", "en"),
    ],
)
def test_the_widget_language_is_fixed_or_the_browsers_first_of_ru_and_en(
    setting: str, accept_language: str, language: str
) -> None:
    assert widget_language(setting, accept_language) == language


def test_identity_hash_is_hmac_sha256_of_the_user_id_keyed_by_the_secret() -> None:
    vector = hmac.new(b"secret", b"42", hashlib.sha256).hexdigest()
    assert identity_hash_valid("secret", "42", vector)
    assert identity_hash_valid("secret", "42", vector.upper())
    assert identity_hash_valid("secret", "42", f" {vector}\n")
    assert not identity_hash_valid("secret", "43", vector)
    assert not identity_hash_valid("other", "42", vector)
    # Key and message swapped (a mistake once printed in a peer's docs) must not pass.
    assert not identity_hash_valid("secret", "42", hmac.new(b"42", b"secret", hashlib.sha256).hexdigest())
    assert not identity_hash_valid("secret", "42", "")
    assert not identity_hash_valid("secret", "42", "ж" * 64)


def test_colors_positions_and_greetings_are_checked() -> None:
    assert check_color(" #2F6FED ") == "#2f6fed"
    for color in ("2f6fed", "#2f6fe", "#2f6fedd", "#gggggg", "red"):
        with pytest.raises(InvalidInput) as refused:
            check_color(color)
        assert refused.value.params["field"] == "color"
    assert check_position("left") == "left"
    with pytest.raises(InvalidInput):
        check_position("top")
    assert check_greetings(" Hi! ", "Привет!") == ("Hi!", "Привет!")
    with pytest.raises(InvalidInput) as empty:
        check_greetings("Hi!", "   ")
    assert empty.value.params["field"] == "greeting_ru"
    with pytest.raises(InvalidInput) as long:
        check_greetings("x" * 501, "Привет!")
    assert long.value.params["field"] == "greeting_en"
    assert check_greetings("x" * 500, "Привет!")[0] == "x" * 500


def test_origin_lists_are_normalised_deduplicated_and_limited() -> None:
    lines = ["https://shop.example/", "", "  ", "https://SHOP.example", "http://localhost:3000"]
    assert check_origins(lines) == ["https://shop.example", "http://localhost:3000"]
    assert len(check_origins([f"https://s{n}.example" for n in range(50)])) == 50
    with pytest.raises(InvalidInput) as too_many:
        check_origins([f"https://s{n}.example" for n in range(51)])
    assert too_many.value.params["field"] == "allowed_origins"
    with pytest.raises(InvalidInput) as bad:
        check_origins(["https://shop.example", "shop.example/path"])
    assert bad.value.params["origin"] == "shop.example/path"
