from pathlib import Path

import pytest

from core.config import async_database_url, load_settings, with_secret_key
from core.errors import StartupError


def test_settings_come_from_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_HOST", "0.0.0.0")
    monkeypatch.setenv("FIRSTLINE_PORT", "9000")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/firstline")
    monkeypatch.setenv("FIRSTLINE_ADMIN_EMAIL", "boss@example.com")
    monkeypatch.setenv("FIRSTLINE_ADMIN_PASSWORD", "a secret password")
    settings = load_settings()
    assert (settings.http.host, settings.http.port) == ("0.0.0.0", 9000)
    assert settings.http.base_url == "http://0.0.0.0:9000"
    assert settings.database.url == "postgresql://u:p@db/firstline"
    assert settings.admin.email == "boss@example.com"
    assert settings.admin.password is not None and "a secret password" not in repr(settings)


def test_a_bad_value_is_one_readable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_PORT", "eighty")
    with pytest.raises(StartupError) as raised:
        load_settings()
    assert str(raised.value).startswith("invalid setting FIRSTLINE_PORT")


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.log_level = "DEBUG"  # type: ignore[misc]  # the point of the test


def test_a_missing_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings().model_copy(update={"data_dir": tmp_path, "secret_key": None})
    first, second = with_secret_key(settings), with_secret_key(settings)
    assert first.secret_key is not None and second.secret_key is not None
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("url", ["postgresql://u@h/d", "postgres://u@h/d", "postgresql+asyncpg://u@h/d"])
def test_database_urls_select_the_async_driver(url: str) -> None:
    assert async_database_url(url) == "postgresql+asyncpg://u@h/d"


def test_a_non_postgres_url_is_refused() -> None:
    with pytest.raises(StartupError):
        async_database_url("mysql://u@h/d")


def test_an_embeddings_endpoint_needs_its_url_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_EMBEDDINGS_URL", "http://127.0.0.1:11434/v1")
    with pytest.raises(StartupError, match="FIRSTLINE_EMBEDDINGS_MODEL"):
        load_settings()
    monkeypatch.setenv("FIRSTLINE_EMBEDDINGS_MODEL", "nomic-embed-text")
    monkeypatch.setenv("FIRSTLINE_EMBEDDINGS_KEY", "sk-local")
    embeddings = load_settings().embeddings
    assert (embeddings.base_url, embeddings.model) == ("http://127.0.0.1:11434/v1", "nomic-embed-text")
    assert "sk-local" not in repr(embeddings)
