"""Prometheus metrics (``prometheus_client``) for the web app and the workers.

Counters and histograms live in each process. Under several gunicorn workers (or Celery's
prefork pool) they are summed across processes through ``prometheus_client``'s multiprocess
mode: every process writes its values to files in ``PROMETHEUS_MULTIPROC_DIR`` (set in the
environment before the process starts), and a scrape reads them all. Without that variable a
process exposes only its own values (one Flask server, ``--pool=solo``).

The state of the work (open tasks per group, outbox backlog and its oldest row, timer lag,
open incidents) is read from the database at scrape time, so every scrape of any process
gives the same figures. Only the web app's ``/metrics`` includes them.
"""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from engine.models import Event, HumanTask, Incident, OutboxMessage, ProcessInstance
from engine.run import WRITTEN_EVENTS

REQUEST_SECONDS = Histogram(
    "av_http_request_duration_seconds",
    "Time to answer an HTTP request, by Flask endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASK_COMPLETIONS = Counter("av_task_completions", "User tasks completed, by BPMN step.", ["step"])
JOBS = Counter(
    "av_worker_jobs", "Celery jobs a worker finished, by job and final state.", ["job", "state"]
)
EMAILS = Counter(
    "av_emails", "E-mails handed to the SMTP server (sent) or refused (failed).", ["outcome"]
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _ThisProcess:
    """The default registry's metrics (one process, no multiprocess directory)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def process_registry() -> CollectorRegistry:
    """The counters and histograms of every process sharing the directory, or of this one."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    return registry


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class WorkCollector:
    """Gauges read from the database at scrape time."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def collect(self) -> Iterator[Metric]:
        s, now = self.session, self.now
        open_tasks = GaugeMetricFamily(
            "av_open_tasks", "Open user tasks, by candidate group.", labels=["group"]
        )
        rows = s.execute(
            select(HumanTask.candidate_group, func.count())
            .where(HumanTask.state == "open")
            .group_by(HumanTask.candidate_group)
        )
        for group, count in rows:
            open_tasks.add_metric([group], count)
        yield open_tasks

        count, oldest = s.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == "pending"
            )
        ).one()
        yield GaugeMetricFamily(
            "av_outbox_backlog", "Outbox rows (jobs and e-mails) not yet done.", value=count
        )
        oldest = _aware(oldest)
        yield GaugeMetricFamily(
            "av_outbox_oldest_age_seconds",
            "Age of the oldest pending outbox row (0 when none).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )
        due = _aware(
            s.scalar(
                select(func.min(ProcessInstance.next_timer_at)).where(
                    ProcessInstance.status == "running"
                )
            )
        )
        yield GaugeMetricFamily(
            "av_timer_lag_seconds",
            "How long the earliest timer is overdue (0 when none is).",
            value=max(0.0, (now - due).total_seconds()) if due else 0.0,
        )
        yield GaugeMetricFamily(
            "av_incidents_open",
            "Incidents not yet retried or skipped.",
            value=s.scalar(
                select(func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))
            ),
        )


def render(session: Session, now: datetime) -> bytes:
    registry = process_registry()
    registry.register(WorkCollector(session, now))
    return generate_latest(registry)


# --- task completions, counted when the transaction that recorded them commits -----------

_PENDING = "av_metrics_completed_steps"


def _after_flush(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Event) and obj.kind == "task_completed":
            session.info.setdefault(_PENDING, []).append(obj.bpmn_id or "")


def _after_commit(session: Session) -> None:
    written = session.info.pop(WRITTEN_EVENTS, ())  # the engine's Core inserts
    steps = [*session.info.pop(_PENDING, ())]
    steps += [bpmn_id or "" for kind, bpmn_id in written if kind == "task_completed"]
    for step in steps:
        TASK_COMPLETIONS.labels(step=step).inc()


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(WRITTEN_EVENTS, None)


def count_task_completions() -> None:
    """Count every committed ``task_completed`` event, in whichever session wrote it."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def mark_process_dead(pid: int) -> None:
    """A finished process's live gauges are dropped (its counters stay summed)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def clean_directory() -> None:
    """Empty the multiprocess directory (create it if missing) before the first process starts:
    files left by an earlier run would otherwise be summed in for ever."""
    path = multiprocess_dir()
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))
