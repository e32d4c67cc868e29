"""Benchmark: the console's instance search page at 10,000 open and 100,000 closed cases.

    python bench/search.py --database-url sqlite:////tmp/av_search.db
    python bench/search.py --database-url postgresql+psycopg://postgres@127.0.0.1/av_bench

Fills an empty database the way ``bench/http.py`` does (open cases cloned from one filed
through the real engine, closed ones bulk-inserted), spreads the cases over --citizens
citizens and marks 1 % of the open ones with an incident, starts gunicorn, logs in an
administrator and loads ``/consola/`` with a set of filters an administrator uses (none,
radicado, document number, name, status, incident, step, group, overdue term, a date range,
a deep page), each --requests times from --clients concurrent clients. Prints p50/p95 per
filter and in all. Target (issue 10): p95 ≤ 50 ms.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import func, select, text, update  # noqa: E402

from engine.models import Case, ProcessInstance, User  # noqa: E402
from web import create_app  # noqa: E402
from web.demo import demo_password_hash, ensure_staff  # noqa: E402
from web.extensions import db  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_http", HERE / "http.py")
bench_http = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_http)

ADMIN = "bench.admin"


def spread_citizens(app: Any, citizens: int) -> list[tuple[str, str]]:
    """``citizens`` more citizens (bulk insert) and every case given one of them; returns
    (document, name) of a few, for the queries."""
    with app.app_context():
        ensure_staff(ADMIN, "Administrador de carga", ["administrador"])
        db.session.commit()
        if (
            db.session.scalar(select(func.count()).select_from(User).where(User.kind == "citizen"))
            > 1
        ):
            return _samples()
        now = datetime.now(UTC)
        password = demo_password_hash()
        db.session.execute(
            User.__table__.insert(),
            [
                {
                    "username": f"9100{n:06d}",
                    "kind": "citizen",
                    "full_name": f"Ciudadana de carga {n:05d}",
                    "email": f"carga{n}@example.com",
                    "password_hash": password,
                    "document_type": "CC",
                    "document_number": f"9100{n:06d}",
                    "active": True,
                    "created_at": now,
                    "email_verified_at": now,
                }
                for n in range(citizens)
            ],
        )
        ids = db.session.scalars(
            select(User.id).where(User.username.like("9100%")).order_by(User.id)
        ).all()
        first, count = ids[0], len(ids)
        db.session.execute(update(Case).values(citizen_id=first + (Case.id * 7919) % count))
        open_ids = select(ProcessInstance.id).where(ProcessInstance.status == "running")
        db.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id.in_(open_ids), ProcessInstance.id % 100 == 0)
            .values(has_incident=True)
        )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return _samples()


def _samples() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(User.document_number, User.full_name)
        .where(User.username.like("9100%"))
        .order_by(User.id)
        .limit(3)
    ).all()
    return [(row[0], row[1]) for row in rows]


def queries(samples: list[tuple[str, str]]) -> dict[str, str]:
    document, name = samples[1]
    return {
        "sin filtro": "",
        "radicado": "q=AV-BENCH-0004321",
        "documento": f"q={document}",
        "nombre (parte)": "q=" + name.split()[-1],
        "en curso": "estado=running",
        "con incidente": "estado=incident",
        "terminadas, página 2000": "estado=completed&pagina=2000",
        "paso 5.2.6": "paso=ut_5_2_6",
        "grupo asesor": "grupo=asesor",
        "vencido término legal": "vencido=legal",
        "iniciadas en junio 2025": "desde=2025-06-01&hasta=2025-06-30",
        "orden por radicado": "orden=key",
    }


def log_in(port: int, clients: int) -> list[Any]:
    users = [bench_http.Client(port, ADMIN) for _ in range(clients)]
    for client in users:  # warm each worker's caches (bundle, translations)
        for _ in range(3):
            client.request("GET", "/consola/")
    return users


def measure(users: list[Any], named: dict[str, str], requests: int) -> dict[str, list[float]]:
    clients = len(users)
    times: dict[str, list[float]] = {name: [] for name in named}
    lock = threading.Lock()
    errors: list[str] = []

    def work(client: Any, n: int) -> None:
        for i in range(requests):
            for name, query in named.items():
                if (i + n) % clients:  # each client takes its share of every query
                    continue
                started = time.perf_counter()
                status, _ = client.request("GET", f"/consola/?{query}")
                elapsed = time.perf_counter() - started
                with lock:
                    times[name].append(elapsed)
                    if status != 200:
                        errors.append(f"{name}: {status}")

    threads = [threading.Thread(target=work, args=(c, n)) for n, c in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"errores: {len(errors)} (p. ej. {errors[:3]})")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--requests", type=int, default=40, help="loads of each filter")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "WORKERS": False})
    started = time.perf_counter()
    bench_http.populate(app, args.open, args.closed, 1)
    samples = spread_citizens(app, args.citizens)
    print(f"datos listos en {time.perf_counter() - started:.1f} s")
    with app.app_context():
        db.engine.dispose()
    port = bench_http.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "LOGIN_FAILURE_LIMIT": "10000/minute",
        "SECRET_KEY": os.environ.get("SECRET_KEY", uuid.uuid4().hex),
        "WORKERS": "false",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "-c", "python:web.ops.gunicorn_conf",
            "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
            "--keep-alive", "30", "-b", f"127.0.0.1:{port}", "web:create_app()",
        ],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        _wait(port)
        named = queries(samples)
        users = log_in(port, args.clients)
        pids = [server.pid, *bench_http._children(server.pid)]
        cpu_before = bench_http._cpu_seconds(pids)
        times = measure(users, named, args.requests)
        cpu = bench_http._cpu_seconds(pids) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"base: {args.database_url.split('@')[-1]} · {args.open} abiertos, {args.closed} "
        f"cerrados · gunicorn {args.workers}×gthread×{args.threads} · clientes: {args.clients}"
    )
    for name, values in times.items():
        print(f"  {name:<26} {bench_http._percentiles(values)}")
    everything = [v for values in times.values() for v in values]
    print(f"  {'todas':<26} {bench_http._percentiles(everything)}")
    # The machine's other load stretches wall-clock latency; the server's CPU per page
    # does not depend on it (much).
    print(f"  CPU de gunicorn por página: {1000 * cpu / max(1, len(everything)):.1f} ms")
    print(f"  carga de la máquina (1 min): {os.getloadavg()[0]:.1f} en {os.cpu_count()} núcleos")


def _wait(port: int) -> None:
    import socket

    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)  # waiting for gunicorn to bind


if __name__ == "__main__":
    main()
