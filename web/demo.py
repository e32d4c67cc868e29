"""Database set-up and demo data, as functions (the CLI and the `run` command call them).

``init_db`` migrates, deploys the diagrams and creates the groups. ``seed_demo`` adds one
demo user per role, two citizens and a few cases in different states, driving the real
engine and the real workers (which must be running: ``dev.py run`` starts them first).
Both are idempotent.
"""

import time
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select

from engine import configuration, drafts
from engine.database import upgrade
from engine.models import Case, Deployment, Group, HumanTask, OutboxMessage, User
from engine.runtime import Engine, Settings
from web.extensions import db
from web.outbox import commit
from web.passwords import hash_password

DEMO_PASSWORD = "Demo2026!seguro"

GROUPS: dict[str, tuple[str, str]] = {
    "usuario": ("Usuario", "lane"),
    "asesor": ("Asesor de Servicio al Cliente", "lane"),
    "agente_calidad": ("Agente de Calidad", "lane"),
    "profesional_ocm": ("Profesional OCM", "lane"),
    "jefe_ocm": ("Jefe OCM", "lane"),
    "gerente_outsourcing": ("Gerente Outsourcing", "lane"),
    "comite_calidad": ("Comité de Calidad", "lane"),
    "interventoria": ("Interventoría", "lane"),
    "area_credito_cobranza": ("Vicepresidencia de Crédito y Cobranza", "area"),
    "area_fondos": ("Vicepresidencia de Fondos en Administración", "area"),
    "area_relaciones_internacionales": ("Oficina de Relaciones Internacionales", "area"),
    "area_archivo_correspondencia": ("Grupo de Archivo y Correspondencia", "area"),
    "area_asesores_comerciales": ("Asesores Comerciales de Presidencia", "area"),
    "area_tesoreria": ("Dirección de Tesorería", "area"),
    "area_juridica": ("Oficina Asesora Jurídica", "area"),
    "coordinador": ("Coordinador Grupo de Atención al Usuario", "role"),
    "dueno_proceso": ("Dueño de proceso", "role"),
    "administrador": ("Administrador", "role"),
}

# username -> (full name, groups)
STAFF: dict[str, tuple[str, list[str]]] = {
    "asesor": ("Ana Asesora", ["asesor"]),
    "funcionario.credito": ("Carlos Crédito", ["area_credito_cobranza"]),
    "funcionario.fondos": ("Fabiola Fondos", ["area_fondos"]),
    "funcionario.internacional": ("Iván Internacional", ["area_relaciones_internacionales"]),
    "funcionario.archivo": ("Amparo Archivo", ["area_archivo_correspondencia"]),
    "funcionario.comercial": ("Camilo Comercial", ["area_asesores_comerciales"]),
    "funcionario.tesoreria": ("Teresa Tesorería", ["area_tesoreria"]),
    "funcionario.juridica": ("Julián Jurídica", ["area_juridica"]),
    "calidad": ("Catalina Calidad", ["agente_calidad"]),
    "profesional": ("Pablo Profesional OCM", ["profesional_ocm"]),
    "jefe": ("Juana Jefe OCM", ["jefe_ocm"]),
    "gerente": ("Germán Gerente Outsourcing", ["gerente_outsourcing"]),
    "comite": ("Comité de Calidad", ["comite_calidad"]),
    "interventoria": ("Inés Interventoría", ["interventoria"]),
    "dueno": ("Diana Dueña de Proceso", ["dueno_proceso"]),
    "admin": ("Andrés Administrador", ["administrador"]),
    "coordinador": ("Cecilia Coordinadora", ["coordinador", "asesor"]),
}

CITIZENS = [
    {
        "document_type": "CC",
        "document_number": "1012345678",
        "full_name": "María Fernanda Gómez",
        "email": "maria.gomez@example.com",
        "phone": "3001234567",
        "address": "Calle 45 # 12-30, Bogotá",
    },
    {
        "document_type": "CE",
        "document_number": "E987654",
        "full_name": "Luis Alberto Pérez",
        "email": "luis.perez@example.com",
        "phone": "3109876543",
        "address": "Carrera 7 # 80-15, Medellín",
    },
]


