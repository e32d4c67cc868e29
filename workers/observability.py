"""The workers' JSON logs, heartbeats and Prometheus exporter (docs/operations.md).

- Logs: Celery leaves logging to ``web.ops.logs`` (JSON, redacted); each job's lines carry
  the Celery job id and, for an outbox job, the outbox row and instance.
- Heartbeats: every finished job records its worker's mark in Redis (``workers.heartbeat``).
- Metrics: with ``METRICS_PORT`` set, the worker's main process serves ``/metrics`` on
  ``METRICS_ADDR`` (127.0.0.1 by default: scrape it from the same host or a private network;
  it has no token). The prefork pool's children count into ``PROMETHEUS_MULTIPROC_DIR``,
  which each worker empties when it starts: give every worker its own directory.
"""

import logging
import os
from typing import Any

import redis
from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from flask import Flask
from prometheus_client import start_http_server

from web.ops import logs, metrics
from workers import heartbeat

log = logging.getLogger(__name__)


def _configure_logging(loglevel: Any = None, **_: Any) -> None:
    logs.configure(loglevel or "INFO", fmt=os.environ.get("LOG_FORMAT", "json"))
    logging.getLogger("spiff").setLevel(logging.WARNING)


def _job_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    logs.clear()
    logs.bind(job=getattr(task, "name", None), job_id=task_id)


def _start_exporter(**_: Any) -> None:
    port = os.environ.get("METRICS_PORT")
    if not port:
        return
    metrics.clean_directory()
    addr = os.environ.get("METRICS_ADDR", "127.0.0.1")
    start_http_server(int(port), addr=addr, registry=metrics.process_registry())
    log.info("metrics served on port %s", port)


def _process_ended(pid: int | None = None, **_: Any) -> None:
    metrics.mark_process_dead(pid or os.getpid())


def connect(app: Flask) -> None:
    """Hook the signals once per process (the worker builds one app)."""

    def job_finished(task: Any = None, state: str | None = None, **_: Any) -> None:
        metrics.JOBS.labels(job=getattr(task, "name", "?"), state=state or "?").inc()
        ctx = app.extensions.get("workers")
        hostname = getattr(getattr(task, "request", None), "hostname", None) or "worker"
        try:
            heartbeat.record_worker(ctx.redis, hostname, ctx.clock.now())
        except redis.RedisError as exc:
            log.warning("heartbeat not recorded: %s", type(exc).__name__)
        logs.clear()

    for signal, receiver, uid in (
        (setup_logging, _configure_logging, "av-logging"),
        (task_prerun, _job_started, "av-job-started"),
        (task_postrun, job_finished, "av-job-finished"),
        (worker_init, _start_exporter, "av-metrics-exporter"),
        (worker_process_shutdown, _process_ended, "av-metrics-process-ended"),
    ):
        signal.connect(receiver, weak=False, dispatch_uid=uid)
