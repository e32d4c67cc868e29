"""Moving running instances to a newer deployed version (SpiffWorkflow's ``bpmn.util.diff``).

``check`` is the dry run: per instance, whether it can move and, if not, why, in Spanish.
``migrate`` moves one instance in the caller's transaction (the caller commits or rolls back
per instance): the new version's specs replace the old ones task by task, the tasks that wait
(ready user tasks, timers) are reset so they start waiting again under the new version (a timer
computes its due time again), the case's first-response deadline is taken from the new diagram,
and the move is in the event log with both versions.

What ``migrate_workflow`` does not do, and this module does instead (see ``docs/studio.md``):
- it resets a waiting branch with ``reset_branch(None)``, which needs the task's parent (it
  copies and then inherits its data); our pruning (``engine/pruning.py``) often leaves the open
  task as the root of its tree, without a parent, and ``reset_branch`` then fails
  (``AttributeError``) whatever data it is given: such roots keep their state and data here and
  only their predicted children are rebuilt from the new spec;
- it does not replace ``subprocess_specs`` of the top workflow (the specs later call activities
  and subprocesses start from), nor migrate the running subprocesses: done here with the diffs
  ``diff_workflow`` returns for them;
- it keeps the old spec on a task whose spec was removed (the instance could not be saved and
  loaded again), so such an instance is refused, as is one whose subprocess is gone;
- it knows nothing of forms, lanes, incidents or the inbox: a waiting user task whose new form
  lost a field the case holds, and an instance with an open incident, are refused here.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.task import Task, TaskState
from sqlalchemy import select

from engine import cases, definitions
from engine.cases import CASE_PROCESS, FIRST_RESPONSE_TIMER
from engine.errors import EngineError, NotAllowed, NotFound
from engine.models import Deployment, HumanTask, ProcessInstance
from engine.run import Run, clocked, failure, new_event, properties, timer_due

if TYPE_CHECKING:
    from engine.runtime import Engine

# Tasks that wait for someone or something: these start waiting again under the new version.
WAITING = TaskState.READY | TaskState.WAITING
MOVABLE_STATUSES = ("running", "suspended")  # listed; a suspended one must be resumed first


@dataclass
class Verdict:
    """The dry run's answer for one instance."""

    instance_id: int
    business_key: str
    process_id: str
    from_version: int
    to_version: int
    reasons: list[str] = field(default_factory=list)  # why it cannot move (empty: it can)
    notes: list[str] = field(default_factory=list)  # what moving changes for it
    # The case's first-response deadline now and under the new version, when it changes.
    first_response: tuple[datetime, datetime] | None = None

    @property
    def movable(self) -> bool:
        return not self.reasons


class MigrationRefused(EngineError):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(" ".join(verdict.reasons))
        self.verdict = verdict


@dataclass
class _Plan:
    run: Run
    target: definitions.Bundle
    top_diff: Any
    sub_diffs: dict[Any, Any]
    verdict: Verdict


def _name(task: Task) -> str:
    spec = task.task_spec
    return f"«{spec.bpmn_name or spec.bpmn_id or spec.name}»"


def _waiting_what(task: Task) -> str:
    if task.task_spec.manual:
        return "la tarea"
    if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
        return "el temporizador"
    return "el paso"


def _plan(engine: "Engine", instance: ProcessInstance, target_id: int) -> _Plan:
    run = Run.load(engine, instance, None)
    target = definitions.bundle_for(engine.session, target_id)
    verdict = Verdict(
        instance.id,
        instance.business_key,
        instance.process_id,
        run.bundle.version,
        target.version,
    )
    plan = _Plan(run, target, None, {}, verdict)
    reasons = verdict.reasons
    if instance.status not in MOVABLE_STATUSES:
        reasons.append("La instancia ya terminó o fue cancelada.")
        return plan
    if instance.status == "suspended":
        reasons.append("Está suspendida: reanúdela antes de moverla (moverla la haría avanzar).")
        return plan
    if target.version <= run.bundle.version:
        reasons.append(f"Ya está en la versión {run.bundle.version}.")
        return plan
    if instance.process_id not in target.specs:
        reasons.append(f"La versión {target.version} no tiene este proceso.")
        return plan
    if instance.has_incident or run.workflow.get_tasks(state=TaskState.ERROR):
        reasons.append("Tiene un incidente abierto: resuélvalo antes de moverla.")
        return plan
    registry = target.serializer.registry
    plan.top_diff, plan.sub_diffs = diff_workflow(
        registry,
        run.workflow,
        target.specs[instance.process_id],
        target.subprocess_specs[instance.process_id],
    )
    for sub_id, diff in plan.sub_diffs.items():
        if diff is None:
            owner = run.workflow.get_task_from_id(sub_id)
            reasons.append(
                f"Está dentro de {_name(owner)}, que no existe en la versión {target.version}."
            )
    for diff in [plan.top_diff, *(d for d in plan.sub_diffs.values() if d is not None)]:
        for task in diff.removed:
            if task.has_state(WAITING) or task.state == TaskState.STARTED:
                reasons.append(
                    f"Espera en {_waiting_what(task)} {_name(task)}, que no tiene "
                    f"equivalente en la versión {target.version}."
                )
            elif task.has_state(TaskState.FINISHED_MASK):
                reasons.append(
                    f"Conserva el paso terminado {_name(task)}, que no existe en la versión "
                    f"{target.version}."
                )
            else:
                reasons.append(
                    f"Tiene previsto el paso {_name(task)}, que no existe en la versión "
                    f"{target.version}."
                )
        for task in diff.alignment:
            if task.has_state(WAITING) and diff.alignment[task] is not None:
                _check_wait(plan, task, diff.alignment[task], task in diff.changed)
    _check_first_response(plan)
    return plan