def init_db(app: Flask | None = None) -> str:
    """Migrate the schema, deploy bpmn/ + forms/ and create the groups (idempotent).

    Returns what happened to the definition, in Spanish: the version created and the files
    that changed, or that nothing changed."""
    app = app or current_app
    with app.app_context():
        upgrade(db.engine)
        before = db.session.scalars(
            select(Deployment).order_by(Deployment.version.desc()).limit(1)
        ).first()
        deployment = _engine(app).deploy_directory(Path(app.config["DEFINITIONS_ROOT"]))
        for code, (name, kind) in GROUPS.items():
            if db.session.get(Group, code) is None:
                db.session.add(Group(code=code, name=name, kind=kind))
        db.session.commit()
        if before is not None and deployment.id == before.id:
            return f"Sin cambios en la definición: sigue vigente la versión {deployment.version}."
        changed = drafts.changes(before.files if before else {}, deployment.files)
        listed = ", ".join(f"{c.path} ({c.kind})" for c in changed)
        return f"Versión {deployment.version} desplegada. Archivos: {listed}."


@cache
def demo_password_hash() -> str:
    """One hash for every demo account: hashing is deliberately slow."""
    return hash_password(DEMO_PASSWORD)


def _engine(app: Flask, settings: Settings | None = None) -> Engine:
    return Engine(
        db.session, app.extensions["clock"], settings or app.config.get("ENGINE_SETTINGS")
    )


def ensure_staff(username: str, full_name: str, groups: list[str]) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = User(
            username=username,
            kind="staff",
            full_name=full_name,
            email=f"{username}@icetex.example",
            password_hash=demo_password_hash(),
            created_at=current_app.extensions["clock"].now(),
            email_verified_at=current_app.extensions["clock"].now(),
        )
        db.session.add(user)
    user.groups = [db.session.get(Group, code) for code in groups]
    return user


def ensure_citizen(data: dict[str, str], policy_version: str) -> User:
    user = db.session.scalars(
        select(User).where(User.document_number == data["document_number"])
    ).first()
    if user is None:
        now = current_app.extensions["clock"].now()
        user = User(
            username=data["document_number"],
            kind="citizen",
            password_hash=demo_password_hash(),
            consent_policy_version=policy_version,
            consent_at=now,
            created_at=now,
            email_verified_at=now,  # the demo citizens are ready to file
            **data,
        )
        db.session.add(user)
    return user


class WorkersUnavailable(RuntimeError):
    pass


def await_workers(timeout: float = 120.0) -> None:
    """Commit, hand the new outbox rows to the Celery workers and wait until they ran them.

    The demo is made by the real product: acknowledgements reach the mail catcher and the
    legacy look-ups come from the legacy adapter."""
    commit()
    deadline = time.monotonic() + timeout
    while True:
        counts = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_(("pending", "failed")))
                .group_by(OutboxMessage.status)
            ).all()
        )
        db.session.commit()  # end the read, so the next one sees the workers' commits
        if counts.get("failed"):
            raise WorkersUnavailable("Un trabajo de los workers falló; revise los incidentes.")
        if not counts.get("pending"):
            return
        if time.monotonic() > deadline:
            raise WorkersUnavailable(
                "Los workers no atendieron los trabajos; inicie todo con «python3 dev.py run»."
            )
        time.sleep(0.2)  # waiting for other processes, not moving the clock


def complete_open_task(
    eng: Engine, case: Case, bpmn_id: str, user: User, data: dict[str, Any]
) -> None:
    task = db.session.scalars(
        select(HumanTask).where(
            HumanTask.case_id == case.id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "open"
        )
    ).one()
    eng.complete_task(task.id, user, data)
    await_workers()


def seed_demo(app: Flask | None = None) -> list[str]:
    """Demo users and cases; returns the radicados created (none when already seeded)."""
    app = app or current_app
    with app.app_context():
        staff = {name: ensure_staff(name, full, groups) for name, (full, groups) in STAFF.items()}
        policy = app.config["CONSENT_POLICY_VERSION"]
        citizens = [ensure_citizen(data, policy) for data in CITIZENS]
        db.session.flush()
        if db.session.scalars(select(Case.id).limit(1)).first() is not None:
            db.session.commit()
            return []
        # The demo shows the quality-review path: its cases are drawn with a 100 % share, then
        # the configured share is put back, all in this one transaction.
        eng = _engine(app)
        now = current_app.extensions["clock"].now()
        share = configuration.review_share(db.session)
        configuration.set_review_share(db.session, 100, None, now)
        created = [case.radicado for case in _demo_cases(eng, staff, citizens)]
        configuration.set_review_share(db.session, share, None, now)
        db.session.commit()
        return created


