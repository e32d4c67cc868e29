"""Celery bound to the Flask app (Flask's "Background Tasks with Celery" pattern).

``celery_init_app(app)`` gives every task an app context and reads its settings from the
environment. The web app calls it in ``create_app``; the worker and beat processes start
with ``celery -A workers.celery_app worker`` / ``beat``, which builds the Flask app once.
"""

import logging
from collections.abc import Callable
from typing import Any

import redis
from celery import Celery, Task
from celery.signals import celeryd_init
from flask import Flask

from workers import observability
from workers import settings as worker_settings
from workers.context import WorkerContext
from workers.dispatch import Dispatcher

QUEUE = "atencion"


def celery_config(settings: worker_settings.WorkerSettings) -> dict[str, Any]:
    interval = settings.beat_interval
    return {
        "broker_url": settings.redis.for_kombu,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": settings.restore_interval,
            "unacked_restore_throttle": 1,
        },
        # A job is acknowledged only when it finished; a worker that dies mid-job (even
        # kill -9) leaves it unacknowledged and Redis hands it out again.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "task_default_queue": QUEUE,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "beat_schedule": {
            # Ticks that wait longer than their interval are dropped: the next one does it.
            "fire-timers": {
                "task": "workers.fire_timers",
                "schedule": interval,
                "options": {"expires": interval * 2},
            },
            "sweep-outbox": {
                "task": "workers.sweep_outbox",
                "schedule": interval,
                "options": {"expires": interval * 2},
            },
            "sweep-bulk": {
                "task": "workers.sweep_bulk",
                "schedule": interval,
                "options": {"expires": interval * 2},
            },
        },
    }


def celery_init_app(app: Flask) -> Celery:
    settings = worker_settings.from_environment()
    # SpiffWorkflow logs every task state change at INFO; the worker log keeps to jobs.
    logging.getLogger("spiff").setLevel(logging.WARNING)

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_config(settings))
    celery.set_default()

    from workers import bulk, tasks  # noqa: F401  (tasks register on import)

    client = redis.Redis.from_url(settings.redis.for_redis_py, health_check_interval=30)
    dispatcher = Dispatcher(
        client,
        enqueue=lambda outbox_id: tasks.run_outbox.apply_async((outbox_id,)),
        redispatch_after=settings.redispatch_after,
    )
    if app.extensions.get("outbox_dispatch") is None:
        app.extensions["outbox_dispatch"] = dispatcher.dispatch
    app.extensions["workers"] = WorkerContext(app, settings, dispatcher)
    celeryd_init.connect(_time_limits(settings), weak=False, dispatch_uid="av-time-limits")
    observability.connect(app)
    app.extensions["celery"] = celery
    return celery


def time_limits(settings: worker_settings.WorkerSettings) -> dict[str, int]:
    """No job runs unbounded: the soft limit raises in the job (it retries, then becomes an
    incident); the hard one kills the process running it. Enforced by the prefork pool (the
    default), not by --pool=solo."""
    return {
        "task_soft_time_limit": settings.job_soft_time_limit,
        "task_time_limit": settings.job_time_limit,
    }


def _time_limits(settings: worker_settings.WorkerSettings) -> Callable[..., None]:
    # Set in the worker only: a producer would stamp its own limits on every message it
    # sends, and those would win over the worker's.
    def apply(conf: Any, **_: Any) -> None:
        conf.update(time_limits(settings))

    return apply


def _celery_for_worker() -> Celery:
    from web import create_app

    flask_app = create_app()
    celery = flask_app.extensions.get("celery")
    return celery if celery is not None else celery_init_app(flask_app)


def __getattr__(name: str) -> Celery:
    # ``celery -A workers.celery_app`` looks up ``celery`` here; building the Flask app only
    # then keeps ``from workers.celery_app import celery_init_app`` free of side effects.
    if name == "celery":
        globals()["celery"] = app = _celery_for_worker()
        return app
    raise AttributeError(name)
