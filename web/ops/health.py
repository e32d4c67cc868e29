"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database, Redis, a worker
and beat alive). JSON, no login, and nothing an attacker could use: no versions, host names,
addresses or error text, only which check failed."""

import logging
from typing import Any

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from werkzeug.wrappers import Response

from engine.dashboard import Heartbeats
from web.extensions import db
from workers import heartbeat
from workers.settings import RedisLocation

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


def _redis_client() -> redis.Redis:
    workers = current_app.extensions.get("workers")
    if workers is not None:
        return workers.redis
    client = current_app.extensions.get("readiness_redis")
    if client is None:
        from workers import settings as worker_settings

        url = current_app.config.get("REDIS_URL")
        location = RedisLocation(url) if url else worker_settings.from_environment().redis
        client = redis.Redis.from_url(
            location.for_redis_py, socket_connect_timeout=1, socket_timeout=1
        )
        current_app.extensions["readiness_redis"] = client
    return client


def _database() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("readiness: the database did not answer", exc_info=True)
        db.session.rollback()
        return False


def _fresh(moment: float | None, now: float) -> bool:
    return moment is not None and now - moment <= current_app.config["READY_HEARTBEAT_MAX_AGE"]


def readiness() -> tuple[bool, dict[str, str]]:
    """Each check "ok" or "failing"; ready when all are ok."""
    checks: dict[str, Any] = {"database": _database()}
    now = current_app.extensions["clock"].now().timestamp()
    try:
        client = _redis_client()
        client.ping()
        checks["redis"] = True
        checks["worker"] = _fresh(heartbeat.last_worker(client), now)
        checks["beat"] = _fresh(heartbeat.last_sweep(client), now)
    except redis.RedisError:
        log.warning("readiness: Redis did not answer", exc_info=True)
        checks.update(redis=False, worker=False, beat=False)
    ready = all(checks.values())
    return ready, {name: "ok" if passed else "failing" for name, passed in checks.items()}


def heartbeats() -> Heartbeats | None:
    """The worker's and beat's marks, when this app talks to Redis (None when it does not, or
    Redis does not answer: the console then reads what the database knows)."""
    if "workers" not in current_app.extensions and not current_app.config.get("REDIS_URL"):
        return None
    try:
        client = _redis_client()
        return Heartbeats(heartbeat.last_worker(client), heartbeat.last_sweep(client))
    except redis.RedisError:
        log.warning("dashboard: Redis did not answer", exc_info=True)
        return None


@bp.get("/readyz")
def readyz() -> Response:
    ready, checks = readiness()
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
