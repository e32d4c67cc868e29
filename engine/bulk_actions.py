"""Bulk actions of the console: one job over many instances, each instance in its own
transaction; the job row keeps the progress and, per instance that failed, why.

``ACTIONS`` is the registry the console offers; ``migrar`` moves each instance to the newest
version through the studio's migration (engine.migration), refusing, with the dry run's
reasons, those that cannot move."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import migration
from engine.database import start_writing
from engine.errors import EngineError
from engine.models import BulkJob, HumanTask, Incident, ProcessInstance, User

Apply = Callable[[Any, ProcessInstance, User, BulkJob], None]  # (engine, instance, user, job)


@dataclass(frozen=True)
class BulkAction:
    code: str
    label: str
    apply: Apply
    needs_assignee: bool = False


ACTIONS: dict[str, BulkAction] = {}


def register(action: BulkAction) -> None:
    ACTIONS[action.code] = action


def _retry(engine: Any, instance: ProcessInstance, user: User, job: BulkJob) -> None:
    incidents = engine.session.scalars(
        select(Incident.id).where(
            Incident.instance_id == instance.id, Incident.resolved_at.is_(None)
        )
    ).all()
    if not incidents:
        raise EngineError("No tiene incidentes abiertos.")
    for incident_id in incidents:
        engine.retry_incident(incident_id, user, job.reason)


def _cancel(engine: Any, instance: ProcessInstance, user: User, job: BulkJob) -> None:
    engine.cancel(instance.id, user, job.reason)


def _reassign(engine: Any, instance: ProcessInstance, user: User, job: BulkJob) -> None:
    assignee = engine.session.get(User, job.params.get("asignado"))
    if assignee is None:
        raise EngineError("La persona elegida no existe.")
    tasks = engine.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id,
            HumanTask.state == "open",
            HumanTask.candidate_group.in_(assignee.group_codes),
        )
    ).all()
    if not tasks:
        raise EngineError("No tiene tareas abiertas de los grupos de la persona elegida.")
    for task in tasks:
        engine.reassign(task.id, user, assignee.id, job.reason)


def _migrate(engine: Any, instance: ProcessInstance, user: User, job: BulkJob) -> None:
    migration.migrate(engine, instance.id, user.id)


register(BulkAction("reintentar", "Reintentar los incidentes", _retry))
register(BulkAction("cancelar", "Cancelar", _cancel))
register(BulkAction("reasignar", "Reasignar las tareas abiertas", _reassign, needs_assignee=True))
register(BulkAction("migrar", "Mover a la versión más reciente", _migrate))

# What the preview showed of each instance; the job refuses one whose state changed since.
STATE_NAMES = {
    "running": "en curso",
    "suspended": "suspendida",
    "completed": "terminada",
    "cancelled": "cancelada",
}


def state_of(instance: ProcessInstance) -> str:
    """The state the preview shows: its status, and whether it has an open incident."""
    return f"{instance.status}+incidente" if instance.has_incident else instance.status


def _state_name(state: str) -> str:
    status, _, incident = state.partition("+")
    name = STATE_NAMES.get(status, status)
    return f"{name} con incidente" if incident else name


def _unchanged_since_preview(instance: ProcessInstance, job: BulkJob) -> None:
    shown = (job.params.get("vista_previa") or {}).get(str(instance.id))
    if shown is not None and shown != state_of(instance):
        raise EngineError(
            f"Cambió desde la vista previa: estaba {_state_name(shown)}, "
            f"ahora está {_state_name(state_of(instance))}; no se le aplicó la acción."
        )


def create(
    session: Session,
    action: str,
    ids: list[int],
    user: User,
    reason: str,
    params: dict,
    now: Any,
    shown: dict[int, str] | None = None,
) -> BulkJob:
    """A job over exactly ``ids``; ``shown`` is each one's state in the preview (the job
    then refuses, with the reason, an instance whose state changed since)."""
    if action not in ACTIONS:
        raise EngineError("Esa acción masiva no existe.")
    if not ids:
        raise EngineError("No hay instancias para esta acción.")
    if shown is not None:
        params = {**params, "vista_previa": {str(i): shown[i] for i in ids if i in shown}}
    job = BulkJob(
        action=action,
        reason=reason,
        params=params,
        instance_ids=list(ids),
        total=len(ids),
        processed=0,
        failures=[],
        status="queued",
        created_by_id=user.id,
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job


def _advance(job: BulkJob, now: Any) -> None:
    job.processed += 1
    job.updated_at = now
    if job.processed >= job.total:
        job.status, job.finished_at = "done", now


def run(
    job_id: int,
    open_session: Callable[[], Session],
    make_engine: Callable[[Session], Any],
    commit: Callable[[Session], None],
    until: Callable[[], bool] = lambda: False,
) -> BulkJob | None:
    """Apply the job to each of its instances, each in a transaction of its own that also
    records the progress (and the failure, in Spanish).

    Safe to run twice at once (the sweep sends a silent job again): each instance's
    transaction locks the job row and goes on only if that instance is the next one. Stops
    between two instances once ``until()`` says so (a worker's time budget); the job is then
    not done and its runner sends it again."""
    with open_session() as session:
        job = session.get(BulkJob, job_id)
        if job is None or job.status == "done":
            return job
        engine = make_engine(session)
        start_writing(session)
        job = session.get(BulkJob, job_id, with_for_update=True, populate_existing=True)
        if job.status == "queued":
            job.status, job.started_at = "running", engine.clock.now()
        job.updated_at = engine.clock.now()
        session.commit()
        ids, action, user_id = list(job.instance_ids), ACTIONS[job.action], job.created_by_id
    for index, instance_id in enumerate(ids):
        if until():
            break
        with open_session() as session:
            engine = make_engine(session)
            start_writing(session)
            job = session.get(BulkJob, job_id, with_for_update=True, populate_existing=True)
            if job.processed != index:
                continue  # done already, by this run or another
            instance = session.get(ProcessInstance, instance_id)
            key = instance.business_key if instance is not None else str(instance_id)
            try:
                if instance is None:
                    raise EngineError("La instancia no existe.")
                _unchanged_since_preview(instance, job)
                action.apply(engine, instance, session.get(User, user_id), job)
                _advance(job, engine.clock.now())
                commit(session)
            except EngineError as exc:
                session.rollback()
                start_writing(session)
                job = session.get(BulkJob, job_id, with_for_update=True, populate_existing=True)
                if job.processed != index:
                    continue
                failure = {"instancia": instance_id, "clave": key, "error": str(exc)}
                job.failures = [*job.failures, failure]
                _advance(job, engine.clock.now())
                session.commit()
    with open_session() as session:
        job = session.get(BulkJob, job_id)
        session.expunge(job)
        return job


def silent(session: Session, now: Any, after: timedelta) -> list[int]:
    """Jobs not done whose last progress is older than ``after`` (their worker died, or the
    broker lost them): the sweep sends them again."""
    moment = func.coalesce(BulkJob.updated_at, BulkJob.created_at)
    return list(
        session.scalars(select(BulkJob.id).where(BulkJob.status != "done", moment < now - after))
    )