def _file(eng: Engine, citizen: User, **filing: Any) -> Case:
    now = current_app.extensions["clock"].now().isoformat()
    trail = [{"actividad": "5.2.1", "en": now}, {"actividad": "5.2.3", "en": now}]
    case = eng.file_case(citizen, filing, trail)
    await_workers()
    return case


def _demo_cases(eng: Engine, staff: dict[str, User], citizens: list[User]) -> list[Case]:
    maria, luis = citizens
    asesor, calidad, fondos = staff["asesor"], staff["calidad"], staff["funcionario.fondos"]
    # 1. Just filed: waits for the Asesor's review (5.2.6).
    new = _file(
        eng,
        maria,
        tipo="solicitud",
        modalidad="documentos",
        servicio="certificados_y_documentos",
        asunto="Certificado de deuda",
        descripcion="Solicito un certificado de deuda actualizado de mi crédito.",
    )
    # 2. A compliment answered without review steps beyond quality.
    thanks = _file(
        eng,
        luis,
        tipo="felicitacion",
        servicio="credito_educativo",
        asunto="Excelente atención",
        descripcion="Quiero felicitar al equipo por la rapidez en mi legalización.",
    )
    complete_open_task(eng, thanks, "ut_5_2_6", asesor, {"es_felicitacion": True})
    complete_open_task(
        eng,
        thanks,
        "ut_5_2_14",
        asesor,
        {
            "plantilla": "agradecimiento_felicitacion",
            "respuesta": "Gracias por su felicitación; la compartimos con el equipo de crédito.",
        },
    )
    _approve_and_send(eng, thanks, calidad)
    # 3. Escalated to Fondos: waits for the area (5.2.11).
    escalated = _file(
        eng,
        maria,
        tipo="reclamo",
        servicio="fondos_en_administracion",
        asunto="Giro no recibido",
        descripcion="El giro del fondo del semestre no ha llegado a la universidad.",
    )
    _review_and_escalate(eng, escalated, asesor, "area_fondos")
    # 4. Answered after escalation: the area replied, the Asesor drafted, quality approved.
    answered = _file(
        eng,
        luis,
        tipo="queja",
        servicio="fondos_en_administracion",
        asunto="Demora en respuesta del fondo",
        descripcion="Llevo tres semanas esperando respuesta sobre mi fondo.",
    )
    _review_and_escalate(eng, answered, asesor, "area_fondos")
    complete_open_task(eng, answered, "ut_5_2_11", fondos, {"es_de_mi_area": True})
    complete_open_task(
        eng,
        answered,
        "ut_5_2_12",
        fondos,
        {"hallazgos": "El giro salió el 3 de marzo; la universidad confirmó el recibo."},
    )
    complete_open_task(
        eng,
        answered,
        "ut_5_2_13",
        fondos,
        {"informacion_area": "El giro se hizo el 3 de marzo y la universidad ya lo aplicó."},
    )
    complete_open_task(
        eng,
        answered,
        "ut_5_2_14",
        asesor,
        {
            "plantilla": "respuesta_queja_reclamo",
            "respuesta": "Lamentamos la demora. El giro se hizo el 3 de marzo y ya fue aplicado.",
        },
    )
    _approve_and_send(eng, answered, calidad)
    return [new, thanks, escalated, answered]


def _review_and_escalate(eng: Engine, case: Case, asesor: User, area: str) -> None:
    complete_open_task(eng, case, "ut_5_2_6", asesor, {"es_felicitacion": False})
    complete_open_task(
        eng,
        case,
        "ut_5_2_7",
        asesor,
        {"complejidad": "alta", "analisis": "Requiere información del área responsable."},
    )
    complete_open_task(
        eng,
        case,
        "ut_5_2_8",
        asesor,
        {"escalar": True, "justificacion_escalamiento": "Solo el área tiene el dato del giro."},
    )
    complete_open_task(eng, case, "ut_5_2_10", asesor, {"area": area, "dias_area": 5})


def _approve_and_send(eng: Engine, case: Case, calidad: User) -> None:
    complete_open_task(
        eng,
        case,
        "ut_5_2_15",
        calidad,
        {"acorde": True, "clara": True, "sin_errores_forma": True, "cumple": True},
    )
    complete_open_task(
        eng, case, "ut_5_2_16", calidad, {"tipificacion": "fondos_en_administracion"}
    )
