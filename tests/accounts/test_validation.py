import pytest

from accounts.validation import check_email, check_name, check_password, check_slug
from core.errors import InvalidInput


def test_email_is_trimmed_and_lower_cased() -> None:
    assert check_email("  Ann@Example.COM ") == "ann@example.com"


@pytest.mark.parametrize("email", ["", "ann", "ann@", "@example.com", "a b@example.com", "<x>@example.com", "a@b"])
def test_malformed_emails_are_refused(email: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_email(email)
    assert raised.value.params["field"] == "email"


@pytest.mark.parametrize("slug", ["demo", "acme-shop", "a1b"])
def test_good_slugs_pass(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["ab", "-demo", "demo-", "Demo", "de mo", "d" * 41, "демо"])
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidInput):
        check_slug(slug)


def test_names_collapse_whitespace_and_have_limits() -> None:
    assert check_name("  Ann   Lee ", field="name", max_length=10) == "Ann Lee"
    with pytest.raises(InvalidInput):
        check_name("   ", field="name", max_length=10)
    with pytest.raises(InvalidInput):
        check_name("x" * 11, field="name", max_length=10)


def test_password_length_is_checked() -> None:
    assert check_password("x" * 10) == "x" * 10
    with pytest.raises(InvalidInput) as raised:
        check_password("short")
    assert raised.value.message == "The password must be 10-256 characters long."
