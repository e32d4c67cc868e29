"""HTTP benchmark: the staff inbox and task completion under 20 concurrent clients.

    python bench/http.py --database-url postgresql+psycopg://postgres@127.0.0.1/av_bench

Fills an empty database with --open open cases (each waiting at 5.2.6 in the Asesor group)
and --closed answered cases, starts gunicorn on the app, logs in --clients staff users and
has each of them load the inbox and complete its share of tasks through the real forms: first
as fast as the server answers (saturation), then in an open loop at steady rates of --loads
times that saturation (latency counted from each round's scheduled start). Prints p50/p95 of
the inbox page and of task completion, completions per second and the CPU of the client,
gunicorn and PostgreSQL, and at the end each target (issue 13) next to its measured value:
≥ 300 completions/s at saturation; p95 ≤ 50 ms for the inbox and for completion at 75 % of it.

Open cases are clones of one case filed through the real engine: its serialized instance is
copied with fresh task ids and radicado, so every row in cases, process_instances and
human_tasks is consistent and completing a clone runs the real engine.
"""

import sys
from pathlib import Path

# This file is named like the standard library's `http` package: run as a script, its own
# folder comes first on sys.path and would shadow it. Put the project root there instead.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import zlib  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from sqlalchemy import func, select, text  # noqa: E402

from engine.models import Case, HumanTask, OutboxMessage, ProcessInstance  # noqa: E402
from web import create_app  # noqa: E402
from web.demo import DEMO_PASSWORD, ensure_citizen, ensure_staff, init_db  # noqa: E402
from web.extensions import db  # noqa: E402

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
BATCH = 2000
# Case dates moved together when a clone is filed earlier than its template.
SHIFTED = (
    "filed_at",
    "first_response_due",
    "legal_due",
    "legal_reminder_at",
    "area_due",
    "area_reminder_at",
)


def populate(app: Any, open_cases: int, closed_cases: int, clients: int) -> None:
    with app.app_context():
        init_db(app)
        for n in range(clients):
            ensure_staff(f"bench.asesor{n}", f"Asesor de carga {n}", ["asesor"])
        citizen = ensure_citizen(
            {
                "document_type": "CC",
                "document_number": "900000001",
                "full_name": "Ciudadano de carga",
                "email": "carga@example.com",
                "phone": "3000000000",
                "address": "Calle 1",
            },
            app.config["CONSENT_POLICY_VERSION"],
        )
        db.session.commit()
        if db.session.scalar(select(func.count()).select_from(Case)):
            print("la base ya tiene casos: se usan como están")
            return
        from engine.runtime import Engine

        eng = Engine(db.session, app.extensions["clock"])
        now = app.extensions["clock"].now().isoformat()
        template_case = eng.file_case(
            citizen,
            {
                "tipo": "reclamo",
                "servicio": "fondos_en_administracion",
                "asunto": "Caso de carga",
                "descripcion": "Caso creado para medir el rendimiento de la bandeja.",
            },
            [{"actividad": "5.2.3", "en": now}],
        )
        settle_outbox(eng)
        db.session.commit()
        started = time.perf_counter()
        _clone_open(template_case, open_cases - 1)
        _insert_closed(citizen.id, template_case, closed_cases)
        _reset_sequences()
        print(
            f"datos: {open_cases} abiertos y {closed_cases} cerrados en "
            f"{time.perf_counter() - started:.1f} s"
        )


def settle_outbox(eng: Any) -> None:
    """Give the template case's service tasks a result, as the workers would (none runs here:
    the clones then all wait at 5.2.6 with the same legacy data)."""
    while pending := db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    ).all():
        for message in pending:
            documento = message.params.get("documento")
            result: dict[str, Any] = {"enviado": True}
            if message.operation == "legacy_lookup":
                result = {"sistemas": {"cctex": {"documento": documento, "registros": 0}}}
            eng.complete_service(message.id, result)


