"""Deployed definitions: a bundle of BPMN + DMN + forms, stored once per content hash and
parsed once per version (cached in the process)."""

import ast
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import workflow_cache
from engine.errors import DefinitionInvalid, NotFound
from engine.forms import with_limits
from engine.models import Deployment
from engine.sandbox import RestrictedEnvironment
from engine.serialization import dump as dump_state
from engine.serialization import load as load_state
from engine.serialization import make_serializer
from engine.specs import AppParser

BUNDLE_GLOBS = ("bpmn/*.bpmn", "bpmn/*.dmn", "forms/*.json")


@dataclass
class Bundle:
    """One deployed version, parsed: what the runtime needs to run its instances."""

    deployment_id: int
    version: int
    specs: dict[str, Any]
    subprocess_specs: dict[str, dict[str, Any]]
    forms: dict[str, dict[str, Any]]
    decisions: dict[str, Any]
    start_cycles: dict[str, str]  # process id -> timeCycle expression of its timer start event
    serializer: BpmnWorkflowSerializer = field(repr=False)

    def load(self, state: bytes) -> BpmnWorkflow:
        """An instance's workflow from its stored state."""
        return load_state(self.serializer, state)

    def dump(self, workflow: BpmnWorkflow) -> bytes:
        return dump_state(self.serializer, workflow)

    def decide(self, decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Evaluate a DMN decision table outside a process (e.g. the legal terms at filing)."""
        engine = PythonScriptEngine(environment=RestrictedEnvironment({}))
        task = SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=engine))
        return DMNEngine(self.decisions[decision_id].decisionTables[0]).result(task)

    def _user_task_specs(self) -> list[tuple[Any, dict[str, Any]]]:
        """Every user task spec with a form, subprocesses included, with its properties."""
        specs = [*self.specs.values()]
        for process_specs in self.subprocess_specs.values():
            specs.extend(process_specs.values())
        found = []
        for spec in specs:
            for task_spec in spec.task_specs.values():
                props = getattr(task_spec, "extensions", {}).get("properties", {})
                if task_spec.manual and "formJsonSchemaFilename" in props:
                    found.append((task_spec, props))
        return found

    @cached_property
    def user_tasks(self) -> list[tuple[str, str]]:
        """(bpmn id, name) of every user task, subprocesses included, sorted by name."""
        names = {
            task_spec.bpmn_id: task_spec.bpmn_name or task_spec.bpmn_id
            for task_spec, _props in self._user_task_specs()
        }
        return sorted(names.items(), key=lambda item: item[1])

    @cached_property
    def user_task_groups(self) -> dict[str, str | None]:
        """The candidate group of every user task, by bpmn id: the group's code when the
        diagram names it literally (``'asesor'``), None when an expression computes it
        (``area``: the escalation matrix's choice)."""
        groups: dict[str, str | None] = {}
        for task_spec, props in self._user_task_specs():
            try:
                literal = ast.literal_eval(props.get("candidateGroup", ""))
            except (ValueError, SyntaxError):
                literal = None
            groups[task_spec.bpmn_id] = literal if isinstance(literal, str) else None
        return groups

    @cached_property
    def form_files(self) -> dict[str, str]:
        """The form file of every user task, by bpmn id: what a step's record is read with."""
        files = {}
        specs = [*self.specs.values()]
        for process_specs in self.subprocess_specs.values():
            specs.extend(process_specs.values())
        for spec in specs:
            for task_spec in spec.task_specs.values():
                props = getattr(task_spec, "extensions", {}).get("properties", {})
                if "formJsonSchemaFilename" in props:
                    files[task_spec.bpmn_id] = props["formJsonSchemaFilename"]
        return files


def _take_start_cycle(spec: Any) -> str | None:
    """Turn a timer-cycle start event into a plain start and return its cycle.

    SpiffWorkflow would run every cycle as a new branch of one instance (and replay the
    missed ones); we want one instance per period, started by the scheduler
    (``Engine.start_due_schedules``), which reads the cycle kept here."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, StartEvent) and isinstance(definition, CycleTimerEventDefinition):
            task_spec.event_definition = NoneEventDefinition()
            return definition.expression
    return None


def read_directory(root: Path) -> dict[str, str]:
    files = {}
    for pattern in BUNDLE_GLOBS:
        for path in sorted(root.glob(pattern)):
            files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files


def content_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def parse(files: dict[str, str], deployment_id: int = 0, version: int = 0) -> Bundle:
    """Parse a bundle; raises DefinitionInvalid with every problem found."""
    from engine.validation import validate_files  # validation parses too; avoid a cycle

    problems = [p for p in validate_files(files) if p.severity == "error"]
    if problems:
        raise DefinitionInvalid(problems)
    parser = AppParser()
    for name, text in files.items():
        if name.endswith(".bpmn"):
            parser.add_bpmn_str(text.encode(), filename=name)
        elif name.endswith(".dmn"):
            parser.add_dmn_str(text.encode(), filename=name)
    specs, subprocess_specs, start_cycles = {}, {}, {}
    for process_id in parser.get_process_ids():
        specs[process_id] = parser.get_spec(process_id)
        subprocess_specs[process_id] = parser.get_subprocess_specs(process_id)
        cycle = _take_start_cycle(specs[process_id])
        if cycle is not None:
            start_cycles[process_id] = cycle
    decisions = {}
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        dmn_parser.parse()
        decisions[decision_id] = dmn_parser.decision
    forms = {
        Path(name).name: with_limits(json.loads(text))
        for name, text in files.items()
        if name.endswith(".json")
    }
    bundle = Bundle(
        deployment_id, version, specs, subprocess_specs, forms, decisions, start_cycles, None
    )  # type: ignore[arg-type]
    bundle.serializer = make_serializer(bundle)
    return bundle


_cache: dict[tuple[str, int], Bundle] = {}


def bundle_for(session: Session, deployment_id: int) -> Bundle:
    """The parsed bundle of a deployment, parsed at most once per process.

    Deployments are immutable and their ids never reused, so the id is the cache key."""
    key = (session.get_bind().url.render_as_string(), deployment_id)
    bundle = _cache.get(key)
    if bundle is None:
        deployment = session.get(Deployment, deployment_id)
        if deployment is None:
            raise NotFound(f"No existe la versión desplegada {deployment_id}.")
        bundle = _cache[key] = parse(deployment.files, deployment.id, deployment.version)
    return bundle


def forget_parsed() -> None:
    """Drop the parsed bundles and the workflows parsed with them (when a database is emptied,
    as the tests do)."""
    _cache.clear()
    workflow_cache.forget()


def latest_id(session: Session) -> int:
    """The id of the newest deployed version (without loading its files)."""
    deployment_id = session.scalar(
        select(Deployment.id).order_by(Deployment.version.desc()).limit(1)
    )
    if deployment_id is None:
        raise NotFound("No hay ninguna definición desplegada.")
    return deployment_id


def latest_bundle(session: Session) -> Bundle:
    return bundle_for(session, latest_id(session))


def deploy(
    session: Session, files: dict[str, str], now: datetime, user_id: int | None = None
) -> Deployment:
    """Deploy a bundle as a new version, or return the version already holding that content."""
    digest = content_hash(files)
    existing = session.scalars(select(Deployment).where(Deployment.content_hash == digest)).first()
    if existing is not None:
        return existing
    parse(files)  # raises DefinitionInvalid before anything is written
    version = (session.scalar(select(func.max(Deployment.version))) or 0) + 1
    deployment = Deployment(
        version=version, content_hash=digest, files=files, deployed_at=now, deployed_by_id=user_id
    )
    session.add(deployment)
    session.flush()
    return deployment
