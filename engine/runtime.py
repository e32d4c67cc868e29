"""The process runtime: every state change of an instance goes through ``Engine``.

One call loads the instance, changes it in memory, runs it to its next wait state and writes
the instance, its inbox rows, its events and its outbox rows in the caller's transaction (the
caller commits). A concurrent writer of the same instance fails with ``TaskConflict``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.task import Task, TaskState
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from engine import cases, definitions, forms, schedules
from engine.clock import BOGOTA, Clock
from engine.deadlines import DeadlineError, extend_legal_deadline, first_response_deadline
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
from engine.pruning import prune
from engine.sandbox import RestrictedEnvironment, en_muestra
from engine.specs import OUTBOX_KEY, AsyncServiceTask, release_clock, use_clock

SUPERVISORS = frozenset({"administrador", "coordinador"})
CASE_PROCESS = "caso_pqrs"
FILING_TASK = "ut_5_2_5"
CITIZEN_GROUP = "usuario"


@dataclass
class Settings:
    review_share: int = 50  # % of answers drawn for quality review; the seed's floor is 50
    first_response_hours: int = 24
    first_response_business_hours: bool = False

    def __post_init__(self) -> None:
        if not 50 <= self.review_share <= 100:
            raise ValueError("review_share must be between 50 and 100")


@dataclass
class TaskView:
    task: HumanTask
    schema: dict[str, Any]
    data: dict[str, Any]
    case: Case | None


@dataclass
class _Run:
    """An instance loaded for one engine call."""

    instance: ProcessInstance
    bundle: definitions.Bundle
    workflow: BpmnWorkflow
    case: Case | None
    facts: dict[str, Any]
    actor_id: int | None = None
    case_changed: bool = False  # a milestone changed the case: re-read facts, re-arm timers
    events: list[Event] = field(default_factory=list)


def _properties(task: Task) -> dict[str, str]:
    return getattr(task.task_spec, "extensions", {}).get("properties", {})


def _find(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    """The engine's task by id, or None when it is gone (finished and pruned)."""
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        return None


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


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
        self._save(run)
        return run.instance

    def _begin(
        self,
        process_id: str,
        data: dict[str, Any],
        business_key: str,
        actor_id: int | None,
        case: Case | None,
    ) -> _Run:
        """A new instance of the newest version, run to its first wait state (not saved yet)."""
        bundle = definitions.latest_bundle(self.session)
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
        run = self._attach(instance, bundle, workflow, case, actor_id)
        self._log(run, "started", label=business_key)
        with self._clocked():
            self._advance(run)
        return run

    def file_case(self, citizen: User, filing: dict[str, Any], trail: list[dict[str, Any]]) -> Case:
        """5.2.5: file a request; assigns the radicado, computes the deadlines, starts the case."""
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
            filed_at=now,
            legal_days=legal_days,
            legal_due=self.calendar.add_business_days(now, legal_days),
            first_response_due=first_response_deadline(
                now,
                self.settings.first_response_hours,
                self.calendar,
                self.settings.first_response_business_hours,
            ),
        )
        cases.schedule_reminders(case, self.calendar)
        self.session.add(case)
        self.session.flush()
        cases.attach_files(self.session, case, citizen, filing.get("adjuntos", []))
        data = {
            **filing,
            "radicado": case.radicado,
            "documento": citizen.document_number,
            "registrado": not any(step.get("actividad") == "5.2.2" for step in trail),
            "porcentaje_revision": self.settings.review_share,
        }
        run = self._begin(CASE_PROCESS, data, case.radicado, citizen.id, case)
        # The citizen's own lane, done in this same transaction: the portal steps 5.2.1-5.2.4
        # as they happened (who and when), then 5.2.5 with the filing itself.
        steps = {f"ut_{step['actividad'].replace('.', '_')}": step for step in trail}
        with self._clocked():
            while task := next(
                iter(run.workflow.get_tasks(state=TaskState.READY, lane="Usuario")), None
            ):
                if task.task_spec.bpmn_id == FILING_TASK:
                    submitted = filing
                else:
                    step = steps.get(task.task_spec.bpmn_id, {"en": now.isoformat()})
                    submitted = {"en": step["en"]}
                form = run.bundle.forms[_properties(task)["formJsonSchemaFilename"]]
                task.set_data(**forms.validate(form, submitted))
                task.run()
                self._log(run, "task_completed", task, data=submitted)
                self._on_completed(run, task)
                self._advance(run)
        self._save(run)
        case.status = "en_tramite"
        return case

    def _citizen_task(self, run: _Run) -> Task | None:
        """The ready task of the citizen's own group (``usuario``), if any."""
        for task in run.workflow.get_tasks(state=TaskState.READY, manual=True):
            if self._candidate_group(run, task) == CITIZEN_GROUP:
                return task
        return None

    @staticmethod
    def _candidate_group(run: _Run, task: Task) -> str:
        return run.workflow.script_engine.evaluate(task, _properties(task)["candidateGroup"])

    # --- human tasks --------------------------------------------------------------------

    def _open_task(self, task_id: str, with_instance: bool = False) -> HumanTask:
        options = [joinedload(HumanTask.instance)] if with_instance else []
        task = self.session.get(HumanTask, task_id, options=options)
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

    def reassign(self, task_id: str, supervisor: User, assignee_id: int) -> None:
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
        self._log_task(task, supervisor.id, "reassigned", {"asignado_a": assignee.username})

    def task_view(self, task_id: str, user: User) -> TaskView:
        task = self.session.get(HumanTask, task_id)
        if task is None:
            raise NotFound("La tarea no existe.")
        self._require_member(task, user)
        instance = self.session.get(ProcessInstance, task.instance_id)
        run = self._load(instance)
        spiff_task = _find(run.workflow, task_id)
        data = dict(spiff_task.data) if spiff_task is not None else {}
        return TaskView(task, run.bundle.forms[task.form], data, run.case)

    def complete_task(self, task_id: str, user: User, data: dict[str, Any]) -> None:
        task = self._open_task(task_id, with_instance=True)  # task, instance, case: one query
        self._require_member(task, user)
        if task.assignee_id not in (None, user.id):
            raise NotAllowed("Esta tarea la tiene otra persona; pida que la libere o la reasignen.")
        run = self._load_for_update(task.instance_id, user.id)
        spiff_task = _find(run.workflow, task_id)
        if (
            spiff_task is None
            or spiff_task.state != TaskState.READY
            or not spiff_task.task_spec.manual
        ):
            raise TaskConflict("La tarea ya no está lista para completarse.")
        clean = forms.validate(run.bundle.forms[task.form], data)
        now = self.clock.now()
        task.assignee_id = user.id
        task.completed_by_id = user.id
        task.completed_at = now
        task.state = "completed"
        with self._clocked():
            spiff_task.set_data(**clean)
            spiff_task.run()
            self._log(run, "task_completed", spiff_task, data=clean)
            self._on_completed(run, spiff_task)
            self._advance(run)
        self._save(run)

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
        try:
            case.legal_due = extend_legal_deadline(
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
        cases.schedule_reminders(case, self.calendar)
        case.extension_days = extra_days
        case.extension_reasons = reasons.strip()
        case.extended_at = now
        run.case_changed = True
        self._log(run, "prorroga", label="Prórroga", data={"dias": extra_days, "motivos": reasons})
        with self._clocked():
            self._advance(run)
        self._save(run)
        self._enqueue(
            run,
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
        task = _find(run.workflow, message.task_id)
        if task is None or task.state != TaskState.STARTED:
            return
        with self._clocked():
            task.data[task.task_spec.result_variable] = result
            task.complete()
            self._log(run, "service_completed", task, data=result)
            self._on_completed(run, task)
            self._advance(run)
        self._save(run)

    def fail_service(self, outbox_id: int, error: str) -> Incident:
        """The last attempt failed: record an incident; the rest of the instance runs on."""
        message = self.session.get(OutboxMessage, outbox_id, with_for_update=True)
        if message is None:
            raise NotFound("El trabajo no existe.")
        message.status = "failed"
        message.last_error = error
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

    def _resolve(self, incident_id: int, user: User, resolution: str) -> Incident:
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
        self.session.add(
            self._event(instance, resolution, user.id, None, {"incidente": incident.id})
        )
        return incident

    def retry_incident(self, incident_id: int, user: User) -> OutboxMessage | None:
        """Put the failed job back in the outbox; the dispatcher sends it to a worker again."""
        incident = self._resolve(incident_id, user, "retried")
        if incident.outbox_id is None:  # a timer's path: arm it again, the sweep runs it
            instance = self.session.get(ProcessInstance, incident.instance_id)
            run = self._load(instance)
            instance.next_timer_at = self._next_timer(run.workflow)
            self.session.flush()
            return None
        message = self.session.get(OutboxMessage, incident.outbox_id)
        message.status = "pending"
        message.attempts = 0
        message.dispatched_at = None
        self.session.flush()
        return message

    def skip_incident(self, incident_id: int, user: User, result: dict[str, Any]) -> None:
        """Give the failed service task a result by hand and run on."""
        incident = self._resolve(incident_id, user, "skipped")
        message = self.session.get(OutboxMessage, incident.outbox_id)
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
        for instance_id in self.session.scalars(query).all():
            try:
                with self.session.begin_nested():
                    run = self._load_for_update(instance_id)
                    with self._clocked():
                        run.workflow.refresh_timers()
                        self._advance(run)
                    self._save(run)
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
        self, instance_id: int, user: User, status: str, allowed_from: set[str]
    ) -> None:
        if "administrador" not in user.group_codes:
            raise NotAllowed("Solo un administrador puede cambiar el estado de una instancia.")
        instance = self.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("La instancia no existe.")
        if instance.status not in allowed_from:
            raise EngineError(f"La instancia está «{instance.status}».")
        instance.status = status
        instance.updated_at = self.clock.now()
        if status == "cancelled":
            instance.ended_at = instance.updated_at
            self.session.execute(
                update(HumanTask)
                .where(HumanTask.instance_id == instance_id, HumanTask.state == "open")
                .values(state="cancelled")
            )
        self.session.add(self._event(instance, status, user.id, None, None))
        self.session.flush()

    def suspend(self, instance_id: int, user: User) -> None:
        self._set_status(instance_id, user, "suspended", {"running"})

    def resume(self, instance_id: int, user: User) -> None:
        self._set_status(instance_id, user, "running", {"suspended"})

    def cancel(self, instance_id: int, user: User) -> None:
        self._set_status(instance_id, user, "cancelled", {"running", "suspended"})

    # --- loading, running, saving ----------------------------------------------------------

    @contextmanager
    def _clocked(self) -> Iterator[None]:
        token = use_clock(self.clock)
        try:
            yield
        except SpiffWorkflowException as exc:
            raise EngineError(f"El proceso no pudo continuar: {exc}") from exc
        finally:
            release_clock(token)

    def _attach(
        self,
        instance: ProcessInstance,
        bundle: definitions.Bundle,
        workflow: BpmnWorkflow,
        case: Case | None,
        actor_id: int | None,
    ) -> _Run:
        case_facts = cases.facts(case) if case is not None else {}
        workflow.script_engine = PythonScriptEngine(
            environment=RestrictedEnvironment(
                {"caso": MappingProxyType(case_facts), "en_muestra": en_muestra}
            )
        )
        return _Run(instance, bundle, workflow, case, case_facts, actor_id)

    def _load(self, instance: ProcessInstance, actor_id: int | None = None) -> _Run:
        bundle = definitions.bundle_for(self.session, instance.deployment_id)
        workflow = bundle.load(instance.state)
        return self._attach(instance, bundle, workflow, instance.case, actor_id)

    def _load_for_update(self, instance_id: int, actor_id: int | None = None) -> _Run:
        instance = self.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("La instancia no existe.")
        if instance.status != "running":
            raise NotAllowed("La instancia no está activa (suspendida, cancelada o terminada).")
        return self._load(instance, actor_id)

    def _on_completed(self, run: _Run, task: Task) -> None:
        """Record the milestone a completed task carries (its ``hito`` property)."""
        if task.state != TaskState.COMPLETED:  # a service task just handed to the outbox
            return
        props = _properties(task)
        hito = props.get("hito")
        if hito and run.case is not None:
            cases.Milestone(self.session, self.clock.now(), self.calendar).record(
                run.case, hito, task.data, props
            )
            run.case_changed = True
            self._log(run, "hito", task, label=hito)
        elif task.task_spec.bpmn_id and isinstance(
            getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition
        ):
            self._log(run, "timer", task)

    def _advance(self, run: _Run) -> None:
        """Run to the next wait state; when a milestone moved a deadline, re-arm the timers."""
        while True:
            if run.case_changed:
                self._rearm_timers(run)
            run.workflow.do_engine_steps(did_complete_task=lambda t: self._on_completed(run, t))
            if not run.case_changed:
                return

    def _rearm_timers(self, run: _Run) -> None:
        """The case record changed: timers reading ``caso`` evaluate their due time again."""
        run.case_changed = False
        run.facts.update(cases.facts(run.case))
        for waiting in run.workflow.event_manager.tasks.values():
            if isinstance(waiting.task_spec.event_definition, TimeDateEventDefinition):
                waiting.internal_data.pop("event_value", None)
        run.workflow.refresh_timers()

    def _save(self, run: _Run) -> None:
        instance, workflow = run.instance, run.workflow
        now = self.clock.now()
        requests = workflow.data.pop(OUTBOX_KEY, [])
        prune(workflow)
        instance.state = run.bundle.dump(workflow)
        instance.updated_at = now
        instance.next_timer_at = self._next_timer(workflow)
        if workflow.is_completed():
            instance.status = "completed"
            instance.ended_at = now
        try:
            # The version check comes first: a concurrent writer of this instance fails here,
            # before it writes any inbox row derived from its stale copy.
            self.session.flush()
        except StaleDataError as exc:
            raise TaskConflict(
                "Otra persona cambió este caso al mismo tiempo. "
                "Recargue la página e intente de nuevo."
            ) from exc
        with self.session.no_autoflush:
            self._sync_inbox(run)
            for request in requests:
                key = f"{instance.id}:{request['task_id']}"
                self._enqueue(run, key, request["task_id"], request["operation"], request["params"])
            self.session.add_all(run.events)
            run.events.clear()
        self.session.flush()

    def _enqueue(
        self, run: _Run, key: str, task_id: str | None, operation: str, params: dict[str, Any]
    ) -> None:
        context = {"instance_id": run.instance.id}
        if run.case is not None:
            context.update(case_id=run.case.id, radicado=run.case.radicado)
        if task_id is not None:
            task = _find(run.workflow, task_id)
            context["tarea"] = task.task_spec.bpmn_id
            context["lane"] = task.task_spec.lane
        self.session.add(
            OutboxMessage(
                key=key,
                instance_id=run.instance.id,
                task_id=task_id,
                operation=operation,
                params={**params, **context},
                status="pending",
                created_at=self.clock.now(),
            )
        )
        self._log(run, "service_requested", label=operation, data={"operacion": operation})
        self.session.add_all(run.events)
        run.events.clear()

    @staticmethod
    def _next_timer(workflow: BpmnWorkflow) -> datetime | None:
        due = []
        for waiting in workflow.event_manager.tasks.values():
            definition = waiting.task_spec.event_definition
            value = waiting.internal_data.get("event_value")
            if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
                due.append(_parse_time(value["next"]))
            elif isinstance(value, str):
                due.append(TimerEventDefinition.get_datetime(value))
        return min(due) if due else None

    def _sync_inbox(self, run: _Run) -> None:
        """Rewrite the instance's inbox rows to match its ready user tasks."""
        instance, case = run.instance, run.case
        ready = {str(t.id): t for t in run.workflow.get_tasks(state=TaskState.READY, manual=True)}
        open_rows = self.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
        ).all()
        due = cases.pending_deadline(case) if case is not None else None
        for row in open_rows:
            if row.id in ready:
                row.due_at = due
            else:
                row.state = "completed" if row.completed_at is not None else "cancelled"
        known = {row.id for row in open_rows}
        for task_id, task in ready.items():
            if task_id in known:
                continue
            props = _properties(task)
            group = self._candidate_group(run, task)
            self.session.add(
                HumanTask(
                    id=task_id,
                    instance_id=instance.id,
                    case_id=case.id if case else None,
                    bpmn_id=task.task_spec.bpmn_id,
                    name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                    lane=task.task_spec.lane,
                    form=props["formJsonSchemaFilename"],
                    candidate_group=group,
                    assignee_id=run.actor_id if group == CITIZEN_GROUP else None,
                    state="open",
                    request_type=case.request_type if case else None,
                    business_key=instance.business_key,
                    created_at=self.clock.now(),
                    due_at=due,
                )
            )

    # --- event log ---------------------------------------------------------------------

    def _event(
        self,
        instance: ProcessInstance,
        kind: str,
        actor_id: int | None,
        label: str | None,
        data: dict[str, Any] | None,
    ) -> Event:
        return Event(
            instance_id=instance.id,
            case_id=instance.case_id,
            at=self.clock.now(),
            actor_id=actor_id,
            kind=kind,
            label=label,
            data=data,
        )

    def _log(
        self,
        run: _Run,
        kind: str,
        task: Task | None = None,
        label: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        event = self._event(
            run.instance,
            kind,
            run.actor_id,
            label or (task.task_spec.bpmn_name if task else None),
            data,
        )
        event.bpmn_id = task.task_spec.bpmn_id if task else None
        run.events.append(event)

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


__all__ = ["AsyncServiceTask", "Engine", "Settings", "TaskView"]