def _columns(table: Any, source: Any, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    return {c.key: getattr(source, c.key) for c in table.columns if c.key not in skip}


def _next_ids(table: Any, count: int) -> range:
    start = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return range(start, start + count)


def _fresh_ids(state: str, mapping: dict[str, str]) -> str:
    """The state with every task id replaced by a new one (``mapping``: old -> new)."""
    return UUID_RE.sub(lambda m: mapping.setdefault(m.group(0), str(uuid.uuid4())), state)


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    """A Core executemany (one multi-row INSERT per batch on PostgreSQL), no ORM objects."""
    db.session.execute(table.insert(), rows)


def _clone_open(template: Case, count: int) -> None:
    """Copies of the template case, each with its own radicado, task ids and due date.

    The template's instance state is decompressed, its task ids and radicado replaced, and
    compressed again, so completing a clone runs the real engine on a consistent row set.
    Each clone is filed up to 30 days earlier than the template, its deadlines and its task
    moved with it, so the inbox sorts distinct due dates (the instance's own timers keep the
    template's times: none of them falls due during the run)."""
    cases_t, instances_t, tasks_t = Case.__table__, ProcessInstance.__table__, HumanTask.__table__
    instance = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == template.id)
    ).one()
    task = db.session.scalars(
        select(HumanTask).where(HumanTask.case_id == template.id, HumanTask.state == "open")
    ).one()
    case_row = _columns(cases_t, template)
    instance_row = _columns(instances_t, instance)
    task_row = _columns(tasks_t, task, skip=())
    state_text = zlib.decompress(instance.state).decode()
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        case_ids = _next_ids(cases_t, size)
        instance_ids = _next_ids(instances_t, size)
        cases, instances, tasks = [], [], []
        for n, (case_id, instance_id) in enumerate(zip(case_ids, instance_ids, strict=True)):
            number = offset + n
            radicado = f"AV-BENCH-{number:07d}"
            mapping: dict[str, str] = {}
            state = _fresh_ids(state_text, mapping).replace(template.radicado, radicado)
            shift = timedelta(minutes=(number * 7919) % (30 * 24 * 60))
            cases.append(
                {
                    **case_row,
                    **{k: case_row[k] - shift for k in SHIFTED if case_row[k] is not None},
                    "id": case_id,
                    "radicado": radicado,
                }
            )
            instances.append(
                {
                    **instance_row,
                    "id": instance_id,
                    "case_id": case_id,
                    "business_key": radicado,
                    "state": zlib.compress(state.encode(), 1),
                    "version": 1,
                }
            )
            tasks.append(
                {
                    **task_row,
                    "id": mapping[task.id],
                    "instance_id": instance_id,
                    "case_id": case_id,
                    "business_key": radicado,
                    "created_at": task.created_at - shift,
                    "due_at": task.due_at - shift if task.due_at else None,
                }
            )
        _insert(cases_t, cases)
        _insert(instances_t, instances)
        _insert(tasks_t, tasks)
        db.session.commit()


def _insert_closed(citizen_id: int, template: Case, count: int) -> None:
    cases_t, instances_t, tasks_t = Case.__table__, ProcessInstance.__table__, HumanTask.__table__
    instance = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == template.id)
    ).one()
    case_row = _columns(cases_t, template)
    filed = datetime(2025, 6, 1, 13, tzinfo=UTC)
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        case_ids = _next_ids(cases_t, size)
        instance_ids = _next_ids(instances_t, size)
        cases, instances, tasks = [], [], []
        for n, (case_id, instance_id) in enumerate(zip(case_ids, instance_ids, strict=True)):
            radicado = f"AV-CLOSED-{offset + n:07d}"
            when = filed + timedelta(minutes=offset + n)
            answered = when + timedelta(days=3)
            cases.append(
                {
                    **case_row,
                    "id": case_id,
                    "radicado": radicado,
                    "citizen_id": citizen_id,
                    "status": "respondido",
                    "filed_at": when,
                    "first_response_at": when + timedelta(hours=2),
                    "answered_at": answered,
                    "answer": "Respuesta de carga.",
                    "reviewed": True,
                }
            )
            instances.append(
                closed_instance_row(instance, instance_id, case_id, radicado, when, answered)
            )
            tasks.append(
                closed_task_row(
                    instance_id, case_id, radicado, when, when + timedelta(days=20), answered
                )
            )
        _insert(cases_t, cases)
        _insert(instances_t, instances)
        _insert(tasks_t, tasks)
        db.session.commit()


EMPTY_STATE = zlib.compress(b"{}", 1)


def closed_instance_row(
    template: ProcessInstance,
    instance_id: int,
    case_id: int,
    radicado: str,
    started: Any,
    ended: Any,
) -> dict[str, Any]:
    """A completed instance of the template's version: no state left, ended when answered."""
    return {
        "id": instance_id,
        "deployment_id": template.deployment_id,
        "process_id": template.process_id,
        "business_key": radicado,
        "case_id": case_id,
        "status": "completed",
        "has_incident": False,
        "state": EMPTY_STATE,
        "version": 1,
        "next_timer_at": None,
        "started_at": started,
        "updated_at": ended,
        "ended_at": ended,
    }


