"""An administrator's repairs of one instance, each with a reason, written to the event log in
the caller's transaction: move the case back to a step it went through, move it past a stuck
service task with a result entered by hand, edit its process data (before/after audited).

Moving back grafts the chosen step where the case stands now and lets SpiffWorkflow reset
from it (``reset_from_task_id``): finished steps are pruned from a saved instance
(engine/pruning.py), so the earlier run of the step is usually no longer in the tree."""

import json
import keyword
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.task import Task, TaskState
from SpiffWorkflow.workflow import Workflow
from sqlalchemy import select

from engine import cases, service_results
from engine.errors import EngineError, NotAllowed
from engine.models import (
    Event,
    Group,
    HumanTask,
    Incident,
    OutboxMessage,
    ProcessInstance,
    User,
)
from engine.run import CITIZEN_GROUP, Run, clocked

ADMIN_GROUP = "administrador"
OPEN_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
INTERNAL_PREFIXES = ("_", "spiff")


@dataclass(frozen=True)
class Step:
    bpmn_id: str
    name: str


@dataclass(frozen=True)
class PassedMilestone:
    """A milestone (``hito``) the case recorded since it last did the step it goes back to,
    and what moving back does with it: ``kept`` (it stays: the citizen already received it,
    or it stays in the log and its effect goes on), ``undone`` (its effect on the case is
    reverted) or ``reopened`` (the area's answer: the case goes back to the area)."""

    hito: str
    at: datetime
    fate: str


# What moving back does with each milestone it passes (when it does not depend on the step).
KEPT = "kept"
UNDONE = "undone"
REOPENED = "reopened"
FIXED_FATES = {
    "primera_respuesta": KEPT,  # the citizen got it: the 24-hour term stays met
    "fecha_respuesta": KEPT,  # the date promised to the citizen stays (a new one replaces it)
    "informacion_aportada": KEPT,
    "devolucion": KEPT,
    "alerta": KEPT,
    "revision": UNDONE,  # the answer is reviewed again
    "tipificacion": UNDONE,  # classified again
}


@dataclass(frozen=True)
class StuckService:
    outbox_id: int
    name: str
    operation: str
    status: str
    example: str


def _require_admin(user: User) -> None:
    if ADMIN_GROUP not in user.group_codes:
        raise NotAllowed("Solo un administrador puede hacer esta acción.")


def _ready_user_tasks(run: Run) -> list[Task]:
    return list(run.workflow.get_tasks(state=TaskState.READY, manual=True))


def _unfinished(run: Run) -> set[str]:
    return {
        str(t.id)
        for t in run.workflow.get_tasks()
        if not t.has_state(TaskState.FINISHED_MASK | TaskState.PREDICTED_MASK)
    }


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in data.items() if not k.startswith(INTERNAL_PREFIXES)}
    return json.loads(json.dumps(shown, default=str))


