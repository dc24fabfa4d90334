"""Configuration for Civic, read from environment variables.

Three classes: ``DevelopmentConfig`` (SQLite in the instance folder), ``TestingConfig``
(in-memory SQLite or ``TEST_DATABASE_URL``) and ``ProductionConfig`` (refuses to start
without a real ``SECRET_KEY`` and ``DATABASE_URL``).  ``CIVIC_ENV`` picks one.
"""

from __future__ import annotations

import os
from datetime import timedelta

#: Secrets that must never reach production (shipped defaults, documentation examples).
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "",
        "dev",
        "development",
        "change-me",
        "changeme",
        "secret",
        "civic-development-secret-not-for-production",
        "civic-testing-secret",
    }
)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigurationError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete for the chosen environment."""


class BaseConfig:
    SITE_NAME = _env("CIVIC_SITE_NAME", "Civic")
    SECRET_KEY = _env("SECRET_KEY", "civic-development-secret-not-for-production")  # noqa: S105
    SQLALCHEMY_DATABASE_URI: str | None = None  # from DATABASE_URL, see ENV_SETTINGS
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Languages shipped with Civic; the first is the default unless CIVIC_DEFAULT_LOCALE says.
    LANGUAGES = ("en", "fr", "es", "ar")
    BABEL_DEFAULT_LOCALE = _env("CIVIC_DEFAULT_LOCALE", "en")
    BABEL_DEFAULT_TIMEZONE = _env("CIVIC_TIMEZONE", "Europe/Paris")
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(os.path.dirname(__file__), "translations")

    # Sessions and cookies
    SESSION_COOKIE_NAME = "civic_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("CIVIC_SECURE_COOKIES", False)
    REMEMBER_COOKIE_NAME = "civic_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("CIVIC_REMEMBER_DAYS", 30))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("CIVIC_SESSION_HOURS", 12))
    #: A server-side session ends after this long without activity.
    SESSION_IDLE_TIMEOUT = timedelta(hours=_env_int("CIVIC_SESSION_IDLE_HOURS", 2))

    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    MAX_CONTENT_LENGTH = _env_int("CIVIC_MAX_UPLOAD_MB", 10) * 1024 * 1024

    # Accounts
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MAX_LENGTH = 128
    EMAIL_TOKEN_MAX_AGE = timedelta(hours=_env_int("CIVIC_EMAIL_TOKEN_HOURS", 48))
    RESET_TOKEN_MAX_AGE = timedelta(hours=_env_int("CIVIC_RESET_TOKEN_HOURS", 1))

    # Sign-in throttling (civic.accounts.throttle): progressive delays, never a lock-out.
    SIGNIN_ACCOUNT_FREE_FAILURES = _env_int("CIVIC_SIGNIN_ACCOUNT_FAILURES", 5)
    SIGNIN_ACCOUNT_WINDOW = timedelta(hours=24)
    SIGNIN_ADDRESS_FREE_FAILURES = _env_int("CIVIC_SIGNIN_ADDRESS_FAILURES", 20)
    SIGNIN_ADDRESS_WINDOW = timedelta(hours=1)
    SIGNIN_BASE_DELAY = timedelta(minutes=1)
    SIGNIN_MAX_DELAY = timedelta(minutes=30)
    #: An address an account signed in from successfully is "known" this long.
    SIGNIN_KNOWN_ADDRESS_FOR = timedelta(days=30)
    #: Email the owner after a successful sign-in that follows this many failures.
    SIGNIN_NOTIFY_AFTER_FAILURES = 3
    #: How long a browser stays a "known device" of the accounts that signed in on it.
    KNOWN_DEVICE_DURATION = timedelta(days=365)
    #: Time to type the two-step verification code after the password.
    TWO_FACTOR_PENDING_FOR = timedelta(minutes=10)
    #: Reverse proxies in front of Civic whose X-Forwarded-For/-Proto headers are trusted
    #: (0: none; the client address is the connection's).
    TRUSTED_PROXIES = _env_int("CIVIC_TRUSTED_PROXIES", 0)

    # Rate limits (Flask-Limiter syntax)
    RATELIMIT_STORAGE_URI = "memory://"
    #: Off only for benchmarks on 127.0.0.1 (tools/bench); never in a real deployment.
    RATELIMIT_ENABLED = _env_bool("CIVIC_RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATE_LIMIT_LOGIN = _env("CIVIC_RATE_LIMIT_LOGIN", "10 per minute;50 per hour")
    RATE_LIMIT_REGISTER = _env("CIVIC_RATE_LIMIT_REGISTER", "5 per hour")
    RATE_LIMIT_RESET = _env("CIVIC_RATE_LIMIT_RESET", "5 per hour")
    RATE_LIMIT_POST = _env("CIVIC_RATE_LIMIT_POST", "30 per minute")
    RATE_LIMIT_EXPORT = _env("CIVIC_RATE_LIMIT_EXPORT", "5 per hour")

    # Redis (rate limits and the RQ job queue); jobs run in-process without it.
    REDIS_URL = _env("REDIS_URL")
    JOBS_IN_PROCESS = True

    # Mail
    MAIL_BACKEND = _env("CIVIC_MAIL_BACKEND", "console")  # console | smtp | capture
    MAIL_FROM = _env("CIVIC_MAIL_FROM", "Civic <no-reply@civic.localhost>")
    SMTP_HOST = _env("SMTP_HOST", "localhost")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USERNAME = _env("SMTP_USERNAME")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", True)
    #: Absolute base URL for links in emails and feeds sent outside a request.
    SERVER_BASE_URL = _env("CIVIC_BASE_URL", "http://127.0.0.1:5000")

    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/plain",
        "text/calendar",
        "application/javascript",
        "text/javascript",
        "application/json",
        "application/atom+xml",
        "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = 500
    COMPRESS_ALGORITHM = ["br", "gzip"]
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(hours=1)

    PAGE_SIZE = 20

    #: Jitsi server on which meeting organizers may create private rooms (e.g. meet.jit.si);
    #: empty hides that option.
    JITSI_DOMAIN = _env("CIVIC_JITSI_DOMAIN", "")

    #: Settings re-read from the environment each time an app is created (not only at import).
    ENV_SETTINGS = {
        "SECRET_KEY": "SECRET_KEY",
        "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
        "REDIS_URL": "REDIS_URL",
    }

    @classmethod
    def from_environment(cls) -> dict:
        return {key: os.environ[env] for key, env in cls.ENV_SETTINGS.items() if os.environ.get(env)}

    @classmethod
    def check(cls, app_config: dict) -> None:  # noqa: B027 - hook for subclasses
        """Validate a finished configuration; raise ConfigurationError when unsafe."""


class DevelopmentConfig(BaseConfig):
    DEBUG = False
    ENV_NAME = "development"


class TestingConfig(BaseConfig):
    TESTING = True
    ENV_NAME = "testing"
    SECRET_KEY = "civic-testing-secret"  # noqa: S105 - refused by production's check
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    MAIL_BACKEND = "capture"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    SERVER_NAME = None
    ARGON2_FAST = True  # cheap hashing parameters keep the suite fast
    ENV_SETTINGS: dict = {}  # tests never pick up a developer's DATABASE_URL or SECRET_KEY


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("CIVIC_SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    MAIL_BACKEND = _env("CIVIC_MAIL_BACKEND", "smtp")
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, app_config: dict) -> None:
        secret = app_config.get("SECRET_KEY") or ""
        if not _env("SECRET_KEY") and secret == BaseConfig.SECRET_KEY:
            raise ConfigurationError(
                "SECRET_KEY is not set. Production needs a long random secret, for example "
                "the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if secret in KNOWN_DEFAULT_SECRETS or len(secret) < 32:
            raise ConfigurationError(
                "SECRET_KEY is a known default or shorter than 32 characters; "
                "generate a new random secret for production."
            )
        if not app_config.get("SQLALCHEMY_DATABASE_URI"):
            raise ConfigurationError(
                "DATABASE_URL is not set. Production runs on PostgreSQL, for example "
                "postgresql+psycopg://civic:password@localhost/civic"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[BaseConfig]:
    name = name or _env("CIVIC_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise ConfigurationError(
            f"CIVIC_ENV={name!r} is unknown; use one of {', '.join(CONFIGS)}"
        ) from exc
