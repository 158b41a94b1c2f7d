"""Settings: the one frozen value built from the environment at startup. This is the only module
that reads `os.environ`; every other module receives the sections it needs."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import StartupError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpSettings(_Frozen):
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # empty: http://host:port
    max_body_bytes: int = 1024 * 1024
    # Reverse proxies in front of us that append to X-Forwarded-For; 0 trusts no such header.
    proxy_hops: int = 0

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")


class DatabaseSettings(_Frozen):
    url: str | None = None  # None: start the embedded PostgreSQL under data_dir
    pool_size: int = 10


class EmbeddingsSettings(_Frozen):
    """An OpenAI-compatible embeddings endpoint for the knowledge base instead of the local model;
    unset (the default): the local multilingual-e5-small, no network."""

    base_url: str = ""
    model: str = ""
    api_key: SecretStr = SecretStr("")


class TelegramSettings(_Frozen):
    """Where the Bot API is: Telegram's own, or a self-hosted Bot API server or the sandbox
    (`python -m tests.fakes.telegram_server`) for trying the channel with no real bot."""

    api_url: str = "https://api.telegram.org"


class AdminBootstrap(_Frozen):
    email: str = "admin@example.com"
    password: SecretStr | None = None  # None: generated and printed at first start


class Settings(_Frozen):
    http: HttpSettings = HttpSettings()
    database: DatabaseSettings = DatabaseSettings()
    admin: AdminBootstrap = AdminBootstrap()
    embeddings: EmbeddingsSettings = EmbeddingsSettings()
    telegram: TelegramSettings = TelegramSettings()
    data_dir: Path = Path("var")
    secret_key: SecretStr | None = None  # None: generated once into data_dir/secret-key
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    default_locale: Literal["en", "ru"] = "en"


class _Environment(BaseSettings):
    """The environment variables, flat, exactly as documented in the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str = ""
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    proxy_hops: int = Field(default=0, ge=0, le=5)
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    db_pool_size: int = Field(default=10, ge=1, le=200)
    data_dir: Path = Path("var")
    secret_key: SecretStr | None = None
    admin_email: str = "admin@example.com"
    admin_password: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    default_locale: Literal["en", "ru"] = "en"
    embeddings_url: str = ""
    embeddings_model: str = ""
    embeddings_key: SecretStr = SecretStr("")
    telegram_api_url: str = "https://api.telegram.org"


def load_settings() -> Settings:
    try:
        env = _Environment()
    except ValidationError as error:
        first = error.errors()[0]
        name = "FIRSTLINE_" + str(first["loc"][0]).upper() if first["loc"] else "environment"
        raise StartupError(f"invalid setting {name}: {first['msg']}") from None
    if bool(env.embeddings_url) != bool(env.embeddings_model):
        raise StartupError("set both FIRSTLINE_EMBEDDINGS_URL and FIRSTLINE_EMBEDDINGS_MODEL, or neither")
    return Settings(
        http=HttpSettings(
            host=env.host,
            port=env.port,
            public_url=env.public_url,
            max_body_bytes=env.max_body_bytes,
            proxy_hops=env.proxy_hops,
        ),
        database=DatabaseSettings(url=env.database_url or None, pool_size=env.db_pool_size),
        admin=AdminBootstrap(email=env.admin_email, password=env.admin_password),
        embeddings=EmbeddingsSettings(
            base_url=env.embeddings_url, model=env.embeddings_model, api_key=env.embeddings_key
        ),
        telegram=TelegramSettings(api_url=env.telegram_api_url.rstrip("/")),
        data_dir=env.data_dir,
        secret_key=env.secret_key,
        log_level=env.log_level,
        log_format=env.log_format,
        default_locale=env.default_locale,
    )


def with_secret_key(settings: Settings) -> Settings:
    """Settings whose secret key is set: from the environment, or generated once under data_dir."""
    if settings.secret_key is not None:
        return settings
    key_file = settings.data_dir / "secret-key"
    if not key_file.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(48))
    return settings.model_copy(update={"secret_key": SecretStr(key_file.read_text().strip())})


def async_database_url(url: str) -> str:
    """Accept the usual `postgres://` / `postgresql://` forms and select the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise StartupError("DATABASE_URL must start with postgresql:// (for example postgresql://user:pass@host/db)")
