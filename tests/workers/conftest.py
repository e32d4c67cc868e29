"""Worker fixtures: the workers' stack (tests/stack.py: a real Redis, a real SMTP server on
loopback, real Celery processes, the test database shared with them, and one clock (a file)
that the test moves and they read), and the web side that files and moves cases on it."""

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="av-instance-"))

from engine.models import HumanTask, OutboxMessage, User
from engine.runtime import Engine
from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401

T = TypeVar("T")


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
def desk(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:  # noqa: F811
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
