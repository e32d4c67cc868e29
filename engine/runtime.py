"""The process runtime: every state change of an instance goes through ``Engine``.

One call loads the instance, changes it in memory, runs it to its next wait state and writes
the instance, its inbox rows, its events and its outbox rows in the caller's transaction (the
caller commits). A concurrent writer of the same instance fails with ``TaskConflict``.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from engine import (
    cases,
    configuration,
    definitions,
    forms,
    lookup_codes,
    review_draw,
    row_writes,
    schedules,
    service_results,
)
from engine.clock import BOGOTA, Clock
from engine.database import start_writing
from engine.deadlines import DeadlineError, extend_legal_deadline
from engine.errors import EngineError, NotAllowed, NotFound, TaskConflict
from engine.models import (
    Case,
    Deployment,
    Event,
    HumanTask,
    Incident,
    OutboxMessage,
    ProcessInstance,
    User,
)
from engine.run import CITIZEN_GROUP, Run, clocked, new_event, properties, timer_due
from engine.sandbox import RestrictedEnvironment
from engine.script_limits import ScriptLimits

SUPERVISORS = frozenset({"administrador", "coordinador"})
INSTANCE_STATES = {
    "running": "en curso",
    "suspended": "suspendida",
    "completed": "terminada",
    "cancelled": "cancelada",
}
CASE_PROCESS = cases.CASE_PROCESS
FIRST_RESPONSE_TIMER = cases.FIRST_RESPONSE_TIMER
# The hot path's reads, built once (SQLAlchemy keeps a built statement's cache key).
TASK = select(HumanTask).where(HumanTask.id == bindparam("id"))
TASK_WITH_INSTANCE = TASK.options(joinedload(HumanTask.instance))  # task, instance, case
INSTANCE = select(ProcessInstance).where(ProcessInstance.id == bindparam("id"))  # and its case
FILING_TASK = "ut_5_2_5"


@dataclass
class Settings:
    script_limits: ScriptLimits = field(default_factory=ScriptLimits)
    max_automatic_steps: int = 1000  # tasks the engine completes in one call before it stops
    # The quality-review draw's random source; the share itself is a database setting
    # (engine/configuration.py).
    review_random: random.Random = field(default_factory=lambda: review_draw.system_random)


@dataclass
class TaskView:
    task: HumanTask
    schema: dict[str, Any]
    data: dict[str, Any]
    case: Case | None
    prefill: dict[str, Any] = field(default_factory=dict)  # what the form opens with


class Engine:
    def __init__(self, session: Session, clock: Clock, settings: Settings | None = None) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings or Settings()
        self._calendar = None

    # --- definitions ------------------------------------------------------------------

    def deploy_directory(self, root: Path, user_id: int | None = None) -> Deployment:
        return definitions.deploy(
            self.session, definitions.read_directory(root), self.clock.now(), user_id
        )

    def deploy(self, files: dict[str, str], user_id: int | None = None) -> Deployment:
        return definitions.deploy(self.session, files, self.clock.now(), user_id)

    @property
    def calendar(self) -> cases.BusinessCalendar:
        if self._calendar is None:
            self._calendar = cases.calendar_for(self.session)
        return self._calendar

    def calendar_changed(self) -> None:
        """Closures changed in this transaction: the calendar is read again when next used."""
        self._calendar = None

    # --- starting -----------------------------------------------------------------------

    def start(
        self,
        process_id: str,
        data: dict[str, Any],
        business_key: str,
        actor_id: int | None = None,
        case: Case | None = None,
    ) -> ProcessInstance:
        run = self._begin(process_id, data, business_key, actor_id, case)
        run.save()
        return run.instance

    def _begin(
        self,
        process_id: str,
        data: dict[str, Any],
        business_key: str,
        actor_id: int | None,
        case: Case | None,
        bundle: definitions.Bundle | None = None,
    ) -> Run:
        """A new instance of the newest version, run to its first wait state (not saved yet)."""
        bundle = bundle or definitions.latest_bundle(self.session)
        if process_id not in bundle.specs:
            raise NotFound(f"El proceso «{process_id}» no está desplegado.")
        now = self.clock.now()
        workflow = BpmnWorkflow(bundle.specs[process_id], bundle.subprocess_specs[process_id])
        workflow.task_tree.data.update(data)
        instance = ProcessInstance(
            deployment_id=bundle.deployment_id,
            process_id=process_id,
            business_key=business_key,
            case_id=case.id if case else None,
            status="running",
            state=b"",
            started_at=now,
            updated_at=now,
        )
        self.session.add(instance)
        self.session.flush()
        run = Run.attach(self, instance, bundle, workflow, case, actor_id)
        run.log("started", label=business_key)
        with clocked(self.clock):
            run.advance()
        return run

    def file_case(
        self,
        citizen: User,
        filing: dict[str, Any],
        trail: list[dict[str, Any]],
        channel: str = "portal",
    ) -> Case:
        """5.2.5: file a request; assigns the radicado, computes the deadlines, starts the case.

        ``channel``: how the request arrived (an Asesor files the other channels' requests on
        the citizen's behalf); the radicado, the terms and the e-mails are the same."""
        if channel not in cases.CHANNELS:
            raise EngineError(f"El canal «{channel}» no existe.")
        bundle = definitions.latest_bundle(self.session)
        form = bundle.forms["radicar.json"]
        filing = forms.validate(form, filing)
        now = self.clock.now()
        terms = bundle.decide(
            "terminos_legales", {"tipo": filing["tipo"], "modalidad": filing.get("modalidad")}
        )
        legal_days = int(terms["dias_habiles"])
        case = Case(
            radicado=cases.next_radicado(self.session, now.astimezone(BOGOTA).year),
            citizen_id=citizen.id,
            request_type=filing["tipo"],
            modality=filing.get("modalidad"),
            service=filing["servicio"],
            subject=filing["asunto"],
            description=filing["descripcion"],
            status="radicado",
            channel=channel,
            filed_at=now,
            legal_days=legal_days,
            legal_due=self.calendar.add_business_days(now, legal_days),
        )
        case.first_response_due = timer_due(
            self, bundle, CASE_PROCESS, FIRST_RESPONSE_TIMER, case, filing
        )
        self.session.add(case)  # first: the reminders read their leads through its session
        cases.schedule_reminders(case, self.calendar)
        self.session.flush()
        cases.attach_files(self.session, case, citizen, filing.get("adjuntos", []))
        data = {
            **filing,
            "radicado": case.radicado,
            "documento": citizen.document_number,
            "registrado": not any(step.get("actividad") == "5.2.2" for step in trail),
            "porcentaje_revision": configuration.review_share(self.session),
        }
        run = self._begin(CASE_PROCESS, data, case.radicado, citizen.id, case, bundle)
        # The citizen's own lane, done in this same transaction: the portal steps 5.2.1-5.2.4
        # as they happened (who and when), then 5.2.5 with the filing itself. A step the
        # citizen did not take this time (e.g. 5.2.4 without changing any data) is passed
        # through and logged as ``omitido``: the citizen's timeline does not claim it.
        steps = {f"ut_{step['actividad'].replace('.', '_')}": step for step in trail}
        with clocked(self.clock):
            while task := run.citizen_task():
                if task.task_spec.bpmn_id == FILING_TASK:
                    submitted = logged = filing
                else:
                    step = steps.get(task.task_spec.bpmn_id)
                    submitted = {"en": step["en"] if step else now.isoformat()}
                    logged = submitted if step else {**submitted, "omitido": True}
                form = run.bundle.forms[properties(task)["formJsonSchemaFilename"]]
                run.complete(task, forms.validate(form, submitted), logged=logged)
        run.save()
        lookup_codes.assign(self.session, case, run.instance.id)  # after save: its outbox rows
        case.status = "en_tramite"
        return case

    # --- human tasks --------------------------------------------------------------------

    def _open_task(self, task_id: str, with_instance: bool = False) -> HumanTask:
        query = TASK_WITH_INSTANCE if with_instance else TASK
        task = row_writes.get(self.session, HumanTask, query, task_id)
        if task is None:
            raise NotFound("La tarea no existe.")
        if task.state != "open":
            raise TaskConflict("Esta tarea ya fue atendida por otra persona o ya no está vigente.")
        return task

    def _require_member(self, task: HumanTask, user: User) -> None:
        if task.candidate_group not in user.group_codes and not (
            task.candidate_group == CITIZEN_GROUP and task.assignee_id == user.id
        ):
            raise NotAllowed("Esta tarea no corresponde a sus grupos.")

    def claim(self, task_id: str, user: User) -> None:
        task = self._open_task(task_id)
        self._require_member(task, user)
        claimed = self.session.execute(
            update(HumanTask)
            .where(
                HumanTask.id == task_id, HumanTask.assignee_id.is_(None), HumanTask.state == "open"
            )
            .values(assignee_id=user.id)
        ).rowcount
        if not claimed:
            raise TaskConflict("Otra persona ya tomó esta tarea.")
        self._log_task(task, user.id, "claimed")

    def release(self, task_id: str, user: User) -> None:
        task = self._open_task(task_id)
        if task.assignee_id != user.id and not (user.group_codes & SUPERVISORS):
            raise NotAllowed("Solo quien tiene la tarea puede liberarla.")
        task.assignee_id = None
        self._log_task(task, user.id, "released")

    def reassign(
        self, task_id: str, supervisor: User, assignee_id: int, reason: str | None = None
    ) -> None:
        if not supervisor.group_codes & SUPERVISORS:
            raise NotAllowed("Solo un supervisor puede reasignar tareas.")
        task = self._open_task(task_id)
        assignee = self.session.get(User, assignee_id)
        if (
            assignee is None
            or not assignee.active
            or task.candidate_group not in assignee.group_codes
        ):
            raise NotAllowed("La persona elegida no pertenece al grupo de la tarea.")
        task.assignee_id = assignee_id
        data = {"asignado_a": assignee.username, **({"motivo": reason} if reason else {})}
        self._log_task(task, supervisor.id, "reassigned", data)

    def task_view(self, task_id: str, user: User) -> TaskView:
        task = self.session.get(HumanTask, task_id)
        if task is None:
            raise NotFound("La tarea no existe.")
        self._require_member(task, user)
        instance = self.session.get(ProcessInstance, task.instance_id)
        run = self._load(instance)
        spiff_task = run.task(task_id)
        data = dict(spiff_task.data) if spiff_task is not None else {}
        schema = run.bundle.forms[task.form]
        prefill = forms.carried_over(schema, data, self._last_submission(task))
        return TaskView(task, schema, data, run.case, prefill)

    def _last_submission(self, task: HumanTask) -> dict[str, Any] | None:
        """What this step of the instance submitted the last time it ran (None: first round)."""
        return self.session.scalar(
            select(Event.data)
            .where(
                Event.instance_id == task.instance_id,
                Event.bpmn_id == task.bpmn_id,
                Event.kind == "task_completed",
            )
            .order_by(Event.id.desc())
            .limit(1)
        )

    def complete_task(self, task_id: str, user: User, data: dict[str, Any]) -> None:
        task = self._open_task(task_id, with_instance=True)  # task, instance, case: one query
        self._require_member(task, user)
        if task.assignee_id not in (None, user.id):
            raise NotAllowed("Esta tarea la tiene otra persona; pida que la libere o la reasignen.")
        run = self._load_for_update(task.instance_id, user.id)
        spiff_task = run.task(task_id)
        if (
            spiff_task is None
            or spiff_task.state != TaskState.READY
            or not spiff_task.task_spec.manual
        ):
            raise TaskConflict("La tarea ya no está lista para completarse.")
        schema = run.bundle.forms[task.form]
        clean = forms.validate(schema, forms.with_read_only(schema, spiff_task.data, data))
        changed = forms.corrections(schema, spiff_task.data, clean)
        if changed:  # the person overrode what the process proposed: the history says so
            run.log("corregido", spiff_task, forms.correction_label(schema, changed), changed)
        run.finish_inbox_row(task, user.id, self.clock.now())  # written after the version check
        with clocked(self.clock):
            run.complete(spiff_task, clean, logged=clean, cleared=forms.left_blank(schema, clean))
        run.save()

    # --- deadlines ----------------------------------------------------------------------

    def extend_deadline(self, case_id: int, user: User, extra_days: int, reasons: str) -> Case:
        """Prórroga: once, with reasons, before expiry, to at most double the term."""
        if "asesor" not in user.group_codes and not user.group_codes & SUPERVISORS:
            raise NotAllowed("Solo un Asesor puede prorrogar el término.")
        case = self.session.get(Case, case_id)
        if case is None:
            raise NotFound("El caso no existe.")
        instance = self.session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_id == case_id)
        ).one()
        run = self._load_for_update(instance.id, user.id)
        now = self.clock.now()
        if case.info_requested_at is not None:
            raise EngineError(
                "El término está suspendido mientras el ciudadano aporta la información "
                "solicitada; no se puede prorrogar ahora."
            )
        try:
            extended = extend_legal_deadline(
                case.filed_at,
                case.legal_days,
                extra_days,
                case.extended_at is not None,
                reasons,
                now,
                case.legal_due,
                self.calendar,
            )
        except DeadlineError as exc:
            raise EngineError(str(exc)) from exc
        if case.suspended_days:  # the days the term waited for the citizen still count
            extended = self.calendar.add_business_days(extended, case.suspended_days)
        case.legal_due = extended
        cases.schedule_reminders(case, self.calendar)
        case.extension_days = extra_days
        case.extension_reasons = reasons.strip()
        case.extended_at = now
        run.case_changed = True
        run.log("prorroga", label="Prórroga", data={"dias": extra_days, "motivos": reasons})
        with clocked(self.clock):
            run.advance()
        run.save()
        run.enqueue(
            f"prorroga:{case.id}",
            None,
            "notify",
            {"plantilla": "prorroga", "destino": "ciudadano"},
        )
        return case

    # --- service tasks (workers) ---------------------------------------------------------

    def complete_service(self, outbox_id: int, result: dict[str, Any]) -> None:
        """Hand a service task its result and run on; a repeated delivery changes nothing."""
        message = self.session.get(OutboxMessage, outbox_id, with_for_update=True)
        if message is None:
            raise NotFound("El trabajo no existe.")
        if message.status in ("done", "skipped"):
            return
        message.status = "done"
        message.completed_at = self.clock.now()
        if message.task_id is None:
            return
        run = self._load_for_update(message.instance_id)
        task = run.task(message.task_id)
        if task is None or task.state != TaskState.STARTED:
            return
        with clocked(self.clock):
            task.data[task.task_spec.result_variable] = result
            task.complete()
            run.log("service_completed", task, data=result)
            run.completed(task)
            run.advance()
        run.save()

    def fail_service(self, outbox_id: int, error: str) -> Incident | None:
        """The last attempt failed: record an incident; the rest of the instance runs on.

        Work of no instance (an account e-mail) is only marked failed, with its error."""
        message = self.session.get(OutboxMessage, outbox_id, with_for_update=True)
        if message is None:
            raise NotFound("El trabajo no existe.")
        message.status = "failed"
        message.last_error = error
        if message.instance_id is None:
            self.session.flush()
            return None
        incident = Incident(
            instance_id=message.instance_id,
            outbox_id=message.id,
            task_id=message.task_id,
            bpmn_id=message.params.get("tarea"),
            error=error,
            created_at=self.clock.now(),
        )
        self.session.add(incident)
        instance = self.session.get(ProcessInstance, message.instance_id)
        instance.has_incident = True
        self.session.add(
            self._event(instance, "incident", None, message.operation, {"error": error})
        )
        self.session.flush()
        return incident

    def _resolve(
        self, incident_id: int, user: User, resolution: str, reason: str | None = None
    ) -> Incident:
        if "administrador" not in user.group_codes:
            raise NotAllowed("Solo un administrador puede resolver incidentes.")
        incident = self.session.get(Incident, incident_id)
        if incident is None or incident.resolved_at is not None:
            raise TaskConflict("El incidente no existe o ya fue resuelto.")
        incident.resolved_at = self.clock.now()
        incident.resolved_by_id = user.id
        incident.resolution = resolution
        instance = self.session.get(ProcessInstance, incident.instance_id)
        open_incidents = self.session.scalars(
            select(Incident.id).where(
                Incident.instance_id == instance.id, Incident.resolved_at.is_(None)
            )
        ).all()
        instance.has_incident = any(i != incident.id for i in open_incidents)
        data = {"incidente": incident.id, **({"motivo": reason} if reason else {})}
        self.session.add(self._event(instance, resolution, user.id, incident.bpmn_id, data))
        return incident

    def retry_incident(
        self, incident_id: int, user: User, reason: str | None = None
    ) -> OutboxMessage | None:
        """Put the failed job back in the outbox; the dispatcher sends it to a worker again."""
        incident = self._resolve(incident_id, user, "retried", reason)
        if incident.outbox_id is None and incident.task_id is not None:
            self._rerun(incident, user)  # a script or condition: run it again now
            return None
        if incident.outbox_id is None:  # a timer's path: arm it again, the sweep runs it
            instance = self.session.get(ProcessInstance, incident.instance_id)
            run = self._load(instance)
            instance.next_timer_at = run.next_timer()
            self.session.flush()
            return None
        message = self.session.get(OutboxMessage, incident.outbox_id)
        message.status = "pending"
        message.attempts = 0
        self.session.flush()
        return message

    def _rerun(self, incident: Incident, user: User) -> None:
        """Run the failed task again, and on from there; a new failure is a new incident."""
        run = self._load_for_update(incident.instance_id, user.id)
        task = run.task(incident.task_id)
        with clocked(self.clock):
            if task is not None and task.state == TaskState.ERROR:
                run.workflow.reset_from_task_id(task.id)
            run.advance()
        run.save()

    def skip_incident(
        self, incident_id: int, user: User, result: dict[str, Any], reason: str | None = None
    ) -> None:
        """Give the failed service task a result by hand and run on."""
        incident = self._resolve(incident_id, user, "skipped", reason)
        if incident.outbox_id is None:
            raise EngineError(
                "Solo se puede omitir un servicio fallido; este incidente se reintenta."
            )
        message = self.session.get(OutboxMessage, incident.outbox_id)
        result = service_results.check(message.operation, result)
        message.status = "pending"
        self.complete_service(message.id, result)
        message.status = "skipped"

    # --- timers and schedules --------------------------------------------------------------

    def fire_due_timers(self, limit: int = 1000) -> int:
        """Wake the instances whose next timer is due; each in its own savepoint."""
        now = self.clock.now()
        query = (
            select(ProcessInstance.id)
            .where(ProcessInstance.next_timer_at <= now, ProcessInstance.status == "running")
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        fired = 0
        due = self.session.scalars(query).all()
        if due:
            start_writing(self.session)  # before the savepoints below
        for instance_id in due:
            try:
                with self.session.begin_nested():
                    run = self._load_for_update(instance_id)
                    with clocked(self.clock):
                        run.workflow.refresh_timers()
                        run.advance()
                    run.save()
            except EngineError as exc:
                self._timer_incident(instance_id, str(exc))
            fired += 1
        return fired

    def _timer_incident(self, instance_id: int, error: str) -> None:
        """A timer's path failed: park the timer until an administrator retries."""
        instance = self.session.get(ProcessInstance, instance_id)
        instance.next_timer_at = None
        instance.has_incident = True
        self.session.add(
            Incident(instance_id=instance_id, error=error, created_at=self.clock.now())
        )
        self.session.add(self._event(instance, "incident", None, "temporizador", {"error": error}))
        self.session.flush()

    def start_due_schedules(self) -> list[ProcessInstance]:
        """Start the periodic processes (weekly audit, monthly report) whose period has begun.

        The cycle is the one of the diagram's timer start event; one instance per period,
        keyed by the period's start, so a second sweep starts nothing."""
        bundle = definitions.latest_bundle(self.session)
        now = self.clock.now()
        started = []
        for process_id, expression in bundle.start_cycles.items():
            period = schedules.current_period(self._evaluate(expression), now)
            if period is None:
                continue
            key = f"{process_id}@{period.isoformat()}"
            exists = self.session.scalar(
                select(ProcessInstance.id).where(ProcessInstance.business_key == key)
            )
            if exists is not None:
                continue
            start_writing(self.session)  # before the savepoint below
            try:
                with self.session.begin_nested():
                    started.append(self.start(process_id, {"periodo": period.isoformat()}, key))
            except IntegrityError:  # another scheduler started this period first
                continue
        return started

    @staticmethod
    def _evaluate(expression: str) -> Any:
        return RestrictedEnvironment({}).evaluate(expression, {})

    # --- administration --------------------------------------------------------------------

    def _set_status(
        self,
        instance_id: int,
        user: User,
        status: str,
        allowed_from: set[str],
        reason: str | None = None,
    ) -> None:
        if "administrador" not in user.group_codes:
            raise NotAllowed("Solo un administrador puede cambiar el estado de una instancia.")
        instance = self.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("La instancia no existe.")
        if instance.status not in allowed_from:
            state = INSTANCE_STATES.get(instance.status, instance.status)
            raise EngineError(f"No se puede: la instancia está {state}.")
        instance.status = status
        instance.updated_at = self.clock.now()
        if status == "cancelled":
            instance.ended_at = instance.updated_at
            self.session.execute(
                update(HumanTask)
                .where(HumanTask.instance_id == instance_id, HumanTask.state == "open")
                .values(state="cancelled")
            )
        data = {"motivo": reason} if reason else None
        self.session.add(self._event(instance, status, user.id, None, data))
        self.session.flush()

    def suspend(self, instance_id: int, user: User, reason: str | None = None) -> None:
        self._set_status(instance_id, user, "suspended", {"running"}, reason)

    def resume(self, instance_id: int, user: User, reason: str | None = None) -> None:
        self._set_status(instance_id, user, "running", {"suspended"}, reason)

    def cancel(self, instance_id: int, user: User, reason: str | None = None) -> None:
        self._set_status(instance_id, user, "cancelled", {"running", "suspended"}, reason)

    # --- loading -----------------------------------------------------------------------

    def waiting_timers(self, instance: ProcessInstance) -> list[tuple[str, datetime]]:
        """The timers an instance waits on (element id, due time), for the console."""
        return self._load(instance).timers()

    def _load(self, instance: ProcessInstance, actor_id: int | None = None) -> Run:
        return Run.load(self, instance, actor_id)

    def _load_for_update(self, instance_id: int, actor_id: int | None = None) -> Run:
        instance = row_writes.get(self.session, ProcessInstance, INSTANCE, instance_id)
        if instance is None:
            raise NotFound("La instancia no existe.")
        if instance.status != "running":
            raise NotAllowed("La instancia no está activa (suspendida, cancelada o terminada).")
        return self._load(instance, actor_id)

    def _event(
        self,
        instance: ProcessInstance,
        kind: str,
        actor_id: int | None,
        label: str | None,
        data: dict[str, Any] | None,
    ) -> Event:
        return new_event(instance, self.clock.now(), kind, actor_id, label, data)

    def _log_task(
        self, task: HumanTask, actor_id: int, kind: str, data: dict[str, Any] | None = None
    ) -> None:
        self.session.add(
            Event(
                instance_id=task.instance_id,
                case_id=task.case_id,
                at=self.clock.now(),
                actor_id=actor_id,
                kind=kind,
                bpmn_id=task.bpmn_id,
                label=task.name,
                data=data,
            )
        )
        self.session.flush()


__all__ = ["Engine", "Settings", "TaskView"]
