"""One instance loaded for one engine call: changed in memory, run to its next wait state, saved.

Saving writes the instance (version-checked first), its inbox rows, its events and its outbox
rows in the caller's transaction. Milestones (``hito``) a completed task carries are recorded
on the case as the task completes, and the timers that read the case are re-armed.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.task import Task, TaskState
from sqlalchemy import Update, bindparam, select, update
from sqlalchemy import case as sql_case

from engine import cases, review_draw, row_writes, time_helpers, workflow_cache
from engine.business_calendar import BusinessCalendar
from engine.clock import Clock
from engine.definitions import Bundle, bundle_for
from engine.errors import EngineError, TaskConflict
from engine.models import Case, Event, HumanTask, Incident, OutboxMessage, ProcessInstance
from engine.pruning import prune
from engine.sandbox import RestrictedEnvironment, SandboxViolation
from engine.script_limits import ScriptLimitExceeded
from engine.specs import OUTBOX_KEY, release_clock, use_clock

if TYPE_CHECKING:
    from engine.runtime import Engine

CITIZEN_GROUP = "usuario"
WRITTEN_EVENTS = "engine_written_events"  # session.info key: events written by Core inserts
EVENT_COLUMNS = tuple(c.key for c in Event.__table__.columns if not c.primary_key)
_inbox = HumanTask.__table__.c
OPEN_INBOX_ROWS = select(_inbox.id, _inbox.completed_at, _inbox.due_at).where(
    _inbox.instance_id == bindparam("instance_id"), _inbox.state == "open"
)


def _finishing_open_rows() -> Update:
    """The finished row closed and the instance's open rows read, in one statement: every open
    row is returned (the finished one as it is now, completed)."""
    finished = _inbox.id == bindparam("finished")
    user_id = bindparam("user_id", type_=_inbox.completed_by_id.type)
    at = bindparam("at", type_=_inbox.completed_at.type)
    return (
        update(HumanTask.__table__)
        .where(_inbox.instance_id == bindparam("of_instance"), _inbox.state == "open")
        .values(
            state=sql_case((finished, "completed"), else_=_inbox.state),
            assignee_id=sql_case((finished, user_id), else_=_inbox.assignee_id),
            completed_by_id=sql_case((finished, user_id), else_=_inbox.completed_by_id),
            completed_at=sql_case((finished, at), else_=_inbox.completed_at),
        )
        .returning(_inbox.id, _inbox.completed_at, _inbox.due_at)
    )


FINISH_AND_READ_OPEN_ROWS = _finishing_open_rows()


class RunawayProcess(Exception):
    """More automatic steps in one engine call than any real path needs: a loop in the diagram."""


def properties(task: Task) -> dict[str, str]:
    """A task's ``spiffworkflow:properties`` (form, candidate group, milestone…)."""
    return getattr(task.task_spec, "extensions", {}).get("properties", {})


