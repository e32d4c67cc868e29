"""Web fixtures: the real app on the test database, a manual clock, small factories."""

import io
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

# Keep the generated SECRET_KEY file out of the working tree.
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="av-instance-"))

from engine.clock import ManualClock
from engine.configuration import set_review_share
from engine.models import Case, HumanTask, OutboxMessage, User
from engine.runtime import Engine
from web import create_app
from web.demo import DEMO_PASSWORD, ensure_citizen, ensure_staff, init_db
from web.extensions import db
from workers.legacy.base import SYSTEMS
from workers.legacy.demo import DemoAdapter

PASSWORD = DEMO_PASSWORD


def service_result(message: OutboxMessage) -> dict[str, Any]:
    """What the workers' operators give: the legacy look-up reads their demo dataset; the
    e-mails themselves are the workers' tests' business (tests/workers)."""
    if message.operation == "legacy_lookup":
        adapter = DemoAdapter()
        document = str(message.params.get("documento", ""))
        return {"sistemas": {code: adapter.lookup(code, document) for code in SYSTEMS}}
    return {"enviado": True}


def settle_outbox(eng: Engine) -> None:
    """Hand every pending service task its result through the worker-facing engine API."""
    while pending := db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    ).all():
        for message in pending:
            eng.complete_service(message.id, service_result(message))


# A 1-page PDF and a 1x1 PNG: enough for `filetype` to recognise them by content.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def app_config(database_url: str, clock: ManualClock, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": False,
        "LOGIN_FAILURE_LIMIT": "1000/minute",
        "LOGIN_ADDRESS_FAILURE_LIMIT": "1000/minute",
        "REGISTRATION_RATE_LIMIT": "1000/minute",
        "WORKERS": False,  # service tasks are settled by the tests themselves
        # Each app counts its own attempts: a shared Redis keeps other runs' counts for an hour.
        "RATELIMIT_STORAGE_URI": "memory://",
        **extra,
    }


def init_reviewed_db(app: Flask) -> None:
    """Migrate and deploy, with every answer drawn for quality review (the share at 100 %)."""
    init_db(app)
    with app.app_context():
        set_review_share(db.session, 100, None, app.extensions["clock"].now())
        db.session.commit()


@pytest.fixture
def app(
    database_url: str, session_factory: sessionmaker[Session], clock: ManualClock
) -> Iterator[Flask]:
    app = create_app(app_config(database_url, clock))
    init_reviewed_db(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` on a real threaded HTTP server on loopback; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The ``app`` fixture served on loopback, for a browser: its base URL."""
    with serving(app) as base:
        yield base


class World:
    """Factories over the real app: people, cases and the engine, in the app's session."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def staff(self, username: str, *groups: str) -> int:
        with self.app.app_context():
            user = ensure_staff(username, username.title(), list(groups))
            db.session.commit()
            return user.id

    def citizen(self, document: str = "1012345678", **extra: str) -> int:
        data = {
            "document_type": "CC",
            "document_number": document,
            "full_name": extra.get("full_name", f"Ciudadano {document}"),
            "email": f"{document}@example.com",
            "phone": "3001234567",
            "address": "Calle 1 # 2-3",
        }
        with self.app.app_context():
            user = ensure_citizen(data, "2026-01")
            db.session.commit()
            return user.id

    def engine(self) -> Engine:
        return Engine(db.session, self.app.extensions["clock"])

    def file_case(self, citizen_id: int, **filing: Any) -> str:
        filing = {
            "tipo": "reclamo",
            "servicio": "fondos_en_administracion",
            "asunto": "Giro no recibido",
            "descripcion": "El giro del semestre no ha llegado a la universidad.",
            **filing,
        }
        with self.app.app_context():
            eng = self.engine()
            citizen = db.session.get(User, citizen_id)
            now = self.app.extensions["clock"].now().isoformat()
            case = eng.file_case(citizen, filing, [{"actividad": "5.2.3", "en": now}])
            settle_outbox(eng)
            db.session.commit()
            return case.radicado

    def complete(self, radicado: str, bpmn_id: str, username: str, data: dict[str, Any]) -> None:
        with self.app.app_context():
            eng = self.engine()
            task = self._open(radicado, bpmn_id)
            user = db.session.scalars(select(User).where(User.username == username)).one()
            eng.complete_task(task.id, user, data)
            settle_outbox(eng)
            db.session.commit()

    def open_task_id(self, radicado: str, bpmn_id: str) -> str:
        with self.app.app_context():
            return self._open(radicado, bpmn_id).id

    def _open(self, radicado: str, bpmn_id: str) -> HumanTask:
        return db.session.scalars(
            select(HumanTask)
            .join(Case, Case.id == HumanTask.case_id)
            .where(
                Case.radicado == radicado, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "open"
            )
        ).one()

    def case(self, radicado: str) -> Case:
        with self.app.app_context():
            case = db.session.scalars(select(Case).where(Case.radicado == radicado)).one()
            db.session.expunge(case)
            return case

    def escalate(self, radicado: str, area: str = "area_fondos") -> None:
        self.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
        self.complete(
            radicado,
            "ut_5_2_7",
            "asesor",
            {"complejidad": "alta", "analisis": "Necesita datos del área."},
        )
        self.complete(
            radicado,
            "ut_5_2_8",
            "asesor",
            {"escalar": True, "justificacion_escalamiento": "Solo el área sabe."},
        )
        self.complete(radicado, "ut_5_2_10", "asesor", {"area": area, "dias_area": 5})


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


def log_in_staff(client: FlaskClient, username: str) -> None:
    response = client.post(
        "/cuenta/funcionarios", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def log_in_citizen(client: FlaskClient, document: str = "1012345678") -> None:
    response = client.post("/cuenta/ingresar", data={"documento": document, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def filing_token(client: FlaskClient) -> str:
    """The one-time token of a fresh filing form, as a browser would submit it."""
    page = client.get("/radicar").get_data(as_text=True)
    match = re.search(r'name="formulario" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def upload(content: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name