def _check_first_response(plan: _Plan) -> None:
    """The case's first-response deadline under the new version's diagram."""
    run, case = plan.run, plan.run.case
    if case is None or run.instance.process_id != CASE_PROCESS:
        return
    try:
        due = timer_due(
            run.engine, plan.target, CASE_PROCESS, FIRST_RESPONSE_TIMER, case,
            dict(run.workflow.task_tree.data),
        )  # fmt: skip
    except EngineError as error:
        plan.verdict.reasons.append(str(error))
        return
    if due != case.first_response_due:
        plan.verdict.first_response = (case.first_response_due, due)


def _check_wait(plan: _Plan, task: Task, new_spec: Any, changed: bool) -> None:
    """A waiting task: its form in the new version must keep what the case holds."""
    verdict, version = plan.verdict, plan.target.version
    if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
        if changed:
            verdict.notes.append(f"El temporizador {_name(task)} cambia y se vuelve a calcular.")
        return
    if not task.task_spec.manual:
        return
    old_form = properties(task).get("formJsonSchemaFilename")
    new_form = (
        getattr(new_spec, "extensions", {}).get("properties", {}).get("formJsonSchemaFilename")
    )
    if not old_form or not new_form:
        return
    old_fields = plan.run.bundle.forms.get(old_form, {}).get("properties", {})
    new_fields = plan.target.forms.get(new_form, {}).get("properties", {})
    held = [name for name in old_fields if name not in new_fields and name in task.data]
    for name in held:
        title = old_fields[name].get("title", name)
        verdict.reasons.append(
            f"La tarea {_name(task)} tiene diligenciado el campo «{title}», que el formulario "
            f"de la versión {version} ya no tiene."
        )
    if old_form != new_form:
        title = plan.target.forms.get(new_form, {}).get("title") or new_form
        verdict.notes.append(f"La tarea {_name(task)} pasa al formulario «{title}».")


def _target_id(engine: "Engine", version: int | None) -> int:
    if version is None:
        return definitions.latest_id(engine.session)
    deployment_id = engine.session.scalar(
        select(Deployment.id).where(Deployment.version == version)
    )
    if deployment_id is None:
        raise NotFound(f"No existe la versión {version}.")
    return deployment_id


def check(engine: "Engine", instance_id: int, to_version: int | None = None) -> Verdict:
    """Dry run for one instance: can it move to ``to_version`` (the newest by default)?"""
    instance = engine.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("La instancia no existe.")
    return _plan(engine, instance, _target_id(engine, to_version)).verdict


MAX_LISTED = 300  # a dry run loads each instance: one page of them at a time


def candidates(
    engine: "Engine",
    to_version: int | None = None,
    process_id: str | None = None,
    limit: int = MAX_LISTED,
) -> list[ProcessInstance]:
    """Running instances on an older version than ``to_version``, oldest first (at most
    ``limit``: move them, and the next ones come up)."""
    target = engine.session.get(Deployment, _target_id(engine, to_version))
    query = (
        select(ProcessInstance)
        .join(Deployment, Deployment.id == ProcessInstance.deployment_id)
        .where(ProcessInstance.status.in_(MOVABLE_STATUSES), Deployment.version < target.version)
        .order_by(ProcessInstance.id)
    )
    if process_id:
        query = query.where(ProcessInstance.process_id == process_id)
    return list(engine.session.scalars(query.limit(limit)))


def _reset_waiting(workflow: Any) -> None:
    """What ``migrate_workflow`` would do with its default mask, for roots without a parent too.

    ``reset_branch`` cannot reset a task without a parent (it inherits the parent's data): such
    a root keeps its state and data, and only what follows it is predicted again from the new
    spec (a timer there computes its due time again when the case's timers are re-armed)."""
    for task in list(workflow.get_tasks(state=WAITING, skip_subprocesses=True)):
        if task.id not in workflow.tasks:
            continue
        if task.parent is not None:
            task.reset_branch(None)
        else:
            task._drop_children(force=True)
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)


def _move(plan: _Plan, workflow: Any, new_spec: Any, new_dependencies: dict) -> None:
    """The library changes the specs; the reset of waiting tasks is ours (roots, see above).
    ERROR is a mask no task of a movable instance is in: ``migrate_workflow`` resets nothing.
    On the engine's clock: a timer reset here decides at once whether it is already due."""
    with clocked(plan.run.engine.clock):
        migrate_workflow(plan.top_diff, workflow, new_spec, reset_mask=TaskState.ERROR)
        workflow.subprocess_specs = new_dependencies
        for sub_id, diff in plan.sub_diffs.items():
            sub = workflow.subprocesses[sub_id]
            spec = new_dependencies[sub.spec.name]
            migrate_workflow(diff, sub, spec, reset_mask=TaskState.ERROR)
        _reset_waiting(workflow)
        for sub in list(workflow.subprocesses.values()):
            _reset_waiting(sub)


