"""Operations against live servers: the browser flow's metrics and logs, and gunicorn -w 2.

The first test runs the demo citizens and the staff through a real browser on a live app with
the real workers' stack (tests/stack.py); afterwards /metrics shows the task completion it
made, the worker's exporter the e-mails it sent, /readyz is ready, and neither the web app's
captured log output nor the worker's and beat's logs contain a demo citizen's document number,
e-mail or phone. The second serves the app with gunicorn -w 2 in multiprocess mode and checks
that every scrape, whichever worker answers it, counts the requests of both."""

import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from engine.clock import FileClock, ManualClock
from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import PASSWORD, World, app_config, init_reviewed_db, serving
from tests.web.test_browser import WORKER_ENV, Actor, _settle, browser  # noqa: F401
from tests.workers.harness import wait_for
from web import create_app
from web.demo import CITIZENS, ensure_citizen
from web.extensions import db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "token-de-prueba-metricas"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRETS = [
    value for citizen in CITIZENS for value in (citizen["document_number"], citizen["email"])
] + [citizen["phone"] for citizen in CITIZENS]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(url: str, token: str | None = TOKEN) -> str:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def ops_live(
    capfd: pytest.CaptureFixture[str],  # first: the app's log handler writes to its stderr
    stack: Stack,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Flask, str, int]]:
    """The live app (WORKERS on, a metrics token), the worker with its exporter, and beat."""
    for name in WORKER_ENV:
        monkeypatch.setenv(name, stack.env[name])
    worker_port = free_port()
    stack.env["METRICS_PORT"] = str(worker_port)
    app = create_app(
        app_config(stack.env["DATABASE_URL"], stack.clock, WORKERS=True, METRICS_TOKEN=TOKEN)
    )
    init_reviewed_db(app)
    stack.worker.start()
    stack.beat.start()
    with serving(app) as base:
        yield app, base, worker_port
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_demo_flow_is_measured_and_its_logs_hold_no_personal_data(
    ops_live,
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
    capfd: pytest.CaptureFixture[str],
) -> None:
    app, base, worker_port = ops_live
    world = World(app)
    world.staff("asesor", "asesor")
    world.staff("admin", "administrador")
    with app.app_context():
        for data in CITIZENS:
            ensure_citizen(data, app.config["CONSENT_POLICY_VERSION"])
        db.session.commit()
    completed = 'av_task_completions_total{step="ut_5_2_6"}'
    before = value(scrape(f"{base}/metrics"), completed)

    maria, luis = CITIZENS
    citizen = Actor(browser, base, "operaciones-ciudadana")
    citizen.citizen_login(maria["document_number"], PASSWORD)
    citizen.go("/radicar")
    page = citizen.page
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option("fondos_en_administracion")
    page.get_by_label("Asunto").fill("Giro del fondo no recibido")
    page.get_by_label("Descripción").fill("El giro de este semestre no llegó a la universidad.")
    page.get_by_role("button", name="Radicar").click()
    page.wait_for_url("**/mis-casos/AV-*")
    radicado = page.url.rsplit("/", 1)[1]
    other = Actor(browser, base, "operaciones-ciudadano")
    other.citizen_login(luis["document_number"], PASSWORD)
    _settle(app)

    admin = Actor(browser, base, "operaciones-admin")
    admin.staff_login("admin")
    admin.go(f"/consola/?q={luis['document_number']}")
    admin.go(f"/consola/?q={maria['document_number']}")
    admin.page.get_by_role("link", name=radicado).wait_for()

    asesor = Actor(browser, base, "operaciones-asesor")
    asesor.staff_login("asesor")
    asesor.open_task(radicado, "5.2.6 Revisar la solicitud registrada")
    asesor.page.get_by_role("button", name="Tomar la tarea").click()
    asesor.page.get_by_role("group", name="¿Es una felicitación?").get_by_label("No").check()
    asesor.submit_task()
    _settle(app)

    assert value(scrape(f"{base}/metrics"), completed) == before + 1
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(f"{base}/metrics", token=None)
    assert refused.value.code == 403
    worker_metrics = scrape(f"http://127.0.0.1:{worker_port}/metrics", token=None)
    assert value(worker_metrics, 'av_emails_total{outcome="sent"}') >= 1
    jobs = 'av_worker_jobs_total{job="workers.run_outbox",state="SUCCESS"}'
    assert value(worker_metrics, jobs) >= 1

    def ready() -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError:
            return None

    assert wait_for(ready, 30, "/readyz to be ready")["checks"] == {
        "database": "ok",
        "redis": "ok",
        "worker": "ok",
        "beat": "ok",
    }

    web_log = capfd.readouterr().err
    worker_log = stack.worker.log_path.read_text()
    beat_log = stack.beat.log_path.read_text()
    web_lines = [json.loads(line) for line in web_log.splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/consola/" for line in web_lines)
    assert all("request_id" in line for line in web_lines if line["logger"] == "web.access")
    assert "[oculto]" in web_log  # the test's SMTP server logged a recipient: redacted
    assert '"outbox_id"' in worker_log and '"job_id"' in worker_log
    for name, text in (("web", web_log), ("worker", worker_log), ("beat", beat_log)):
        leaked = [secret for secret in SECRETS if secret in text]
        assert leaked == [], f"the {name} log shows {leaked}"


class Browserless:
    """A staff member over plain HTTP with a session cookie (one connection per request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        conn.close()
        return text

    def log_in(self, username: str) -> str:
        token = CSRF.search(self.request("GET", "/cuenta/funcionarios")).group(1)
        form = {"username": username, "password": PASSWORD, "csrf_token": token}
        self.request("POST", "/cuenta/funcionarios", form)
        return CSRF.search(self.request("GET", "/bandeja/?vista=group")).group(1)


def test_gunicorn_with_two_workers_counts_both_in_every_scrape(
    app: Flask, tmp_path: Path, clock: ManualClock
) -> None:
    world = World(app)
    world.staff("asesor", "asesor")
    citizen = world.citizen()
    radicados = [world.file_case(citizen) for _ in range(2)]
    tasks = [world.open_task_id(r, "ut_5_2_6") for r in radicados]
    shared = FileClock(tmp_path / "clock")
    shared.set(clock.now())
    port = free_port()
    multiproc = tmp_path / "prometheus"
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "WORKERS": "false",
        "SECRET_KEY": "test-secret",
        "CLOCK_FILE": str(shared.path),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "METRICS_TOKEN": TOKEN,
        "LOGIN_FAILURE_LIMIT": "1000/minute",
    }
    multiproc.mkdir()
    (multiproc / "counter_999999.db").write_bytes(b"stale")  # emptied when gunicorn starts
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "-c", "python:web.ops.gunicorn_conf",
            "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "web:create_app()",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return scrape(f"{base}/healthz", token=None) is not None
            except OSError:
                return False

        wait_for(up, 60, "gunicorn to answer")
        staff = Browserless(port)
        token = staff.log_in("asesor")
        for task_id in tasks:
            staff.request(
                "POST",
                f"/bandeja/tareas/{task_id}",
                {"csrf_token": token, "es_felicitacion": "false"},
            )

        # Concurrent requests on their own connections: both sync workers answer some.
        def hit() -> None:
            for _ in range(10):
                scrape(f"{base}/healthz", token=None)

        threads = [threading.Thread(target=hit) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pids = {p.stem.rsplit("_", 1)[1] for p in multiproc.glob("*.db")}
        assert len(pids) >= 2 and "999999" not in pids
        healthz = 'av_http_request_duration_seconds_count{endpoint="ops.healthz",method="GET"}'
        completed = 'av_task_completions_total{step="ut_5_2_6"}'
        for _ in range(6):
            text = scrape(f"{base}/metrics")
            assert value(text, completed) == 2
            assert value(text, healthz) >= 60 + 1  # and the readiness wait's first answer
    finally:
        server.terminate()
        server.wait(timeout=30)
