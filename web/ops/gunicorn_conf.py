"""gunicorn settings for the web app.

    gunicorn -c python:web.ops.gunicorn_conf -b 0.0.0.0:8000 -w 3 'web:create_app()'

Prometheus' multiprocess mode needs ``PROMETHEUS_MULTIPROC_DIR`` in every worker's
environment before it imports ``prometheus_client``; this module sets it (default
``$INSTANCE_PATH/prometheus``) in the master, which the workers inherit, empties it when the
master starts (files of an earlier run would be summed in for ever), and drops a dead
worker's live values when it exits. It imports nothing of the app: the master must not load
``prometheus_client`` before the variable is set. Bind, workers and threads still come from
the command line."""

import os
from pathlib import Path
from typing import Any

_instance = Path(os.environ.get("INSTANCE_PATH", Path.cwd() / "instance")).resolve()
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_instance / "prometheus"))


def on_starting(server: Any) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
