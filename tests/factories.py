"""Small builders for test data, through the real engine."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import BOGOTA, ManualClock
from engine.definitions import read_directory
from engine.models import Group, HumanTask, OutboxMessage, User
from engine.runtime import Engine
from tests.conftest import ROOT

__all__ = ["BOGOTA", "ManualClock"]

GROUPS = [
    ("usuario", "lane"),
    ("asesor", "lane"),
    ("agente_calidad", "lane"),
    ("profesional_ocm", "lane"),
    ("jefe_ocm", "lane"),
    ("gerente_outsourcing", "lane"),
    ("comite_calidad", "lane"),
    ("interventoria", "lane"),
    ("area_credito_cobranza", "area"),
    ("area_fondos", "area"),
    ("area_relaciones_internacionales", "area"),
    ("area_archivo_correspondencia", "area"),
    ("area_asesores_comerciales", "area"),
    ("area_tesoreria", "area"),
    ("area_juridica", "area"),
    ("coordinador", "role"),
    ("administrador", "role"),
    ("dueno_proceso", "role"),
]


def user(session: Session, username: str, *groups: str, now: datetime, kind: str = "staff") -> User:
    for code in groups:
        if session.get(Group, code) is None:
            session.add(Group(code=code, name=code, kind="lane"))
    person = User(
        username=username,
        kind=kind,
        full_name=username.title(),
        email=f"{username}@example.test",
        password_hash="!",
        document_number=username if kind == "citizen" else None,
        created_at=now,
        groups=[
            session.get(Group, code) or Group(code=code, name=code, kind="lane") for code in groups
        ],
    )
    session.add(person)
    session.flush()
    return person


def bundle_files() -> dict[str, str]:
    return read_directory(ROOT)


def deploy(engine: Engine) -> None:
    engine.deploy_directory(ROOT)


FILING = {
    "tipo": "reclamo",
    "servicio": "credito_educativo",
    "asunto": "Cobro duplicado de la cuota de marzo",
    "descripcion": "Me cobraron dos veces la cuota del crédito educativo en marzo de 2026.",
}


def file_case(engine: Engine, citizen: User, **changes: Any):
    return engine.file_case(
        citizen,
        {**FILING, **changes},
        [{"actividad": "5.2.3", "en": engine.clock.now().isoformat()}],
    )


def open_task(session: Session, case_id: int, bpmn_id: str) -> HumanTask:
    return session.scalars(
        select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "open"
        )
    ).one()


def open_tasks(session: Session, case_id: int) -> list[str]:
    return sorted(
        session.scalars(
            select(HumanTask.bpmn_id).where(HumanTask.case_id == case_id, HumanTask.state == "open")
        )
    )


def pending(session: Session, instance_id: int | None = None) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    )
    if instance_id is not None:
        query = query.where(OutboxMessage.instance_id == instance_id)
    return list(session.scalars(query))


# What each operator returns, in the shape the real workers give (see workers/operators).
WORKER_RESULTS: dict[str, dict[str, Any]] = {
    "notify": {"enviado": True},
    "legacy_lookup": {"sistemas": {"cctex": {"estado": "al día"}}},
    "audit_sample": {"muestra": []},
    "audit_report": {"informe": "Borrador del informe de auditoría."},
    "audit_pdf": {"generado": True},
    "monthly_report": {"reporte": {"casos": 0, "periodo": "2026-02"}, "archivos": {}},
    "report_mail": {"enviado": True},
}


def complete_services(
    engine: Engine, results: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """Hand every pending service request the result a worker would give; return operations."""
    done = []
    results = {**WORKER_RESULTS, **(results or {})}
    while batch := pending(engine.session):
        for message in batch:
            engine.complete_service(message.id, results[message.operation])
            done.append(f"{message.operation}:{message.params.get('plantilla', '')}")
    return done


def desk(
    session: Session,
    clock: ManualClock,
    staff: dict[str, tuple[str, str]],
    citizens: dict[str, str] | None = None,
) -> tuple[Engine, dict[str, User]]:
    """The deployed engine and its people: ``citizens`` key → document number (one citizen,
    «citizen», by default), ``staff`` key → (username, group)."""
    engine = Engine(session, clock)
    deploy(engine)
    now = clock.now()
    people = {
        key: user(session, document, "usuario", now=now, kind="citizen")
        for key, document in (citizens or {"citizen": "52000111"}).items()
    }
    for key, (username, group) in staff.items():
        people[key] = user(session, username, group, now=now)
    return engine, people
