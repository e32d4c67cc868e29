"""The fault suite at full size (issue 12 §6): prints cases lost, e-mails duplicated (inside /
outside the SMTP exchange), the longest delay of an e-mail, requests that answered 500 and
the p95 of the other requests.

    .venv/bin/python bench/faults.py                       # SQLite file + embedded Redis
    .venv/bin/python bench/faults.py --database-url postgresql+psycopg://postgres@127.0.0.1/postgres

Real pieces only: the app served over HTTP on loopback (in this process), a Celery worker
(prefork, 2 processes, as `dev.py run` starts it) and beat with the production settings
(visibility timeout 30 min, job lease 70 s, backoff 30 s…), a Redis of its own, an SMTP
server on loopback, and SQLite (a fresh file) or PostgreSQL (a fresh database on the given
server). Scenarios (tests/workers/faults.py): --filings cases filed by --clients citizens while
the worker is killed (SIGKILL) --kills times and restarted at once; Redis stopped for
--redis-outage seconds while citizens file and log in; SMTP down for --smtp-outage seconds;
2 × 6 identical submissions at once.
Targets: 0 lost, 0 duplicated outside the SMTP exchange, ≤ 120 s delay, 0 answers 500.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

# bench/http.py would shadow the standard library's `http`: the project root replaces bench/.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import make_url, text  # noqa: E402

from engine.clock import FileClock  # noqa: E402
from engine.database import make_engine  # noqa: E402
from tests.workers.faults import (  # noqa: E402
    FaultSuite,
    Sizes,
    citizen_documents,
    create_citizens,
    suite_app_config,
)
from tests.workers.harness import CeleryProcess, SmtpServer  # noqa: E402
from workers.embedded_redis import EmbeddedRedis  # noqa: E402


def fresh_postgres(server: str) -> tuple[str, str]:
    name = f"av_faults_{uuid.uuid4().hex[:8]}"
    engine = make_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(server: str, name: str) -> None:
    engine = make_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--filings", type=int, default=60)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--redis-outage", type=float, default=20.0)
    parser.add_argument("--smtp-outage", type=float, default=20.0)
    parser.add_argument("--smtp-filings", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request

    tmp = Path(tempfile.mkdtemp(prefix="av-faults-"))
    created = None
    if args.database_url:
        database_url, created = fresh_postgres(args.database_url)
    else:
        database_url = f"sqlite:///{tmp / 'faults.db'}"
    redis_server = EmbeddedRedis(tmp / "redis").start()
    smtp = SmtpServer().start()
    clock = FileClock(tmp / "clock")
    clock.set(datetime.now(UTC))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.location.url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_TLS": "none",
        "MAIL_FROM": "Atención Virtual <atencion.virtual@icetex.test>",
        "CLOCK_FILE": str(clock.path),
        "INSTANCE_PATH": str(tmp / "instance"),
        "SECRET_KEY": "fault-suite",
        "LEGACY_ADAPTER": "demo",
    }
    os.environ.update(env)  # the app in this process dispatches with the same settings
    from web import create_app
    from web.demo import init_db

    app = create_app(suite_app_config(database_url, clock, redis_server.location.url))
    init_db(app)
    sizes = Sizes(
        filings=args.filings,
        kills=args.kills,
        clients=args.clients,
        redis_outage=args.redis_outage,
        smtp_outage=args.smtp_outage,
        smtp_filings=args.smtp_filings,
    )
    documents = citizen_documents(sizes.clients + 1)
    create_citizens(app, documents)
    worker = CeleryProcess("worker", env, tmp, "--pool=prefork", "--concurrency=2")
    beat = CeleryProcess("beat", env, tmp)
    kind = "PostgreSQL" if created else "SQLite"
    print(f"fault suite on {kind} + embedded Redis; logs in {tmp}", flush=True)
    started = time.monotonic()
    try:
        worker.start()
        beat.start()
        with FaultSuite(
            app, worker, beat, smtp, redis_server, sizes, documents,
            lambda m: print(m, flush=True),
        ) as suite:  # fmt: skip
            figures = suite.run()
    finally:
        beat.stop()
        worker.stop()
        smtp.stop()
        redis_server.stop()
        from web.extensions import db

        with app.app_context():
            db.engine.dispose()
        if created:
            drop_postgres(args.database_url, created)
    print(f"\nresultados ({kind}, {time.monotonic() - started:.0f} s en total)")
    for line in figures.lines():
        print(line)
    ok = (
        figures.lost == 0
        and figures.duplicated_outside == 0
        and figures.longest_delay <= 120
        and figures.answered_500 == 0
    )
    print("metas cumplidas" if ok else "metas NO cumplidas")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
