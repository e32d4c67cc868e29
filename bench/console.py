"""Console benchmark: the dashboard and the heatmap at 10,000 open and 100,000 closed cases.

    python bench/console.py                      # a fresh SQLite file in /tmp
    python bench/console.py --database-url postgresql+psycopg://postgres@127.0.0.1/av_bench

Fills an empty database quickly: the open cases are clones of one case filed through the real
engine (``bench/http.py``'s ``populate``), each waiting at 5.2.6; the closed cases are written
with bulk inserts, spread over the last 120 days, each with its trail in the event log (the
steps from 5.2.6 to 5.2.16, one in three through the area's steps) and first-response, legal
and area terms some of which were missed, so the weekly compliance and the heatmap have real
work to do. Then loads ``/consola/tablero`` (as an administrator and as a coordinador of the
Asesor group) and ``/consola/mapa-de-calor`` for the last 90 days through Flask's test client,
one request at a time, and prints p50/p95 of each, wall clock and CPU time of the request.
Target: dashboard p95 ≤ 200 ms.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import func, select, text  # noqa: E402

from engine.models import Case, Event, HumanTask, ProcessInstance  # noqa: E402
from web import create_app  # noqa: E402
from web.demo import DEMO_PASSWORD, ensure_staff, init_db  # noqa: E402
from web.extensions import db  # noqa: E402


def _load_http_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_http", HERE / "http.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_http = _load_http_bench()
BATCH = 2000
DAYS = 120
# (step, milestone it records or None, hours after the previous step)
DIRECT = [
    ("ut_5_2_6", "primera_respuesta", 3),
    ("ut_5_2_7", None, 5),
    ("ut_5_2_8", None, 8),
    ("ut_5_2_14", None, 30),
    ("ut_5_2_15", None, 6),
    ("ut_5_2_16", "respuesta_final", 4),
]
ESCALATED = [
    *DIRECT[:3],
    ("ut_5_2_10", "escalamiento", 2),
    ("ut_5_2_11", None, 10),
    ("ut_5_2_12", None, 40),
    ("ut_5_2_13", "respuesta_area", 12),
    *DIRECT[3:],
]


def insert_closed(template: Case, count: int, now: Any) -> None:
    """Answered cases over the last ``DAYS`` days with their trail in the event log."""
    cases_t, instances_t = Case.__table__, ProcessInstance.__table__
    tasks_t, events_t = HumanTask.__table__, Event.__table__
    instance = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == template.id)
    ).one()
    case_row = bench_http._columns(cases_t, template)
    first = now - timedelta(days=DAYS)
    spacing = timedelta(days=DAYS - 5) / max(1, count)
    event_id = (db.session.scalar(select(func.max(Event.id))) or 0) + 1
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        case_ids = bench_http._next_ids(cases_t, size)
        instance_ids = bench_http._next_ids(instances_t, size)
        cases, instances, tasks, events = [], [], [], []
        for n, (case_id, instance_id) in enumerate(zip(case_ids, instance_ids, strict=True)):
            number = offset + n
            radicado = f"AV-CLOSED-{number:07d}"
            filed = first + spacing * number
            escalated = number % 3 == 0
            slow = 1 + (number % 7) / 3  # some cases miss their terms
            at, area_at = filed, None
            for bpmn_id, hito, hours in ESCALATED if escalated else DIRECT:
                at += timedelta(hours=hours * slow)
                for kind, label in (("task_completed", None), ("hito", hito)):
                    if kind == "hito" and hito is None:
                        continue
                    events.append(
                        {
                            "id": event_id,
                            "instance_id": instance_id,
                            "case_id": case_id,
                            "at": at,
                            "actor_id": None,
                            "kind": kind,
                            "bpmn_id": bpmn_id,
                            "label": label,
                            "data": None,
                        }
                    )
                    event_id += 1
                if hito == "respuesta_area":
                    area_at = at
                if bpmn_id == "ut_5_2_6":
                    first_at = at
            answered = at
            cases.append(
                {
                    **case_row,
                    "id": case_id,
                    "radicado": radicado,
                    "status": "respondido",
                    "filed_at": filed,
                    "first_response_due": filed + timedelta(hours=24),
                    "first_response_at": first_at,
                    "first_response_kind": "respuesta",
                    "legal_due": filed + timedelta(days=5),
                    "legal_reminder_at": filed + timedelta(days=4),
                    "area": "operaciones" if escalated else None,
                    "area_due": filed + timedelta(days=4) if area_at else None,
                    "area_reminder_at": None,
                    "escalated": escalated,
                    "answered_at": answered,
                    "answer": "Respuesta de carga.",
                    "reviewed": True,
                }
            )
            instances.append(
                bench_http.closed_instance_row(
                    instance, instance_id, case_id, radicado, filed, answered
                )
            )
            tasks.append(
                bench_http.closed_task_row(
                    instance_id, case_id, radicado, filed, filed + timedelta(days=15), answered
                )
            )
        bench_http._insert(cases_t, cases)
        bench_http._insert(instances_t, instances)
        bench_http._insert(tasks_t, tasks)
        bench_http._insert(events_t, events)
        db.session.commit()


def populate(app: Any, open_cases: int, closed_cases: int) -> None:
    with app.app_context():
        init_db(app)
        already = db.session.scalar(select(func.count()).select_from(Case))
        bench_http.populate(app, open_cases, 0, 1)
        ensure_staff("bench.admin", "Administrador de carga", ["administrador"])
        ensure_staff("bench.coordinador", "Coordinador de carga", ["coordinador", "asesor"])
        db.session.commit()
        if already:
            return
        started = time.perf_counter()
        template = db.session.scalars(select(Case).order_by(Case.id).limit(1)).one()
        insert_closed(template, closed_cases, app.extensions["clock"].now())
        bench_http._reset_sequences()  # and ANALYZE on PostgreSQL
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))  # the planner's statistics after a bulk load
            db.session.commit()
        events = db.session.scalar(select(func.count()).select_from(Event))
        print(
            f"cerrados: {closed_cases} con {events} eventos "
            f"en {time.perf_counter() - started:.1f} s"
        )


def measure(app: Any, username: str, path: str, loads: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each load (the client runs in this process: its CPU time
    is the request's, which a machine shared with other work does not inflate)."""
    client = app.test_client()
    response = client.post(
        "/cuenta/funcionarios", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    wall, cpu = [], []
    for _ in range(loads + 1):
        started, used = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return wall[1:], cpu[1:]  # the first load warms the caches (diagram parse, templates)


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in /tmp")
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=20, help="loads of each page")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='av-console-')}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WORKERS": False,
            "WTF_CSRF_ENABLED": False,  # the bench only reads pages
            "LOGIN_FAILURE_LIMIT": "10000/minute",
        }
    )
    print(f"base: {url}")
    populate(app, args.open, args.closed)
    with app.app_context():
        today = app.extensions["clock"].now().date()
    heat = f"/consola/mapa-de-calor?desde={today - timedelta(days=89)}&hasta={today}"
    pages = [
        ("tablero (administrador)", "bench.admin", "/consola/tablero"),
        ("tablero (coordinador)", "bench.coordinador", "/consola/tablero"),
        ("mapa de calor, 90 días", "bench.admin", heat),
    ]
    print(f"{args.loads} cargas de cada página, una a la vez:")
    for label, username, path in pages:
        wall, cpu = measure(app, username, path, args.loads)
        print(f"{label:26} reloj {_percentiles(wall)} | CPU {_percentiles(cpu)}")


if __name__ == "__main__":
    main()