def failure(exc: Exception) -> str:
    """What went wrong in a diagram's code, in the process owner's words where we have them."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ScriptLimitExceeded | SandboxViolation):
        detail = str(cause)
    elif isinstance(exc, WorkflowTaskException) and cause is not None:
        detail = f"{type(cause).__name__}: {cause}"
    else:
        detail = str(exc)
    line = getattr(exc, "line_number", None)
    return f"{detail} (línea {line})" if line else detail


@contextmanager
def clocked(clock: Clock) -> Iterator[None]:
    """SpiffWorkflow reads the engine's clock, and its errors become the engine's."""
    token = use_clock(clock)
    try:
        yield
    except SpiffWorkflowException as exc:
        raise EngineError(f"El proceso no pudo continuar: {exc}") from exc
    finally:
        release_clock(token)


def script_environment(
    engine: "Engine",
    case: Case | None,
    facts: dict[str, Any],
    calendar: BusinessCalendar | None = None,
) -> RestrictedEnvironment:
    """What diagram code sees: ``caso``, ``en_muestra`` and the date helpers (on the engine's
    business calendar, or on ``calendar`` to ask what a change of closures would give)."""
    return RestrictedEnvironment(
        {
            "caso": MappingProxyType(facts),
            "en_muestra": review_draw.sampler(engine.session, case, engine.settings.review_random),
            **time_helpers.helpers(lambda: calendar or engine.calendar),
        },
        engine.settings.script_limits,
    )


def timer_due(
    engine: "Engine",
    bundle: Bundle,
    process_id: str,
    timer_id: str,
    case: Case,
    data: dict,
    calendar: BusinessCalendar | None = None,
) -> datetime:
    """When the diagram's ``timeDate`` timer ``timer_id`` falls due for ``case``, evaluated
    exactly as the engine will when the timer starts waiting."""
    spec = bundle.specs[process_id].task_specs.get(timer_id)
    definition = getattr(spec, "event_definition", None)
    if not isinstance(definition, TimeDateEventDefinition):
        raise EngineError(
            f"El diagrama del proceso no tiene el temporizador «{timer_id}» con fecha."
        )
    environment = script_environment(engine, case, cases.facts(case), calendar)
    try:
        value = environment.evaluate(definition.expression, dict(data))
        return TimerEventDefinition.get_datetime(value)
    except Exception as exc:  # the owner's expression: any error is theirs to fix
        raise EngineError(
            f"No se pudo calcular el temporizador «{spec.bpmn_name or timer_id}»: {exc}"
        ) from exc


def new_event(
    instance: ProcessInstance,
    at: datetime,
    kind: str,
    actor_id: int | None = None,
    label: str | None = None,
    data: dict[str, Any] | None = None,
    bpmn_id: str | None = None,
) -> Event:
    return Event(
        instance_id=instance.id,
        case_id=instance.case_id,
        at=at,
        actor_id=actor_id,
        kind=kind,
        bpmn_id=bpmn_id,
        label=label,
        data=data,
    )


@dataclass
class Run:
    engine: "Engine"
    instance: ProcessInstance
    bundle: Bundle
    workflow: BpmnWorkflow
    case: Case | None
    facts: dict[str, Any]  # what scripts see as ``caso`` (read-only view, refreshed in place)
    actor_id: int | None = None
    case_changed: bool = False  # a milestone changed the case: re-read facts, re-arm timers
    events: list[Event] = field(default_factory=list)
    automatic_steps: int = 0  # tasks completed by the engine in this call
    finished_row: tuple[str, dict[str, Any]] | None = None  # see ``finish_inbox_row``

    @classmethod
    def attach(
        cls,
        engine: "Engine",
        instance: ProcessInstance,
        bundle: Bundle,
        workflow: BpmnWorkflow,
        case: Case | None,
        actor_id: int | None,
    ) -> "Run":
        facts = cases.facts(case) if case is not None else {}
        workflow.script_engine = PythonScriptEngine(
            environment=script_environment(engine, case, facts)
        )
        return cls(engine, instance, bundle, workflow, case, facts, actor_id)

    @classmethod
    def load(cls, engine: "Engine", instance: ProcessInstance, actor_id: int | None) -> "Run":
        bundle = bundle_for(engine.session, instance.deployment_id)
        workflow = workflow_cache.take(instance.id, bundle, instance.state)
        if workflow is None:
            workflow = bundle.load(instance.state)
        return cls.attach(engine, instance, bundle, workflow, instance.case, actor_id)

    # --- reading -------------------------------------------------------------------------

    def task(self, task_id: str) -> Task | None:
        """The engine's task by id, or None when it is gone (finished and pruned)."""
        try:
            return self.workflow.get_task_from_id(UUID(task_id))
        except TaskNotFoundException:
            return None

    def candidate_group(self, task: Task) -> str:
        expression = properties(task)["candidateGroup"]
        try:
            return self.workflow.script_engine.evaluate(task, expression)
        except SpiffWorkflowException as exc:
            raise EngineError(
                f"No se pudo calcular el grupo de la tarea «{task.task_spec.bpmn_name}»: "
                f"{failure(exc)}"
            ) from exc

    def citizen_task(self) -> Task | None:
        """The ready task of the citizen's own group, if any."""
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            if self.candidate_group(task) == CITIZEN_GROUP:
                return task
        return None

    # --- running -------------------------------------------------------------------------

    def complete(
        self,
        task: Task,
        data: dict[str, Any],
        logged: dict[str, Any],
        cleared: Iterable[str] = (),
    ) -> None:
        """Complete a ready user task with validated data and run on.

        ``cleared``: form fields left blank, dropped so they keep no earlier round's value."""
        for name in cleared:
            task.data.pop(name, None)
        task.set_data(**data)
        task.run()
        self.log("task_completed", task, data=logged)
        self.completed(task)
        self.advance()

    def completed(self, task: Task) -> None:
        """Record the milestone a completed task carries (its ``hito`` property)."""
        self.automatic_steps += 1
        if self.automatic_steps > self.engine.settings.max_automatic_steps:
            raise RunawayProcess(
                f"El proceso completó más de {self.engine.settings.max_automatic_steps} "
                "tareas automáticas seguidas sin llegar a una espera: "
                "el diagrama tiene un ciclo sin salida."
            )
        if task.state != TaskState.COMPLETED:  # a service task just handed to the outbox
            return
        props = properties(task)
        hito = props.get("hito")
        if hito and self.case is not None:
            engine = self.engine
            milestone = cases.Milestone(engine.session, engine.clock.now(), engine.calendar)
            milestone.record(self.case, hito, task.data, props)
            self.case_changed = True
            self.log("hito", task, label=hito)
        elif task.task_spec.bpmn_id and isinstance(
            getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition
        ):
            self.log("timer", task)

    def advance(self) -> None:
        """Run to the next wait state; when a milestone moved a deadline, re-arm the timers.

        A script or condition that fails (an error, or its time and memory budget exhausted)
        stops that path with an incident on the instance; what was done before it is kept."""
        try:
            while True:
                if self.case_changed:
                    self.rearm_timers()
                self.workflow.do_engine_steps(did_complete_task=self.completed)
                if not self.case_changed:
                    return
        except (SpiffWorkflowException, RunawayProcess) as exc:
            self.incident(exc)

    def incident(self, exc: Exception) -> None:
        failed = getattr(exc, "task", None) or next(
            iter(self.workflow.get_tasks(state=TaskState.ERROR)), None
        )
        name = (failed.task_spec.bpmn_name or failed.task_spec.bpmn_id) if failed else None
        error = f"«{name}»: {failure(exc)}" if name else failure(exc)
        self.engine.session.add(
            Incident(
                instance_id=self.instance.id,
                task_id=str(failed.id) if failed else None,
                bpmn_id=failed.task_spec.bpmn_id if failed else None,
                error=error,
                created_at=self.engine.clock.now(),
            )
        )
        self.instance.has_incident = True
        self.log("incident", failed, data={"error": error})

    def rearm_timers(self) -> None:
        """The case record changed: timers reading ``caso`` evaluate their due time again."""
        self.case_changed = False
        self.facts.update(cases.facts(self.case))
        for waiting in self.workflow.event_manager.tasks.values():
            if isinstance(waiting.task_spec.event_definition, TimeDateEventDefinition):
                waiting.internal_data.pop("event_value", None)
        self.workflow.refresh_timers()

    # --- saving --------------------------------------------------------------------------

    def save(self) -> None:
        session, instance, workflow = self.engine.session, self.instance, self.workflow
        now = self.engine.clock.now()
        requests = workflow.data.pop(OUTBOX_KEY, [])
        prune(workflow)
        instance.state = self.bundle.dump(workflow)
        instance.updated_at = now
        instance.next_timer_at = self.next_timer()
        if workflow.is_completed():
            instance.status = "completed"
            instance.ended_at = now
        # What else the step changed through the ORM (the case, incidents) is written first,
        # in the unit of work's order (the case before its instance, as every writer does).
        others = [obj for obj in (*session.new, *session.dirty) if obj is not instance]
        if others:
            session.flush(others)
        # The version check comes next: a concurrent writer of this instance fails here,
        # before it writes any inbox row derived from its stale copy.
        if not row_writes.write_versioned(session, instance):
            raise TaskConflict(
                "Otra persona cambió este caso al mismo tiempo. "
                "Recargue la página e intente de nuevo."
            )
        self._sync_inbox()
        for request in requests:
            key = f"{instance.id}:{request['task_id']}"
            self.enqueue(key, request["task_id"], request["operation"], request["params"])
        self.write_events()
        session.flush()  # the outbox rows
        workflow_cache.keep(instance.id, self.bundle, instance.state, workflow)

    def finish_inbox_row(self, task: HumanTask, user_id: int, at: datetime) -> None:
        """The inbox row of the user task being completed, written when the step is saved."""
        self.finished_row = (
            task.id,
            {"assignee_id": user_id, "completed_by_id": user_id, "completed_at": at},
        )

    def enqueue(
        self, key: str, task_id: str | None, operation: str, params: dict[str, Any]
    ) -> None:
        """An outbox row for the workers, with the context they need."""
        context = {"instance_id": self.instance.id}
        if self.case is not None:
            context.update(case_id=self.case.id, radicado=self.case.radicado)
        if task_id is not None:
            task = self.task(task_id)
            context["tarea"] = task.task_spec.bpmn_id
            context["lane"] = task.task_spec.lane
        # An ORM row: the web app and the workers hand the new outbox rows of a flush to the
        # dispatcher (web/outbox.py, workers/dispatch.py); outbox rows are rare, events are not.
        self.engine.session.add(
            OutboxMessage(
                key=key,
                instance_id=self.instance.id,
                task_id=task_id,
                operation=operation,
                params={**params, **context},
                status="pending",
                created_at=self.engine.clock.now(),
            )
        )
        self.log("service_requested", label=operation, data={"operacion": operation})
        self.write_events()

    def write_events(self) -> None:
        """Append the events logged so far to the event log; the session's ``info`` lists
        them (``WRITTEN_EVENTS``: kind, bpmn id) for whoever watches its commits."""
        session = self.engine.session
        row_writes.insert_rows(
            session,
            Event,
            ({column: getattr(event, column) for column in EVENT_COLUMNS} for event in self.events),
        )
        session.info.setdefault(WRITTEN_EVENTS, []).extend(
            (event.kind, event.bpmn_id) for event in self.events
        )
        self.events.clear()

    def timers(self) -> list[tuple[str, datetime]]:
        """The timers the instance waits on: (element id, due time)."""
        due = []
        for waiting in self.workflow.event_manager.tasks.values():
            definition = waiting.task_spec.event_definition
            value = waiting.internal_data.get("event_value")
            if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
                due.append((waiting.task_spec.bpmn_id, datetime.fromisoformat(value["next"])))
            elif isinstance(value, str):
                due.append((waiting.task_spec.bpmn_id, TimerEventDefinition.get_datetime(value)))
        return due

    def next_timer(self) -> datetime | None:
        return min((at for _, at in self.timers()), default=None)

    def _sync_inbox(self) -> None:
        """Rewrite the instance's inbox rows to match its ready user tasks."""
        session, instance, case = self.engine.session, self.instance, self.case
        ready = {str(t.id): t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)}
        open_rows = self._finish_and_read_open_rows()
        due = cases.pending_deadline(case) if case is not None else None
        for row_id, completed_at, due_at in open_rows:
            if row_id not in ready:
                state = "completed" if completed_at is not None else "cancelled"
                row_writes.update_row(session, HumanTask, row_id, {"state": state})
            elif due_at != due:
                row_writes.update_row(session, HumanTask, row_id, {"due_at": due})
        known = {row_id for row_id, _, _ in open_rows}
        now = self.engine.clock.now()
        new_rows = []
        for task_id, task in ready.items():
            if task_id in known:
                continue
            group = self.candidate_group(task)
            new_rows.append(
                {
                    "id": task_id,
                    "instance_id": instance.id,
                    "case_id": case.id if case else None,
                    "bpmn_id": task.task_spec.bpmn_id,
                    "name": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                    "lane": task.task_spec.lane,
                    "form": properties(task)["formJsonSchemaFilename"],
                    "candidate_group": group,
                    "assignee_id": self._citizen_of(group),
                    "state": "open",
                    "request_type": case.request_type if case else None,
                    "business_key": instance.business_key,
                    "created_at": now,
                    "due_at": due,
                }
            )
        row_writes.insert_rows(session, HumanTask, new_rows)

    def _finish_and_read_open_rows(self) -> list[tuple[str, datetime | None, datetime | None]]:
        """The instance's open inbox rows (id, completed_at, due_at), after closing the row of
        the task this step completed, if any (one statement for both)."""
        session, instance_id = self.engine.session, self.instance.id
        if self.finished_row is None:
            return list(session.connection().execute(OPEN_INBOX_ROWS, {"instance_id": instance_id}))
        task_id, values = self.finished_row
        self.finished_row = None
        rows = row_writes.writer(session).execute(
            FINISH_AND_READ_OPEN_ROWS,
            {
                "of_instance": instance_id,
                "finished": task_id,
                "user_id": values["completed_by_id"],
                "at": values["completed_at"],
            },
        )
        row_writes.hold(session, HumanTask, task_id, {**values, "state": "completed"})
        return [tuple(row) for row in rows if row[0] != task_id]

    def _citizen_of(self, group: str) -> int | None:
        """A citizen's task is theirs alone: the case's citizen, or who is acting (filing)."""
        if group != CITIZEN_GROUP:
            return None
        return self.case.citizen_id if self.case is not None else self.actor_id

    # --- event log -----------------------------------------------------------------------

    def log(
        self,
        kind: str,
        task: Task | None = None,
        label: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(
            new_event(
                self.instance,
                self.engine.clock.now(),
                kind,
                self.actor_id,
                label or (task.task_spec.bpmn_name if task else None),
                data,
                task.task_spec.bpmn_id if task else None,
            )
        )