def migrate(
    engine: "Engine", instance_id: int, actor_id: int | None, to_version: int | None = None
) -> Verdict:
    """Move one instance to ``to_version`` (the newest by default), in the caller's transaction.

    Raises ``MigrationRefused`` (with the dry run's reasons) and changes nothing when it
    cannot move."""
    instance = engine.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("La instancia no existe.")
    plan = _plan(engine, instance, _target_id(engine, to_version))
    if not plan.verdict.movable:
        raise MigrationRefused(plan.verdict)
    run, target, workflow = plan.run, plan.target, plan.run.workflow
    new_spec = target.specs[instance.process_id]
    new_dependencies = target.subprocess_specs[instance.process_id]
    try:
        _move(plan, workflow, new_spec, new_dependencies)
    except EngineError as exc:
        raise EngineError(
            f"En la versión {target.version} el caso no pudo continuar: "
            f"{failure(exc.__cause__ or exc)}"
        ) from exc
    before = run.bundle.version
    instance.deployment_id = target.deployment_id
    run.bundle = target
    if run.case is not None and instance.process_id == CASE_PROCESS:
        filed = dict(workflow.task_tree.data)
        run.case.first_response_due = timer_due(
            engine, target, CASE_PROCESS, FIRST_RESPONSE_TIMER, run.case, filed
        )
        cases.schedule_reminders(run.case, engine.calendar)
        run.case_changed = True  # re-read ``caso`` and re-arm the timers
    run.actor_id = actor_id
    run.log(
        "migrated",
        label=f"v{before} → v{target.version}",
        data={"version_anterior": before, "version_nueva": target.version},
    )
    with clocked(engine.clock):
        run.advance()
    if instance.has_incident:
        failed = next(e for e in run.events if e.kind == "incident")
        raise EngineError(
            f"En la versión {target.version} el caso no pudo continuar: {failed.data['error']}"
        )
    run.save()
    _refresh_inbox(run)
    _check_loads(target, instance)
    return plan.verdict


def _refresh_inbox(run: Run) -> None:
    """The open inbox rows say what the new version calls their task (id, name, form, group)."""
    ready = {str(t.id): t for t in run.workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = run.engine.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == run.instance.id, HumanTask.state == "open")
    ).all()
    for row in rows:
        task = ready.get(row.id)
        if task is None:
            continue
        spec = task.task_spec
        row.bpmn_id, row.name, row.lane = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.lane
        row.form = properties(task)["formJsonSchemaFilename"]
        group = run.candidate_group(task)
        if group != row.candidate_group:
            row.candidate_group = group
            row.assignee_id = None  # whoever held it may not be in the new group
    run.engine.session.flush()


def _check_loads(target: definitions.Bundle, instance: ProcessInstance) -> None:
    """The saved state must load under the new version, or the move is undone."""
    try:
        target.load(instance.state)
    except Exception as exc:  # any failure here means the move cannot be kept
        raise EngineError(
            f"La instancia no se pudo mover: su estado no carga en la versión {target.version}."
        ) from exc


@dataclass
class Outcome:
    instance_id: int
    business_key: str
    moved: bool
    message: str


def migrate_each(
    engine: "Engine",
    instance_ids: list[int],
    actor_id: int | None,
    to_version: int | None,
    commit: Any,
    rollback: Any,
) -> list[Outcome]:
    """Move several instances, each in its own transaction; a failure leaves that one untouched
    and is reported, and the others go on."""
    outcomes = []
    for instance_id in instance_ids:
        instance = engine.session.get(ProcessInstance, instance_id)
        key = instance.business_key if instance is not None else str(instance_id)
        try:
            verdict = migrate(engine, instance_id, actor_id, to_version)
            commit()
            outcomes.append(
                Outcome(
                    instance_id,
                    key,
                    True,
                    f"Pasó de la versión {verdict.from_version} a la {verdict.to_version}.",
                )
            )
        except (EngineError, NotAllowed) as error:
            rollback()
            outcomes.append(Outcome(instance_id, key, False, str(error)))
            _log_refusal(engine, instance_id, actor_id, to_version, str(error))
            commit()
    return outcomes


def _log_refusal(
    engine: "Engine", instance_id: int, actor_id: int | None, to_version: int | None, error: str
) -> None:
    """A move that did not happen is in the event log too, with who tried and why."""
    instance = engine.session.get(ProcessInstance, instance_id)
    if instance is None:
        return
    target = engine.session.get(Deployment, _target_id(engine, to_version))
    engine.session.add(
        new_event(
            instance,
            engine.clock.now(),
            "migration_refused",
            actor_id,
            label=f"v{target.version}",
            data={"version_nueva": target.version, "motivo": error},
        )
    )