class InstanceActions:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.session = engine.session
        self._runs: dict[int, Run] = {}

    def _read(self, instance: ProcessInstance) -> Run:
        """The instance loaded once for the page's several questions (read only)."""
        if instance.id not in self._runs:
            self._runs[instance.id] = self.engine._load(instance)
        return self._runs[instance.id]

    # --- moving back ------------------------------------------------------------------

    def back_steps(self, instance: ProcessInstance) -> list[Step]:
        """The user tasks the case went through that it can go back to: in the (sub)process
        of its one open step or one that contains it, staff steps only, the open step itself
        excluded."""
        if instance.status != "running":
            return []
        if instance.case is not None and instance.case.answered_at is not None:
            return []  # the final answer reached the citizen: it cannot be taken back
        run = self._read(instance)
        ready = _ready_user_tasks(run)
        if len(ready) != 1:
            return []
        current = ready[0]
        visited = self.session.scalars(
            select(Event.bpmn_id)
            .where(Event.instance_id == instance.id, Event.kind == "task_completed")
            .order_by(Event.id)
        ).all()
        steps: list[Step] = []
        for bpmn_id in dict.fromkeys(visited):
            found = self._locate(run, current, bpmn_id)
            if found is None or found[1] is current.task_spec or self._citizen_step(found[1]):
                continue
            steps.append(Step(bpmn_id, found[1].bpmn_name or bpmn_id))
        return steps

    @staticmethod
    def _locate(run: Run, current: Task, bpmn_id: str | None) -> tuple[Task, Any] | None:
        """The user task spec ``bpmn_id`` in the workflow of ``current`` or of one containing
        it, with the task standing for where the case is now in that workflow (``current``
        itself, or the subprocess task it runs in)."""
        node: Task | None = current
        while node is not None:
            for spec in node.workflow.spec.task_specs.values():
                if spec.bpmn_id == bpmn_id and spec.manual:
                    return node, spec
            parent_id = node.workflow.parent_task_id
            node = run.workflow.get_task_from_id(parent_id) if parent_id is not None else None
        return None

    def passed_milestones(self, instance: ProcessInstance, bpmn_id: str) -> list[PassedMilestone]:
        """The milestones recorded since the case last did ``bpmn_id`` (its own included: it
        is done again), each with what moving back there does with it."""
        last_done = self.session.scalar(
            select(Event.id)
            .where(
                Event.instance_id == instance.id,
                Event.kind == "task_completed",
                Event.bpmn_id == bpmn_id,
            )
            .order_by(Event.id.desc())
            .limit(1)
        )
        if last_done is None:
            return []
        rows = self.session.execute(
            select(Event.label, Event.at)
            .where(Event.instance_id == instance.id, Event.kind == "hito", Event.id >= last_done)
            .order_by(Event.id)
        ).all()
        into_area = self._area_step(instance, bpmn_id)
        case = instance.case
        found = []
        for hito, at in rows:
            if hito == "escalamiento":
                fate = KEPT if into_area else UNDONE
            elif hito == "respuesta_area":
                fate = REOPENED if into_area else KEPT
            elif hito == "solicitud_informacion":
                waiting = case is not None and case.info_requested_at is not None
                fate = UNDONE if waiting else KEPT
            else:
                fate = FIXED_FATES.get(hito, KEPT)
            found.append(PassedMilestone(hito, at, fate))
        return found

    def _area_step(self, instance: ProcessInstance, bpmn_id: str) -> bool:
        """Whether ``bpmn_id`` is one of an area's steps (its last run's group is an area)."""
        group = self.session.scalar(
            select(Group.kind)
            .join(HumanTask, HumanTask.candidate_group == Group.code)
            .where(HumanTask.instance_id == instance.id, HumanTask.bpmn_id == bpmn_id)
            .order_by(HumanTask.created_at.desc())
            .limit(1)
        )
        return group == "area"

    def _undo_milestones(self, run: Run, passed: list[PassedMilestone]) -> None:
        """Revert on the case what the undone milestones recorded (the escalation follows the
        step in ``_follow_escalation``)."""
        case = run.case
        if case is None:
            return
        undone = {m.hito for m in passed if m.fate == UNDONE}
        if "revision" in undone:
            case.reviewed = False
        if "tipificacion" in undone:
            case.classification = None
        if "solicitud_informacion" in undone and case.info_requested_at is not None:
            # The wait for the citizen ends now: the legal term runs again, moved by the
            # business days it waited (as the citizen's reply would do).
            engine = self.engine
            milestone = cases.Milestone(engine.session, engine.clock.now(), engine.calendar)
            milestone.record(case, "informacion_aportada", {}, {})
            case.info_due = None
        run.case_changed = True

    @staticmethod
    def _citizen_step(spec: Any) -> bool:
        expression = getattr(spec, "extensions", {}).get("properties", {}).get("candidateGroup")
        return expression in (repr(CITIZEN_GROUP), f'"{CITIZEN_GROUP}"')

    def move_back(self, instance_id: int, user: User, bpmn_id: str, reason: str) -> Task:
        _require_admin(user)
        run = self.engine._load_for_update(instance_id, user.id)
        ready = _ready_user_tasks(run)
        if len(ready) != 1:
            raise EngineError(
                "Solo se puede devolver un caso que espera en un único paso de una persona."
            )
        current = ready[0]
        allowed = {s.bpmn_id for s in self.back_steps(run.instance)}
        found = self._locate(run, current, bpmn_id)
        if bpmn_id not in allowed or found is None:
            raise EngineError("El caso no pasó por ese paso; elija uno de la lista.")
        here, spec = found  # ``here``: the open step, or the subprocess it runs in
        workflow = here.workflow
        branch = here
        if here.parent is not None and isinstance(here.parent.task_spec, BoundaryEventSplit):
            branch = here.parent  # the step and the timers on its border go together
        data = deepcopy(current.data)
        unfinished = _unfinished(run)
        passed = self.passed_milestones(run.instance, bpmn_id)
        self._undo_milestones(run, passed)
        entry = next((s for s in spec.inputs if isinstance(s, BoundaryEventSplit)), spec)
        undo_escalation = any(m.hito == "escalamiento" and m.fate == UNDONE for m in passed)
        self._follow_escalation(run, current, spec, undo_escalation)
        with clocked(self.engine.clock):
            branch.cancel()  # the open step (and its timers, its subprocess) end here
            grafted = here._add_child(entry, TaskState.FUTURE)
            Workflow.reset_from_task_id(workflow, grafted.id, data)
            grafted.data = deepcopy(data)
            run.case_changed = True  # re-arm the timers that read the case's deadlines
            run.advance()
        self._drop_work_of(run.instance, unfinished - _unfinished(run), user, reason)
        run.log(
            "moved_back",
            label=spec.bpmn_name,
            data={
                "motivo": reason,
                "desde": current.task_spec.bpmn_name,
                "hasta": spec.bpmn_name,
                "hitos": {m.hito: m.fate for m in passed},
            },
        )
        run.events[-1].bpmn_id = spec.bpmn_id
        run.save()
        return grafted

    def _follow_escalation(
        self, run: Run, current: Task, spec: Any, undo_escalation: bool = False
    ) -> None:
        """The case's escalation follows the step it goes back to: into the area's steps the
        area term counts again; back to the Asesor while escalated, or to a step before the
        escalation (even once the area answered), the escalation is undone (as the area's
        «devolución» does) and 5.2.10 sets a new one."""
        case = run.case
        if case is None:
            return
        expression = getattr(spec, "extensions", {}).get("properties", {}).get("candidateGroup")
        if not expression:
            return
        with clocked(self.engine.clock):
            group = self.session.get(
                Group, run.workflow.script_engine.evaluate(current, expression)
            )
        in_area = group is not None and group.kind == "area"
        if in_area and case.area_due is not None and case.status == "en_tramite":
            case.status = "escalado"
        elif not in_area and (case.status == "escalado" or undo_escalation):
            case.area = case.area_due = case.area_reminder_at = None
            case.status = "en_tramite"
        run.case_changed = True

    def _drop_work_of(
        self, instance: ProcessInstance, task_ids: set[str], user: User, reason: str
    ) -> None:
        """Jobs and incidents of the steps the move took away: never run, resolved."""
        now = self.engine.clock.now()
        for message in self.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.instance_id == instance.id,
                OutboxMessage.status.in_(("pending", "failed")),
            )
        ):
            if message.task_id in task_ids:
                message.status = "skipped"
                message.last_error = f"Paso retirado por un administrador: {reason}"
        for incident in self.session.scalars(
            select(Incident).where(
                Incident.instance_id == instance.id, Incident.resolved_at.is_(None)
            )
        ):
            if incident.task_id in task_ids:
                incident.resolved_at, incident.resolved_by_id = now, user.id
                incident.resolution = "moved"
        self.session.flush()
        instance.has_incident = bool(
            self.session.scalar(
                select(Incident.id)
                .where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
                .limit(1)
            )
        )

    # --- moving forward ---------------------------------------------------------------

    def stuck_services(self, instance: ProcessInstance) -> list[StuckService]:
        """Service tasks waiting on a job that is still pending or failed."""
        if instance.status != "running":
            return []
        rows = self.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.instance_id == instance.id,
                OutboxMessage.status.in_(("pending", "failed")),
                OutboxMessage.task_id.is_not(None),
            )
            .order_by(OutboxMessage.id)
        ).all()
        if not rows:
            return []
        run = self._read(instance)
        found = []
        for message in rows:
            task = run.task(message.task_id)
            if task is not None and task.state == TaskState.STARTED:
                name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
                found.append(
                    StuckService(
                        message.id,
                        name,
                        message.operation,
                        message.status,
                        service_results.example(message.operation),
                    )
                )
        return found

    def move_forward(
        self, instance_id: int, user: User, outbox_id: int, result: Any, reason: str
    ) -> None:
        _require_admin(user)
        stuck = {s.outbox_id: s for s in self.stuck_services(self._instance(instance_id))}
        if outbox_id not in stuck:
            raise EngineError("Ese servicio ya no está detenido; recargue la página.")
        message = self.session.get(OutboxMessage, outbox_id)
        result = service_results.check(message.operation, result)
        now = self.engine.clock.now()
        for incident in self.session.scalars(
            select(Incident).where(Incident.outbox_id == outbox_id, Incident.resolved_at.is_(None))
        ):
            incident.resolved_at, incident.resolved_by_id = now, user.id
            incident.resolution = "skipped"
        message.status = "pending"
        self.engine.complete_service(message.id, result)
        message.status = "skipped"
        instance = self._instance(instance_id)
        instance.has_incident = bool(
            self.session.scalar(
                select(Incident.id)
                .where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
                .limit(1)
            )
        )
        label = stuck[outbox_id].name
        self.session.add(
            self.engine._event(
                instance, "moved_forward", user.id, label, {"motivo": reason, "resultado": result}
            )
        )
        self.session.flush()

    def _instance(self, instance_id: int) -> ProcessInstance:
        instance = self.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise EngineError("La instancia no existe.")
        return instance

    # --- process data ---------------------------------------------------------------------

    def process_data(self, instance: ProcessInstance) -> dict[str, Any]:
        """The data where the case stands now: its open step's, else its open work's."""
        run = self._read(instance)
        ready = _ready_user_tasks(run)
        tasks = ready or list(run.workflow.get_tasks(state=OPEN_STATES))
        if tasks:
            return _json_safe(tasks[0].data)
        return _json_safe(run.workflow.data or run.workflow.last_task.data)

    def edit_data(self, instance_id: int, user: User, new: Any, reason: str) -> dict[str, Any]:
        """Replace the open data with ``new``; returns what changed (before/after)."""
        _require_admin(user)
        if not isinstance(new, dict):
            raise EngineError('Los datos deben ser un objeto JSON: {"campo": valor, …}.')
        run = self.engine._load_for_update(instance_id, user.id)
        old = self.process_data(run.instance)
        for key in new:
            if (
                not key.isidentifier()
                or keyword.iskeyword(key)
                or key.startswith(INTERNAL_PREFIXES)
            ):
                raise EngineError(f"«{key}» no sirve como nombre de dato (letras, números y _).")
        for key, value in new.items():
            before = old.get(key)
            if before is None or value is None:
                continue
            if _kind(before) != _kind(value):
                raise EngineError(
                    f"«{key}» era {_KIND_NAMES[_kind(before)]} y debe seguir siéndolo."
                )
        before = {k: old[k] for k in old if k not in new or new[k] != old[k]}
        after = {k: new[k] for k in new if k not in old or new[k] != old[k]}
        if not before and not after:
            raise EngineError("Los datos no cambiaron.")
        removed = [k for k in old if k not in new]
        for task in run.workflow.get_tasks(state=OPEN_STATES):
            for key in removed:
                task.data.pop(key, None)
            task.data.update(deepcopy(after))
        run.log("data_edited", data={"motivo": reason, "antes": before, "despues": after})
        run.save()
        return {"antes": before, "despues": after}


_KIND_NAMES = {
    "bool": "verdadero o falso",
    "number": "un número",
    "str": "un texto",
    "list": "una lista",
    "dict": "un objeto",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "dict"


__all__ = ["InstanceActions", "PassedMilestone", "Step", "StuckService"]
