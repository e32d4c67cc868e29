"""The heatmap of a process over a period, computed from the event log: the mean and p90 time
spent in each step and how many cases took each sequence flow.

The event log records a step when it is done: a user task completed, a service task's result,
a timer fired, a milestone. For each such event the step's *predecessor* is the latest earlier
step of the same instance from which the diagram leads to it through steps that the log does
not record (gateways, events, scripts); the time spent in the step is the time between the
two, and the case took the flows on that path. The first step's predecessor is the start
of the instance. A step counts in the period when it was done within it.
"""

import heapq
import math
import xml.etree.ElementTree as ET
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Event, ProcessInstance

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
STEP_EVENTS = ("task_completed", "service_completed", "timer", "hito")
START = "__start__"
LOOKBACK = 40
MAX_INSTANCES = 5000  # a busy period is read from its most recently active instances
# What an element without a name is called in the tables.
UNNAMED = {
    "exclusiveGateway": "compuerta",
    "inclusiveGateway": "compuerta inclusiva",
    "parallelGateway": "compuerta paralela",
    "eventBasedGateway": "compuerta de eventos",
    "startEvent": "inicio",
    "endEvent": "fin",
    "intermediateCatchEvent": "evento intermedio",
    "intermediateThrowEvent": "evento intermedio",
    "boundaryEvent": "evento de borde",
    "subProcess": "subproceso",
}  # earlier steps of an instance searched for the predecessor


@dataclass
class StepTimes:
    bpmn_id: str
    name: str
    hours: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.hours)

    @property
    def mean(self) -> float:
        return sum(self.hours) / len(self.hours)

    @property
    def p90(self) -> float:
        ordered = sorted(self.hours)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


@dataclass
class Heatmap:
    steps: list[StepTimes]
    flows: dict[str, int]  # flow id -> cases (instances) that took it in the period
    flow_names: dict[str, str]  # flow id -> "from → to" for the table
    instances: int
    sampled: bool = False  # more instances were active: the most recent MAX_INSTANCES shown


class Graph:
    """The sequence flows of one process (with its subprocesses), read from the BPMN XML."""

    def __init__(self, xml: str, process_id: str) -> None:
        root = ET.fromstring(xml.encode())
        process = next(p for p in root.iter(f"{BPMN}process") if p.get("id") == process_id)
        self.names: dict[str, str] = {}
        self.edges: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        for element in process.iter():
            if element.get("id") and element.tag != f"{BPMN}sequenceFlow":
                kind = element.tag.removeprefix(BPMN)
                unnamed = UNNAMED.get(kind, "paso sin nombre")
                self.names[element.get("id")] = element.get("name") or unnamed
        self.flows: dict[str, tuple[str, str]] = {}
        for flow in process.iter(f"{BPMN}sequenceFlow"):
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            self.flows[flow.get("id")] = (source, target)
            self.edges[source].append((target, flow.get("id")))
        for boundary in process.iter(f"{BPMN}boundaryEvent"):
            self.edges[boundary.get("attachedToRef")].append((boundary.get("id"), None))
        starts = [e.get("id") for e in process if e.tag == f"{BPMN}startEvent"]
        subprocess_starts = [
            e.get("id")
            for sub in process.iter(f"{BPMN}subProcess")
            for e in sub
            if e.tag == f"{BPMN}startEvent"
        ]
        for sub in process.iter(f"{BPMN}subProcess"):
            for start in (e.get("id") for e in sub if e.tag == f"{BPMN}startEvent"):
                self.edges[sub.get("id")].append((start, None))
        self.edges[START] = [(s, None) for s in starts + subprocess_starts]
        self._paths: dict[tuple[str, str, frozenset[str]], list[str] | None] = {}

    def path(self, source: str, target: str, recorded: frozenset[str]) -> list[str] | None:
        """The flows of the shortest path from ``source`` to ``target`` whose inner nodes are
        not recorded steps; None when there is none."""
        key = (source, target, recorded)
        if key not in self._paths:
            self._paths[key] = self._search(source, target, recorded)
        return self._paths[key]

    def _search(self, source: str, target: str, recorded: frozenset[str]) -> list[str] | None:
        queue = deque([(source, [])])
        seen = {source}
        while queue:
            node, flows = queue.popleft()
            for nxt, flow in self.edges.get(node, []):
                taken = [*flows, flow] if flow else flows
                if nxt == target:
                    return taken
                if nxt in seen or nxt in recorded:
                    continue
                seen.add(nxt)
                queue.append((nxt, taken))
        return None


