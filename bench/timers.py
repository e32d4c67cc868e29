"""10,000 timers due in the same minute: how long until all have fired, and how many twice.

Real pieces only: PostgreSQL (a fresh database on BENCH_DATABASE_URL's server, default the
local one), a Redis (REDIS_URL, default an embedded one), a real Celery worker and beat, and
an SMTP server on loopback that accepts the notifications the timers cause.

    .venv/bin/python bench/timers.py [--cases 10000] [--concurrency 2]

Each case filed gets its first-response reminder 20 h after filing; all are filed within
one minute of the shared clock, which then jumps past that minute. The figure is the wall
time from the jump until no instance has a due timer and every reminder is in the event log.
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, make_url, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.clock import FileClock  # noqa: E402
from engine.database import make_engine, upgrade  # noqa: E402
from engine.models import Event, Group, ProcessInstance, User  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from tests.workers.harness import CeleryProcess, SmtpServer, wait_for  # noqa: E402
from workers.embedded_redis import EmbeddedRedis  # noqa: E402

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/root")
FILING = {
    "tipo": "reclamo",
    "servicio": "credito_educativo",
    "asunto": "Cobro duplicado",
    "descripcion": "Me cobraron dos veces la cuota del crédito en marzo.",
}


def fresh_database() -> tuple[str, str]:
    name = f"av_bench_{uuid.uuid4().hex[:8]}"
    server = make_engine(SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False), name


def drop_database(name: str) -> None:
    server = make_engine(SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def file_cases(url: str, clock: FileClock, count: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    start = clock.now()
    with Session(engine) as session:
        eng = Engine(session, clock)
        eng.deploy_directory(ROOT)
        groups = {
            code: Group(code=code, name=code, kind="lane")
            for code in ("usuario", "asesor", "coordinador")
        }
        session.add_all(groups.values())
        for name, group in (("asesor", "asesor"), ("coordinador", "coordinador")):
            session.add(
                User(
                    username=name,
                    kind="staff",
                    full_name=name.title(),
                    email=f"{name}@icetex.test",
                    password_hash="!",
                    created_at=start,
                    groups=[groups[group]],
                )
            )
        citizen = User(
            username="52000111",
            kind="citizen",
            full_name="Ciudadana Demo",
            email="ciudadana@example.test",
            password_hash="!",
            created_at=start,
            document_number="52000111",
            groups=[groups["usuario"]],
        )
        session.add(citizen)
        session.commit()
        began = time.monotonic()
        for number in range(count):
            # All filed within one minute of the shared clock.
            clock.set(start + timedelta(seconds=59 * number / count))
            eng.file_case(citizen, FILING, [{"actividad": "5.2.3", "en": start.isoformat()}])
            if number % 500 == 499:
                session.commit()
                print(
                    f"  {number + 1} casos radicados ({time.monotonic() - began:.0f} s)", flush=True
                )
        session.commit()
        # The acknowledgements are not what we measure: mark them sent.
        session.execute(text("UPDATE outbox SET status = 'done'"))
        session.commit()
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="av-bench-"))
    clock = FileClock(tmp / "clock")
    clock.set(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    url, name = fresh_database()
    redis_server = None
    smtp = SmtpServer().start()
    worker = beat = None
    try:
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            redis_server = EmbeddedRedis(tmp / "redis").start()
            redis_url = redis_server.location.url
        print(f"Radicando {args.cases} casos en {make_url(url).database} …", flush=True)
        file_cases(url, clock, args.cases)

        env = {
            **os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
            "CLOCK_FILE": str(clock.path),
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "INSTANCE_PATH": str(tmp),
            "SECRET_KEY": "bench", "BEAT_INTERVAL": "1",
        }  # fmt: skip
        worker = CeleryProcess("worker", env, tmp, f"--concurrency={args.concurrency}")
        worker.command = lambda: [  # prefork: one process per core
            str(ROOT / ".venv/bin/celery"), "-A", "workers.celery_app", "worker",
            f"--concurrency={args.concurrency}", "--without-heartbeat", "--without-mingle",
            "--without-gossip", "--loglevel=INFO",
        ]  # fmt: skip
        worker.start()
        beat = CeleryProcess("beat", env, tmp).start()

        engine = make_engine(url)
        # Every reminder falls due between 20:00 and 20:01 after the first filing.
        clock.set(datetime(2026, 3, 11, 9, 2, tzinfo=UTC))
        began = time.monotonic()

        def due() -> int:
            with engine.connect() as conn:
                return conn.scalar(
                    select(func.count(ProcessInstance.id)).where(
                        ProcessInstance.next_timer_at <= clock.now()
                    )
                )

        wait_for(lambda: due() == 0, timeout=600, what="every timer to fire", interval=0.2)
        elapsed = time.monotonic() - began
        with engine.connect() as conn:
            fired = conn.execute(
                select(Event.instance_id, Event.bpmn_id, func.count())
                .where(Event.kind == "timer")
                .group_by(Event.instance_id, Event.bpmn_id)
            ).all()
        twice = sum(1 for *_, n in fired if n > 1)
        print(f"timers disparados: {len(fired)} de {args.cases}")
        print(f"tiempo hasta que todos dispararon: {elapsed:.1f} s (meta ≤ 60 s)")
        print(f"disparados dos veces: {twice} (debe ser 0)")
        engine.dispose()
        return 0 if twice == 0 and len(fired) == args.cases else 1
    finally:
        for process in (beat, worker):
            if process is not None:
                process.stop()
        smtp.stop()
        if redis_server is not None:
            redis_server.stop()
        drop_database(name)


if __name__ == "__main__":
    sys.exit(main())
