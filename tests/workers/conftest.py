"""Worker fixtures: a real Redis, a real SMTP server on loopback, real Celery processes, the
test database shared with them, and one clock (a file) that the test moves and they read."""

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
import redis
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="av-instance-"))

from engine.clock import FileClock, ManualClock
from engine.models import HumanTask, OutboxMessage, User
from engine.runtime import Engine
from tests.workers.harness import CeleryProcess, SmtpServer
from workers.embedded_redis import EmbeddedRedis
from workers.settings import RedisLocation

T = TypeVar("T")
TEST_REDIS_DB = 13  # a dedicated database on the machine's server


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
            "CELERY_VISIBILITY_TIMEOUT": "4",
            "CELERY_RESTORE_INTERVAL": "1",
            "OUTBOX_REDISPATCH_AFTER": "8",
            "MAIL_SEND_LEASE": "2",
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


class Desk:
    """The web side of a test: the real Flask app (with ``celery_init_app``) on the test
    database and the shared clock; every change is committed through ``web.outbox.commit``,
    which hands the new outbox rows to the dispatcher as the web app does."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def read(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in a short transaction of its own (never held while waiting)."""
        from web.extensions import db

        with self.app.app_context(), Session(db.engine) as session:
            return fn(session)

    def act(self, fn: Callable[[Engine, Session], T]) -> T:
        from web.extensions import db
        from web.outbox import commit

        with self.app.app_context():
            engine = Engine(db.session, self.app.extensions["clock"])
            try:
                result = fn(engine, db.session)
                commit()
                return result
            finally:
                db.session.remove()

    def user(self, username: str) -> User:
        return self.read(lambda s: s.scalars(select(User).where(User.username == username)).one())

    def file_case(self, **changes: Any) -> SimpleNamespace:
        """File a request as the demo citizen; returns its id, radicado and instance id."""
        from tests import factories as f

        def file(engine: Engine, session: Session) -> SimpleNamespace:
            citizen = session.scalars(select(User).where(User.username == "1012345678")).one()
            case = f.file_case(engine, citizen, **changes)
            return SimpleNamespace(id=case.id, radicado=case.radicado)

        return self.act(file)

    def complete(self, case_id: int, bpmn_id: str, username: str, **data: Any) -> None:
        def complete(engine: Engine, session: Session) -> None:
            task = session.scalars(
                select(HumanTask).where(
                    HumanTask.case_id == case_id,
                    HumanTask.bpmn_id == bpmn_id,
                    HumanTask.state == "open",
                )
            ).one()
            person = session.scalars(select(User).where(User.username == username)).one()
            engine.complete_task(task.id, person, data)

        self.act(complete)

    def outbox(self, **where: Any) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(OutboxMessage.id).filter_by(**where)
        return self.read(lambda s: list(s.scalars(query)))

    def open_tasks(self, case_id: int) -> list[str]:
        return self.read(
            lambda s: sorted(
                s.scalars(
                    select(HumanTask.bpmn_id).where(
                        HumanTask.case_id == case_id, HumanTask.state == "open"
                    )
                )
            )
        )


@pytest.fixture
def desk(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    for name in ("REDIS_URL", "CLOCK_FILE", "BEAT_INTERVAL", "OUTBOX_REDISPATCH_AFTER"):
        monkeypatch.setenv(name, stack.env[name])
    from web import create_app
    from web.demo import CITIZENS, ensure_citizen, ensure_staff, init_db
    from web.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": stack.env["DATABASE_URL"],
            "SECRET_KEY": "test-secret",
            "CLOCK": stack.clock,
        }
    )
    init_db(app)
    with app.app_context():
        ensure_citizen(CITIZENS[0], "2026-01")
        for username, groups in {
            "asesor": ["asesor"],
            "coordinador": ["coordinador"],
            "admin": ["administrador"],
            "funcionario.fondos": ["area_fondos"],
            "calidad": ["agente_calidad"],
            "profesional": ["profesional_ocm"],
        }.items():
            ensure_staff(username, username.title(), groups)
        db.session.commit()
    yield Desk(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def subjects(messages: list) -> list[str]:
    return [str(m["Subject"]) for m in messages]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)
