"""Scale-out at full size (issue 13): several gunicorn web processes and Celery workers on the
machine's PostgreSQL and Redis, 50 staff clients completing, claiming and extending the same
300 cases for a minute while the clock moves and timers fire; one web process and one worker
killed with SIGKILL mid-run. Prints the figures and every problem found (tests/workers/
scale_out.py says what is checked).

    .venv/bin/python bench/scale_out.py
    .venv/bin/python bench/scale_out.py --cases 300 --clients 50 --web 3 --workers 2 --seconds 60
"""

import argparse
import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

# bench/http.py would shadow the standard library's `http`: the project root replaces bench/.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import make_url, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.clock import FileClock  # noqa: E402
from engine.database import make_engine, upgrade  # noqa: E402
from tests.stack import Stack  # noqa: E402
from tests.workers.harness import SmtpServer  # noqa: E402
from tests.workers.scale_out import ScaleOut, Sizes, prepare, staff_accounts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--web", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    sizes = Sizes(args.cases, args.clients, args.web, args.workers, args.seconds)

    name = f"av_scale_{uuid.uuid4().hex[:8]}"
    server = make_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="av-scale-"))
    clock = FileClock(tmp / "clock")
    clock.set(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    os.environ.update(REDIS_URL=args.redis, CLOCK_FILE=str(clock.path))
    database = make_engine(url)
    upgrade(database)
    smtp = SmtpServer().start()
    stack = Stack(tmp, url, args.redis, smtp, clock)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    from web import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret", "CLOCK": clock})
    staff = staff_accounts(sizes)
    try:
        prepare(app, sizes, staff)
        with Session(database) as session:
            suite = ScaleOut(stack, session, sizes, print)
            suite.start()
            try:
                figures = suite.run(staff)
            finally:
                suite.stop()
        print("\n".join(figures.lines()))
        if figures.problems():
            print(suite.log_tails())
    finally:
        smtp.stop()
        database.dispose()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


if __name__ == "__main__":
    main()