def closed_task_row(
    instance_id: int, case_id: int, radicado: str, created: Any, due: Any, completed: Any
) -> dict[str, Any]:
    """The completed 5.2.16 of an answered case: the last step a closed case leaves behind."""
    return {
        "id": str(uuid.uuid4()),
        "instance_id": instance_id,
        "case_id": case_id,
        "bpmn_id": "ut_5_2_16",
        "name": "5.2.16 Tipificar",
        "lane": "Agente de Calidad",
        "form": "tipificar.json",
        "candidate_group": "agente_calidad",
        "assignee_id": None,
        "state": "completed",
        "request_type": "reclamo",
        "business_key": radicado,
        "created_at": created,
        "due_at": due,
        "completed_at": completed,
        "completed_by_id": None,
    }


def _reset_sequences() -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's sequences past them, so cases
    filed afterwards (through the app) get fresh ids. SQLite needs nothing."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("cases", "process_instances"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def open_task_ids(app: Any) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(HumanTask.id).where(
                    HumanTask.state == "open",
                    HumanTask.candidate_group == "asesor",
                    HumanTask.bpmn_id == "ut_5_2_6",
                )
            )
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One staff member with a keep-alive connection and a session cookie."""

    def __init__(self, port: int, username: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        _, page = self.request("GET", "/cuenta/funcionarios")
        login = {
            "username": username,
            "password": DEMO_PASSWORD,
            "csrf_token": CSRF_RE.search(page).group(1),
        }
        status, _ = self.request("POST", "/cuenta/funcionarios", login)
        assert status == 302, f"login of {username}: {status}"
        status, page = self.request("GET", "/bandeja/?vista=group")
        self.token = CSRF_RE.search(page).group(1)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()  # the server dropped an idle keep-alive connection
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text


def run_clients(
    users: list[Client], tasks: list[str], inbox_loads: int, rate: float = 0
) -> dict[str, Any]:
    """Each client loads the inbox (its first ``inbox_loads`` rounds) and completes a task.

    ``rate`` 0: closed loop, every client sends its next request as soon as the previous
    one answered: the server's capacity (latency is then clients / throughput, Little's law).
    ``rate`` > 0: open loop, round i of a client starts at its scheduled time (rounds spread
    over the clients to ``rate`` completions per second in total); a round's latency is
    counted from its scheduled start, so a server falling behind is not hidden by clients
    that wait for it (no coordinated omission)."""
    clients = len(users)
    inbox_times: list[float] = []
    complete_times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    interval = clients / rate if rate else 0.0
    t0 = 0.0

    def work(n: int) -> None:
        client = users[n]
        mine = tasks[n::clients]
        local_inbox, local_complete = [], []
        barrier.wait()
        for i, task_id in enumerate(mine):
            started = time.perf_counter()
            if interval:
                scheduled = t0 + (i + n / clients) * interval
                if scheduled > started:
                    time.sleep(scheduled - started)
                started = scheduled
            if i < inbox_loads:
                status, _ = client.request("GET", "/bandeja/?vista=group")
                local_inbox.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(f"inbox {status}")
                started = time.perf_counter()
            status, _ = client.request(
                "POST",
                f"/bandeja/tareas/{task_id}",
                {"csrf_token": client.token, "es_felicitacion": "false"},
            )
            local_complete.append(time.perf_counter() - started)
            if status != 302:
                errors.append(f"complete {status}")
        with lock:
            inbox_times.extend(local_inbox)
            complete_times.extend(local_complete)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter() + 0.05
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"inbox": inbox_times, "complete": complete_times, "elapsed": elapsed, "errors": errors}


def _p95(values: list[float]) -> float:
    ms = sorted(v * 1000 for v in values)
    return ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)] if ms else float("nan")


def _targets(saturation: float, paced: list[tuple[float, dict[str, Any]]]) -> None:
    """Each target of issue 13 next to its measured value."""
    print("— objetivos")
    print(f"  completadas/s a saturación      {saturation:7.0f}  (objetivo ≥ 300)")
    for share, result in paced:
        for label, key in (("bandeja", "inbox"), ("completar", "complete")):
            print(
                f"  p95 {label:<9} al {share:4.0%}        {_p95(result[key]):7.1f} ms"
                f"  (objetivo ≤ 50 ms al 75 %)"
            )


def _percentiles(values: list[float]) -> str:
    if not values:
        return "sin datos"
    median = statistics.median(v * 1000 for v in values)
    return f"p50 {median:.1f} ms · p95 {_p95(values):.1f} ms · n={len(values)}"


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process, from /proc (Linux)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _cpu_seconds(pids: list[int]) -> float:
    return sum(_cpu_by_pid(pids).values())


def _cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU used since ``before``; processes started meanwhile count from zero."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in _cpu_by_pid(pids).items())


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _postgres_pids() -> list[int]:
    """Local PostgreSQL processes (every database's: other users of the server count too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--completions",
        type=int,
        default=4000,
        help="tasks to complete in the measured run (≤ --open)",
    )
    parser.add_argument("--inbox-loads", type=int, default=20, help="inbox loads per client")
    # Processes, not threads, overlap one request's database waits with another's Python
    # work: 2 per core with 2 threads each measured best here (2×8 threads: GIL convoys).
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--worker-class", default="gthread", help="gunicorn -k (sync, gthread)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--loads",
        default="0.5,0.75",
        help="open-loop phases, as shares of the measured saturation (empty: none)",
    )
    parser.add_argument("--paced-seconds", type=float, default=10)
    parser.add_argument("--redis-url", help="dispatch the outbox to this Redis (WORKERS=true)")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "LOGIN_FAILURE_LIMIT": "10000/minute",
        "SECRET_KEY": os.environ.get("SECRET_KEY", uuid.uuid4().hex),
        # With --redis-url the server hands each request's outbox rows to Redis/Celery after
        # its commit, as in production (no worker consumes them here); without it the rows
        # stay pending (durable), and the run measures the web app and the engine only.
        "WORKERS": "true" if args.redis_url else "false",
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "WORKERS": False})
    populate(app, args.open, args.closed, args.clients)
    tasks = open_task_ids(app)
    with app.app_context():
        db.engine.dispose()  # the measured run uses no connection of this process
    port = free_port()
    # The server's access log (one JSON line a request, as in production) goes to a file; the
    # child keeps its own descriptor of it.
    server_log = Path(tempfile.gettempdir()) / f"bench-http-{port}.log"
    print(f"registro de gunicorn: {server_log}")
    with server_log.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(args.workers),
                "-k",
                args.worker_class,
                "--threads",
                str(args.threads),
                "--keep-alive",
                "30",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "web:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    loads = [float(share) for share in args.loads.split(",") if share.strip()]
    print(
        f"base: {args.database_url.split('@')[-1]} · clientes: {args.clients} · "
        f"gunicorn {args.workers}×{args.worker_class}×{args.threads} · "
        f"outbox → {args.redis_url or 'sin despacho'}"
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)  # waiting for gunicorn to bind, not for app state
        users = [Client(port, f"bench.asesor{n}") for n in range(args.clients)]
        server_pids = [server.pid, *_children(server.pid)]

        def phase(title: str, rate: float, phase_tasks: list[str]) -> dict[str, Any]:
            client_before, server_before = os.times(), _cpu_seconds(server_pids)
            pg_before, busy_before = _cpu_by_pid(_postgres_pids()), _machine_busy()
            result = run_clients(users, phase_tasks, args.inbox_loads, rate)
            client_after, server_after = os.times(), _cpu_seconds(server_pids)
            pg_cpu, busy_after = _cpu_since(pg_before, _postgres_pids()), _machine_busy()
            client_cpu = (client_after.user - client_before.user) + (
                client_after.system - client_before.system
            )
            _report(
                title,
                result,
                client_cpu,
                server_after - server_before,
                pg_cpu,
                (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]),
            )
            return result

        closed = phase("saturación (lazo cerrado)", 0.0, tasks[: args.completions])
        saturation = len(closed["complete"]) / closed["elapsed"]
        remaining = tasks[args.completions :]
        paced = []
        for share in loads:
            rate = share * saturation
            count = round(rate * args.paced_seconds)
            phase_tasks, remaining = remaining[:count], remaining[count:]
            title = f"{share:.0%} de la saturación: {rate:.0f} completadas/s (lazo abierto)"
            paced.append((share, phase(title, rate, phase_tasks)))
        _targets(saturation, paced)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _report(
    title: str,
    result: dict[str, Any],
    client_cpu: float,
    server_cpu: float,
    pg_cpu: float,
    busy: float,
) -> None:
    done, elapsed = len(result["complete"]), result["elapsed"]
    cores = os.cpu_count() or 1
    print(f"— {title}")
    print(f"  bandeja:     {_percentiles(result['inbox'])}")
    print(f"  completar:   {_percentiles(result['complete'])}")
    print(f"  throughput:  {done / elapsed:.0f} tareas completadas/s ({done} en {elapsed:.1f} s)")
    print(
        f"  CPU (100 % = un núcleo; la máquina tiene {cores}): "
        f"clientes {100 * client_cpu / elapsed:.0f} % · "
        f"gunicorn {100 * server_cpu / elapsed:.0f} % · postgres {100 * pg_cpu / elapsed:.0f} % · "
        f"máquina {100 * busy * cores:.0f} %"
    )
    if done:
        print(
            f"  CPU por completada: gunicorn {1000 * server_cpu / done:.1f} ms · "
            f"postgres {1000 * pg_cpu / done:.1f} ms (bandeja incluida)"
        )
    if result["errors"]:
        print(f"  errores: {len(result['errors'])} (p. ej. {result['errors'][:3]})")


if __name__ == "__main__":
    main()
