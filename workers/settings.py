"""Every setting the workers read, from the environment, in one place."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", Path.cwd() / "instance")).resolve()
DEFAULT_REDIS_SOCKET = INSTANCE_DIR / "redis" / "redis.sock"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class RedisLocation:
    """One Redis server, spelled the way each client library wants it.

    ``REDIS_URL`` may be ``redis://host:port/db``, ``rediss://…``, or a Unix socket as
    ``unix:///path``, ``redis+unix:///path`` (the spelling Flask-Limiter, in the web app, needs) or
    ``redis+socket:///path`` (kombu's spelling), optionally with ``?db=N``.
    """

    url: str

    @property
    def socket_path(self) -> str | None:
        parts = urlsplit(self.url)
        if parts.scheme in {"unix", "redis+unix", "redis+socket", "socket"}:
            return parts.path
        return None

    @property
    def _query(self) -> str:
        query = urlsplit(self.url).query
        return f"?{query}" if query else ""

    @property
    def for_kombu(self) -> str:
        path = self.socket_path
        return f"redis+socket://{path}{self._query}" if path else self.url

    @property
    def for_redis_py(self) -> str:
        path = self.socket_path
        return f"unix://{path}{self._query}" if path else self.url


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    tls: str = "none"  # starttls | ssl | none
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never printed
    mail_from: str = "Atención Virtual ICETEX <atencion.virtual@icetex.local>"
    timeout: float = 20.0


@dataclass(frozen=True)
class WorkerSettings:
    redis: RedisLocation
    smtp: SmtpSettings
    # Transient failures are retried max_attempts - 1 times, waiting base * 2**n seconds
    # (capped); the last failure becomes an incident.
    max_attempts: int = 5
    backoff_base: float = 30.0
    backoff_cap: float = 600.0
    # A job taken by a worker that dies is handed out again after this many seconds.
    # It must exceed the longest job and the longest retry countdown.
    visibility_timeout: int = 1800
    restore_interval: int = 10
    # A pending outbox row whose dispatch mark has expired is enqueued again by the sweep.
    redispatch_after: int = 90
    beat_interval: float = 5.0
    timer_batch: int = 500
    legacy_adapter: str = "demo"
    legacy_http_url: str | None = None
    legacy_http_timeout: float = 10.0
    legacy_sql_url: str | None = None
    legacy_sql_query: str | None = None
    # Every Celery task is interrupted after the soft limit (the job retries, then becomes an
    # incident) and killed after the hard one.
    job_soft_time_limit: int = 50
    job_time_limit: int = 60
    # A running job keeps its dispatch mark this long; a worker that dies mid-job lets it
    # expire and the sweep enqueues the job again (not waiting for the visibility timeout).
    # It must exceed the hard time limit.
    job_lease: int = 70
    # How long a sender holds an e-mail before another delivery of the job may send it:
    # as long as a job may live, so a live sender never loses it.
    mail_send_lease: int = 60
    mail_dir: Path = INSTANCE_DIR / "mail"
    # Where citizens reach the portal: e-mails link to their case there.
    portal_url: str = "http://127.0.0.1:5000"
    # The final answer's files travel with its e-mail up to this size in all; beyond it the
    # e-mail lists them and links to the case in the portal.
    mail_attachments_max_bytes: int = 10 * 2**20


def from_environment() -> WorkerSettings:
    redis_url = os.environ.get("REDIS_URL") or f"redis+socket://{DEFAULT_REDIS_SOCKET}"
    visibility = _int("CELERY_VISIBILITY_TIMEOUT", 1800)
    time_limit = _int("JOB_TIME_LIMIT", 60)
    return WorkerSettings(
        redis=RedisLocation(redis_url),
        smtp=SmtpSettings(
            host=os.environ.get("SMTP_HOST", "127.0.0.1"),
            port=_int("SMTP_PORT", 8025),
            tls=os.environ.get("SMTP_TLS", "none").strip().lower(),
            user=os.environ.get("SMTP_USER") or None,
            password=os.environ.get("SMTP_PASSWORD") or None,
            mail_from=os.environ.get("MAIL_FROM", SmtpSettings.mail_from),
            timeout=_float("SMTP_TIMEOUT", 20.0),
        ),
        max_attempts=_int("JOB_MAX_ATTEMPTS", 5),
        backoff_base=_float("JOB_BACKOFF_BASE", 30.0),
        backoff_cap=_float("JOB_BACKOFF_CAP", 600.0),
        visibility_timeout=visibility,
        restore_interval=_int("CELERY_RESTORE_INTERVAL", 10),
        redispatch_after=_int("OUTBOX_REDISPATCH_AFTER", 90),
        beat_interval=_float("BEAT_INTERVAL", 5.0),
        timer_batch=_int("TIMER_BATCH", 500),
        legacy_adapter=os.environ.get("LEGACY_ADAPTER", "demo").strip().lower(),
        legacy_http_url=os.environ.get("LEGACY_HTTP_URL") or None,
        legacy_http_timeout=_float("LEGACY_HTTP_TIMEOUT", 10.0),
        legacy_sql_url=os.environ.get("LEGACY_SQL_URL") or None,
        legacy_sql_query=os.environ.get("LEGACY_SQL_QUERY") or None,
        job_soft_time_limit=_int("JOB_SOFT_TIME_LIMIT", max(1, time_limit * 5 // 6)),
        job_time_limit=time_limit,
        job_lease=_int("JOB_LEASE", time_limit + 10),
        mail_send_lease=_int("MAIL_SEND_LEASE", time_limit),
        mail_dir=Path(os.environ.get("MAIL_DIR", INSTANCE_DIR / "mail")),
        portal_url=os.environ.get("PORTAL_URL", WorkerSettings.portal_url).rstrip("/"),
        mail_attachments_max_bytes=_int("MAIL_ATTACHMENTS_MAX_BYTES", 10 * 2**20),
    )
