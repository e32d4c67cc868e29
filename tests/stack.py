"""The workers' stack, shared by the worker tests and the browser test: a real Redis, a real
SMTP server on loopback, real Celery worker and beat processes on the test database, and one
clock (a file) that the test moves and they read.

Import the fixtures into a conftest or test module to use them there."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="av-instance-"))

from engine.clock import FileClock, ManualClock
from tests.workers.harness import CeleryProcess, SmtpServer
from workers.embedded_redis import EmbeddedRedis
from workers.settings import RedisLocation

# A dedicated database on the machine's server (TEST_REDIS_DB lets parallel runs keep apart).
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "13"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL's server (database 13), else an embedded Redis for the session."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        location = RedisLocation(configured)
        if location.socket_path:
            yield f"redis+unix://{location.socket_path}?db={TEST_REDIS_DB}"
        else:
            base = configured.split("?")[0].rstrip("/")
            if base.count("/") > 2:  # redis://host:port/N
                base = base.rsplit("/", 1)[0]
            yield f"{base}/{TEST_REDIS_DB}"
        return
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server.location.url


def _flush(url: str) -> None:
    client = redis.Redis.from_url(RedisLocation(url).for_redis_py)
    client.flushdb()
    client.close()


@pytest.fixture
def shared_clock(tmp_path: Path, clock: ManualClock) -> FileClock:
    shared = FileClock(tmp_path / "clock")
    shared.set(clock.now())
    return shared


class Stack:
    """Everything one test runs against, and the environment its worker processes get."""

    def __init__(
        self, tmp: Path, database_url: str, redis_url: str, smtp: SmtpServer, clock: FileClock
    ) -> None:
        self.tmp = tmp
        self.smtp = smtp
        self.clock = clock
        self.redis_url = redis_url
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_TLS": "none",
            "SMTP_TIMEOUT": "5",
            "MAIL_FROM": "Atención Virtual <atencion.virtual@icetex.test>",
            "CLOCK_FILE": str(clock.path),
            "INSTANCE_PATH": str(tmp / "instance"),
            "SECRET_KEY": "test-secret",
            "JOB_MAX_ATTEMPTS": "3",
            "JOB_BACKOFF_BASE": "0.05",
            "JOB_BACKOFF_CAP": "0.5",
            # As in production, the broker hands a dead worker's job out again only after a
            # long time: the outbox sweep (JOB_LEASE below) is what brings it back.
            "CELERY_VISIBILITY_TIMEOUT": "1800",
            "CELERY_RESTORE_INTERVAL": "1",
            "OUTBOX_REDISPATCH_AFTER": "8",
            "MAIL_SEND_LEASE": "2",
            # The tests' worker runs --pool=solo, which enforces no time limits; a running
            # job's mark lasts JOB_LEASE, so a killed worker's job is enqueued again soon.
            "JOB_TIME_LIMIT": "30",
            "JOB_SOFT_TIME_LIMIT": "25",
            "JOB_LEASE": "4",
            "BEAT_INTERVAL": "0.5",
            "LEGACY_ADAPTER": "demo",
        }
        self.worker = CeleryProcess("worker", self.env, tmp)
        self.beat = CeleryProcess("beat", self.env, tmp)


@pytest.fixture
def stack(
    tmp_path: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    redis_url: str,
    shared_clock: FileClock,
) -> Iterator[Stack]:
    _flush(redis_url)
    smtp = SmtpServer().start()
    stack = Stack(tmp_path, database_url, redis_url, smtp, shared_clock)
    yield stack
    stack.beat.stop()
    stack.worker.stop()
    smtp.stop()
