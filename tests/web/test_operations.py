"""Operations: /healthz, /readyz, /metrics (access and content), request ids, log redaction."""

import io
import json
import logging
import re
from datetime import timedelta

import pytest
import redis
from flask import Flask

from engine.clock import ManualClock
from tests.stack import _flush, redis_url  # noqa: F401
from tests.web.conftest import World, app_config, init_reviewed_db, log_in_staff
from web import create_app
from web.extensions import db
from web.ops import logs
from workers import heartbeat
from workers.settings import RedisLocation

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def ops_app(
    database_url: str,
    session_factory,
    clock: ManualClock,
    redis_url: str,  # noqa: F811
) -> Flask:
    _flush(redis_url)
    app = create_app(
        app_config(
            database_url,
            clock,
            REDIS_URL=redis_url,
            METRICS_TOKEN=TOKEN,
            METRICS_NETWORKS="10.1.0.0/16",
        )
    )
    init_reviewed_db(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(RedisLocation(url).for_redis_py)


def test_healthz_answers_without_login(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_needs_a_worker_heartbeat_and_a_recent_sweep(
    ops_app: Flask,
    clock: ManualClock,
    redis_url: str,  # noqa: F811
) -> None:
    client = ops_app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "ok", "worker": "failing", "beat": "failing"},
    }
    r = _redis(redis_url)
    heartbeat.record_worker(r, "celery@host-a", clock.now())
    heartbeat.record_sweep(r, clock.now())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    # Marks older than READY_HEARTBEAT_MAX_AGE (60 s) no longer count.
    clock.advance(timedelta(seconds=61))
    checks = client.get("/readyz").get_json()["checks"]
    assert (checks["worker"], checks["beat"]) == ("failing", "failing")


def test_the_dashboard_reads_the_worker_and_beat_marks_from_redis(
    ops_app: Flask,
    clock: ManualClock,
    redis_url: str,  # noqa: F811
) -> None:
    """The console's «Cola de trabajos» shows the heartbeats workers/heartbeat.py leaves."""
    World(ops_app).staff("admin", "administrador")
    client = ops_app.test_client()
    log_in_staff(client, "admin")
    page = client.get("/consola/tablero").get_data(as_text=True)
    assert "Último latido de un proceso de trabajo" in page and "ninguno registrado" in page
    r = _redis(redis_url)
    heartbeat.record_worker(r, "celery@host-a", clock.now() - timedelta(minutes=3))
    heartbeat.record_sweep(r, clock.now() - timedelta(minutes=1))
    page = client.get("/consola/tablero").get_data(as_text=True)
    section = page.split('id="trabajos"')[1]
    assert "Último latido de un proceso de trabajo" in section and "hace 3 min" in section
    assert "hace 1 min" in section and "marcas que dejan en el almacén compartido" in section


def test_readyz_reports_redis_down_without_details(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = create_app(app_config(database_url, clock, REDIS_URL="redis://127.0.0.1:1/0"))
    init_reviewed_db(app)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "failing", "worker": "failing", "beat": "failing"},
    }
    assert b"127.0.0.1" not in response.data and b"Error" not in response.data


def test_metrics_are_refused_without_the_token_or_an_allowed_network(ops_app: Flask) -> None:
    client = ops_app.test_client()
    assert client.get("/metrics").status_code == 403
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", headers=wrong).status_code == 403
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers=right).status_code == 200
    allowed = {"REMOTE_ADDR": "10.1.4.7"}
    assert client.get("/metrics", environ_base=allowed).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 403


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_completions_and_read_the_backlog(ops_app: Flask) -> None:
    from tests.web.conftest import World

    world = World(ops_app)
    world.staff("asesor", "asesor")
    client = ops_app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    completed = 'av_task_completions_total{step="ut_5_2_6"}'
    before = _value(client.get("/metrics", headers=headers).text, completed)
    radicado = world.file_case(world.citizen())
    text = client.get("/metrics", headers=headers).text
    assert _value(text, 'av_open_tasks{group="asesor"}') == 1
    assert _value(text, "av_outbox_backlog") == 0
    assert _value(text, "av_incidents_open") == 0
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    text = client.get("/metrics", headers=headers).text
    assert _value(text, completed) == before + 1
    assert 'av_http_request_duration_seconds_count{endpoint="ops.prometheus_metrics"' in text


def test_a_request_id_is_honoured_or_generated(client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    response = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_log_lines_are_json_with_the_request_and_redacted(app: Flask) -> None:
    stream = io.StringIO()
    handler = logs.configure("INFO", stream)
    try:
        client = app.test_client()
        client.get("/consola/instancias/7?q=1012345678", headers={"X-Request-ID": "req-1"})
        logging.getLogger("test").warning(
            "contact maria.gomez@example.com doc E987654 password=hunter2 about AV-2026-000123"
        )
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = next(line for line in lines if line["logger"] == "web.access")
    assert access["request_id"] == "req-1"
    assert access["instance_id"] == 7
    assert access["path"] == "/consola/instancias/7"
    assert lines[-1]["message"] == (
        "contact [oculto] doc [oculto] password=[oculto] about AV-2026-000123"
    )