def _predecessor(
    graph: Graph, done: list[tuple[str, datetime]], bpmn_id: str, recorded: frozenset[str]
) -> tuple[datetime | None, list[str] | None]:
    """When the step became ready (the latest earlier step leading to it) and the flows."""
    for previous, since in reversed(done[-LOOKBACK:]):
        path = graph.path(previous, bpmn_id, recorded)
        if path is not None:
            return since, path
    return None, None


def _recent_instances(
    session: Session, process_id: str, start: datetime, end: datetime, limit: int
) -> list[int]:
    """Up to ``limit`` instances of the process with a step done in the period, the most
    recently active first. Each kind of step event is read newest first from the index on
    (kind, at, instance_id), the streams merged, and the instances found checked against
    the process in batches until enough are found: a busy period is never grouped whole
    (at 100,000 cases, 90 days hold ~700,000 events)."""
    streams = [
        session.execute(
            select(Event.at, Event.instance_id)
            .where(Event.kind == kind, Event.at >= start, Event.at < end)
            .order_by(Event.at.desc())
            .execution_options(yield_per=2000)  # read as far as needed, not the period whole
        )
        for kind in STEP_EVENTS
    ]
    seen: set[int] = set()
    found: list[int] = []
    pending: list[int] = []

    def check() -> None:
        of_process = set(
            session.scalars(
                select(ProcessInstance.id).where(
                    ProcessInstance.id.in_(pending), ProcessInstance.process_id == process_id
                )
            )
        )
        found.extend(i for i in pending if i in of_process)
        pending.clear()

    for _, instance_id in heapq.merge(*streams, key=lambda row: row[0], reverse=True):
        if instance_id is None or instance_id in seen:
            continue
        seen.add(instance_id)
        pending.append(instance_id)
        if len(pending) >= max(limit - len(found), 500):
            check()
            if len(found) >= limit:
                break
    if pending:
        check()
    for stream in streams:
        stream.close()
    return found[:limit]


def compute(
    session: Session,
    process_id: str,
    xml: str,
    start: datetime,
    end: datetime,
    max_instances: int = MAX_INSTANCES,
) -> Heatmap:
    graph = Graph(xml, process_id)
    chosen = _recent_instances(session, process_id, start, end, max_instances + 1)
    sampled = len(chosen) > max_instances
    rows = session.execute(
        select(Event.instance_id, Event.bpmn_id, Event.at, ProcessInstance.started_at)
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(
            Event.instance_id.in_(chosen[:max_instances]),
            Event.kind.in_(STEP_EVENTS),
            Event.bpmn_id.is_not(None),
            Event.at < end,
        )
        .order_by(Event.instance_id, Event.at, Event.id)
    ).all()
    trails: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    started: dict[int, datetime] = {}
    for instance_id, bpmn_id, at, started_at in rows:
        trail = trails[instance_id]
        started[instance_id] = started_at
        if trail and trail[-1] == (bpmn_id, at):
            continue  # a user task's milestone is logged with its completion
        trail.append((bpmn_id, at))
    recorded = frozenset(bpmn for trail in trails.values() for bpmn, _ in trail)
    steps: dict[str, StepTimes] = {}
    flows: dict[str, set[int]] = defaultdict(set)
    for instance_id, trail in trails.items():
        done = [(START, started[instance_id])]
        for bpmn_id, at in trail:
            since, path = _predecessor(graph, done, bpmn_id, recorded)
            if start <= at < end and since is not None and path is not None:
                name = graph.names.get(bpmn_id, bpmn_id)
                times = steps.setdefault(bpmn_id, StepTimes(bpmn_id, name))
                times.hours.append(max(0.0, (at - since).total_seconds() / 3600))
                for flow in path:
                    flows[flow].add(instance_id)
            done.append((bpmn_id, at))
    flow_names = {
        flow: f"{graph.names.get(s, s)} → {graph.names.get(t, t)}"
        for flow, (s, t) in graph.flows.items()
        if flow in flows
    }
    return Heatmap(
        sorted(steps.values(), key=lambda s: -s.mean),
        {flow: len(cases) for flow, cases in flows.items()},
        flow_names,
        len(trails),
        sampled,
    )
