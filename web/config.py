"""Every setting the web app reads, from the environment, in one place."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.runtime import Settings
from engine.script_limits import ScriptLimits

INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def _secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict[str, Any]:
    """The default configuration, overridable by environment variables."""
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'atencion.db'}")
    redis_url = os.environ.get("REDIS_URL")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000")),
        "SECRET_KEY": _secret_key(INSTANCE_DIR),
        "REDIS_URL": redis_url,
        "CLOCK_FILE": os.environ.get("CLOCK_FILE") or None,
        # Hand committed outbox rows to the Celery workers (off in the web tests).
        "WORKERS": _flag("WORKERS", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Short Redis timeouts: an unreachable Redis must not hold a login for long.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "RATELIMIT_HEADERS_ENABLED": False,
        # Redis down: count in this process's memory (a warning is logged) and never refuse
        # a request because the counter could not be reached.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Failed logins only: per account and address (the real user elsewhere is not
        # affected), and in all from one address.
        "LOGIN_FAILURE_LIMIT": os.environ.get("LOGIN_FAILURE_LIMIT", "5/minute;20/hour"),
        "LOGIN_ADDRESS_FAILURE_LIMIT": os.environ.get(
            "LOGIN_ADDRESS_FAILURE_LIMIT", "30/minute;300/day"
        ),
        "REGISTRATION_RATE_LIMIT": os.environ.get("REGISTRATION_RATE_LIMIT", "5/hour;20/day"),
        "VERIFICATION_MAIL_LIMIT": os.environ.get("VERIFICATION_MAIL_LIMIT", "3/hour"),
        "EMAIL_VERIFICATION_LIFETIME": timedelta(
            hours=int(os.environ.get("EMAIL_VERIFICATION_HOURS", "24"))
        ),
        "PASSWORD_RESET_LIFETIME": timedelta(
            minutes=int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))
        ),
        # Reset links asked for from one address (whether the account exists or not).
        "PASSWORD_RESET_LIMIT": os.environ.get("PASSWORD_RESET_LIMIT", "5/hour;20/day"),
        # Failed look-ups of a case by radicado and code, per address.
        "CASE_LOOKUP_FAILURE_LIMIT": os.environ.get("CASE_LOOKUP_FAILURE_LIMIT", "10/hour;30/day"),
        # Links in e-mails start with this address (else the one the request came to).
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
        ),
        "SESSION_ABSOLUTE_LIFETIME": timedelta(
            hours=int(os.environ.get("SESSION_MAX_HOURS", "12"))
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", False),
        # How many reverse proxies stand in front (their X-Forwarded-* headers are trusted).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "MAX_ATTACHMENT_BYTES": 10 * 1024 * 1024,
        "MAX_ATTACHMENTS": int(os.environ.get("MAX_ATTACHMENTS", "5")),
        # The whole request may carry several attachments plus the form fields.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(60 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": "es_CO",
        "BABEL_DEFAULT_TIMEZONE": "America/Bogota",
        "CONSENT_POLICY_VERSION": os.environ.get("CONSENT_POLICY_VERSION", "2026-01"),
        "DEFINITIONS_ROOT": os.environ.get(
            "DEFINITIONS_ROOT", str(Path(__file__).resolve().parent.parent)
        ),
        "INBOX_PAGE_SIZE": 20,
        "INBOX_DUE_SOON_HOURS": int(os.environ.get("INBOX_DUE_SOON_HOURS", "12")),
        # Operations (docs/operations.md): JSON logs, /readyz and who may scrape /metrics.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),  # "json" or "plain"
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "READY_HEARTBEAT_MAX_AGE": float(os.environ.get("READY_HEARTBEAT_MAX_AGE", "60")),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        # Comma-separated networks allowed to scrape without the token (none by default).
        "METRICS_NETWORKS": os.environ.get("METRICS_NETWORKS", ""),
        "ENGINE_SETTINGS": Settings(
            script_limits=ScriptLimits(
                seconds=float(os.environ.get("SCRIPT_SECONDS", "0.1")),
                steps=int(os.environ.get("SCRIPT_STEPS", "200000")),
                memory=int(os.environ.get("SCRIPT_MEMORY_MB", "32")) * 2**20,
            )
        ),
    }
