"""Engine benchmark: durable task completion against SpiffWorkflow in memory.

    python bench/engine.py                      # SQLite (temp file) and the local PostgreSQL
    python bench/engine.py --database-url URL   # one database

Prints, per database: the median durable completion next to the same step in memory (target
ratio ≤ 2.5) and to the floor, that step plus a bare-driver transaction writing the same rows and
committing (target ≤ 2×), completions per second (target ≥ 500/s on PostgreSQL), bytes stored
per open and per closed case (target ≤ 16 KB open) and the completion cost after 0 and 20
quality-rejection loops (target: flat). Each "completion" is one quality-loop step: load the
instance, complete the task, run to the next wait state, save, commit.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine as Engine_
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import workflow_cache  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.configuration import set_review_share  # noqa: E402
from engine.database import make_engine, upgrade  # noqa: E402
from engine.definitions import bundle_for  # noqa: E402
from engine.models import (  # noqa: E402
    Case,
    Event,
    Group,
    HumanTask,
    OutboxMessage,
    ProcessInstance,
    User,
)
from engine.run import Run  # noqa: E402
from engine.runtime import Engine  # noqa: E402

DRAFT = {
    "plantilla": "respuesta_de_fondo",
    "respuesta": "Respuesta de prueba con el detalle del caso.",
}
REJECT = {
    "cumple": False,
    "acorde": True,
    "clara": False,
    "sin_errores_forma": True,
    "observaciones_calidad": "Falta la fecha.",
}
FILING = {
    "tipo": "reclamo",
    "servicio": "credito_educativo",
    "asunto": "Cobro duplicado",
    "descripcion": "Me cobraron dos veces la cuota del crédito educativo.",
}


def people(session: Session, now: datetime) -> dict[str, User]:
    made = {}
    for name, group in [
        ("52000111", "usuario"),
        ("asesor", "asesor"),
        ("calidad", "agente_calidad"),
    ]:
        session.add(Group(code=group, name=group, kind="lane"))
        made[group] = User(
            username=name,
            kind="staff",
            full_name=name,
            email=f"{name}@x.test",
            password_hash="!",
            document_number=name,
            created_at=now,
            groups=[session.get(Group, group)],
        )
        session.add(made[group])
    session.flush()
    return made


def open_task(session: Session, case_id: int) -> HumanTask:
    return session.scalars(
        select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "open")
    ).one()


def drain(engine: Engine) -> None:
    for message in engine.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "pending")
    ):
        engine.complete_service(message.id, {"enviado": True, "sistemas": {}})


def case_at_draft(engine: Engine, users: dict[str, User]) -> int:
    """File a case and bring it to 5.2.14 (the review share is 100 %: it will be reviewed)."""
    case = engine.file_case(users["usuario"], FILING, [])
    drain(engine)
    asesor = users["asesor"]
    engine.complete_task(open_task(engine.session, case.id).id, asesor, {"es_felicitacion": True})
    return case.id


def step(engine: Engine, users: dict[str, User], case_id: int) -> None:
    """One loop half: the Asesor drafts (5.2.14) or quality rejects (5.2.15)."""
    task = open_task(engine.session, case_id)
    if task.bpmn_id == "ut_5_2_14":
        engine.complete_task(task.id, users["asesor"], DRAFT)
    else:
        engine.complete_task(task.id, users["agente_calidad"], REJECT)


def timed_steps(
    factory: sessionmaker,
    clock: ManualClock,
    user_ids: dict[str, int],
    case_ids: list[int],
    rounds: int,
    cold: bool = False,
) -> list[float]:
    """Each step's wall time; ``cold``: with no parsed workflow kept from the step before, as
    when the instance's previous step was served by another process."""
    samples = []
    for _ in range(rounds):
        for case_id in case_ids:
            if cold:
                workflow_cache.forget()
            with factory() as session:
                users = {k: session.get(User, v) for k, v in user_ids.items()}
                session.commit()
                start = time.perf_counter()
                step(Engine(session, clock), users, case_id)
                session.commit()
                samples.append(time.perf_counter() - start)
    return samples


def in_memory_step(session: Session, clock: ManualClock, case_ids: list[int]) -> list[float]:
    """The same steps done by SpiffWorkflow alone: each on a workflow loaded (untimed) from the
    stored state, with the same spec and the same restricted scripts; no database."""
    from SpiffWorkflow.task import TaskState

    engine = Engine(session, clock)
    samples = []
    for case_id in case_ids:
        instance = session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_id == case_id)
        ).one()
        # Parsed from the stored state, leaving the engine's cache of parsed workflows as it is.
        bundle = bundle_for(session, instance.deployment_id)
        workflow = Run.attach(
            engine, instance, bundle, bundle.load(instance.state), instance.case, None
        ).workflow
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        data = DRAFT if task.task_spec.bpmn_id == "ut_5_2_14" else REJECT
        start = time.perf_counter()
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
        samples.append(time.perf_counter() - start)
    return samples


def raw_write_floor(db: Engine_, case_id: int, rounds: int) -> list[float]:
    """What durability alone costs: through the bare driver, the rows one completion writes (the
    instance state, of the same size, under its version check; the finished inbox row and the
    next one; one event; one outbox row) and the commit. No ORM, no serializer."""
    conn = db.raw_connection()
    mark = "?" if db.dialect.paramstyle == "qmark" else "%s"
    cur = conn.cursor()
    cur.execute(
        f"SELECT id, state, version FROM process_instances WHERE case_id = {mark}", (case_id,)
    )
    instance_id, state, version = cur.fetchone()
    templates = {}
    for table, where in [
        ("human_tasks", "instance_id"),
        ("events", "instance_id"),
        ("outbox", "instance_id"),
    ]:
        cur.execute(f"SELECT * FROM {table} WHERE {where} = {mark} LIMIT 1", (instance_id,))
        names = [d[0] for d in cur.description]
        templates[table] = dict(zip(names, cur.fetchone(), strict=True))
    conn.commit()

    def insert(table: str, changes: dict) -> None:
        row = {k: v for k, v in templates[table].items() if k != "id" or table == "human_tasks"}
        row.update(changes)
        # A JSON column comes back from PostgreSQL's driver parsed; it goes in as JSON text.
        row = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
        columns = ", ".join(row)
        marks = ", ".join([mark] * len(row))
        cur.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))

    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        if mark == "?":
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            f"UPDATE process_instances SET state = {mark}, version = {mark} "
            f"WHERE id = {mark} AND version = {mark}",
            (bytes(state), version + 1, instance_id, version),
        )
        version += 1
        cur.execute(
            f"UPDATE human_tasks SET state = {mark} WHERE id = {mark}",
            ("completed", templates["human_tasks"]["id"]),
        )
        insert("human_tasks", {"id": str(uuid.uuid4()), "state": "cancelled"})
        insert("events", {})
        insert("outbox", {"key": uuid.uuid4().hex, "status": "done"})
        conn.commit()
        samples.append(time.perf_counter() - start)
    conn.close()
    return samples


def _steps_for(
    url: str,
    user_ids: dict[str, int],
    case_ids: list[int],
    seconds: float,
    start_at: float,
    counts: "multiprocessing.Queue[int]",
) -> None:
    """One process: complete steps on its own cases until the time is up."""
    db = make_engine(url)
    factory = sessionmaker(db, expire_on_commit=False)
    clock = ManualClock(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    time.sleep(max(0.0, start_at - time.time()))  # all processes start together
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        timed_steps(factory, clock, user_ids, case_ids, 1)
        done += len(case_ids)
    counts.put(done)
    db.dispose()


def throughput(
    url: str, user_ids: dict[str, int], case_ids: list[int], processes: int, seconds: float
) -> float:
    """Completions per second of the whole machine: ``processes`` writers, disjoint cases."""
    context = multiprocessing.get_context("fork")
    counts = context.Queue()
    start_at = time.time() + 1.0
    shares = [case_ids[i::processes] for i in range(processes)]
    workers = [
        context.Process(target=_steps_for, args=(url, user_ids, share, seconds, start_at, counts))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    total = sum(counts.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


def stored_bytes(session: Session, case_id: int) -> int:
    """What one case keeps in the database: its instance state, inbox rows, event log and
    outbox rows and the case record itself (payload bytes, not counting index pages)."""

    def size(row: object) -> int:
        values = [getattr(row, c.key) for c in row.__table__.columns]
        return sum(len(v) if isinstance(v, bytes) else len(str(v)) for v in values if v is not None)

    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case_id)
    ).one()
    rows = [instance, session.get(Case, case_id)]
    rows += session.scalars(select(Event).where(Event.case_id == case_id)).all()
    rows += session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)).all()
    rows += session.scalars(
        select(OutboxMessage).where(OutboxMessage.instance_id == instance.id)
    ).all()
    return sum(size(row) for row in rows)


def prepared(url: str, count: int = 40) -> tuple[Engine_, sessionmaker, ManualClock, dict, list]:
    """A migrated database with the definitions, the people and ``count`` cases at 5.2.14."""
    db = make_engine(url)
    upgrade(db)
    factory = sessionmaker(db, expire_on_commit=False)
    clock = ManualClock(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    with factory() as session:
        engine = Engine(session, clock)
        engine.deploy_directory(ROOT)
        set_review_share(session, 100, None, clock.now())
        users = people(session, clock.now())
        user_ids = {k: u.id for k, u in users.items()}
        cases = [case_at_draft(engine, users) for _ in range(count)]
        session.commit()
    return db, factory, clock, user_ids, cases


def bench(url: str) -> None:
    db, factory, clock, user_ids, cases = prepared(url)
    with factory() as session:
        open_bytes = statistics.mean(stored_bytes(session, c) for c in cases[:5])

    timed_steps(factory, clock, user_ids, cases[:5], 2)  # warm-up: caches, JIT of SQL
    durable, cold, memory = [], [], []
    for _ in range(3):  # each step timed three ways: in memory, durable, durable and cold
        with factory() as session:
            memory += in_memory_step(session, clock, cases)
        durable += timed_steps(factory, clock, user_ids, cases, 1)
        cold += timed_steps(factory, clock, user_ids, cases, 1, cold=True)
        timed_steps(factory, clock, user_ids, cases, 1)  # the parsed workflows kept again

    floor_write = statistics.median(raw_write_floor(db, cases[-1], 200))
    db.dispose()  # the writer processes open their own connections
    rate = throughput(url, user_ids, cases, processes=os.cpu_count() or 2, seconds=5.0)

    # Flatness: the step cost on a case with 0 loops vs the same after 20 rejection loops.
    with factory() as session:
        engine = Engine(session, clock)
        users = {k: session.get(User, v) for k, v in user_ids.items()}
        fresh, looped = case_at_draft(engine, users), case_at_draft(engine, users)
        session.commit()
    timed_steps(factory, clock, user_ids, [looped], 40)  # 20 rejection loops
    cost_20 = statistics.median(timed_steps(factory, clock, user_ids, [looped], 10))
    cost_0 = statistics.median(timed_steps(factory, clock, user_ids, [fresh], 10))

    with factory() as session:
        closed = stored_bytes(session, cases[0])  # after many loops, as large as a case gets
        engine = Engine(session, clock)
        users = {k: session.get(User, v) for k, v in user_ids.items()}
        done = case_at_draft(engine, users)
        task = open_task(session, done)
        engine.complete_task(task.id, users["asesor"], DRAFT)
        task = open_task(session, done)
        engine.complete_task(
            task.id, users["agente_calidad"], {**REJECT, "cumple": True, "clara": True}
        )
        engine.complete_task(
            open_task(session, done).id, users["agente_calidad"], {"tipificacion": "cobranza"}
        )
        drain(engine)
        session.commit()
        closed = stored_bytes(session, done)

    median_durable = statistics.median(durable) * 1000
    median_cold = statistics.median(cold) * 1000
    median_memory = statistics.median(memory) * 1000
    print(f"\n== {db.dialect.name} ==")
    print(f"durable completion (median)      {median_durable:7.2f} ms")
    print(f"  the same, state parsed (cold)  {median_cold:7.2f} ms")
    print(f"SpiffWorkflow in memory (median) {median_memory:7.2f} ms")
    floor = median_memory + floor_write * 1000
    print(f"raw driver write + commit        {floor_write * 1000:7.2f} ms")
    print(f"floor (in memory + raw write)    {floor:7.2f} ms")
    print(f"ratio to the floor               {median_durable / floor:7.2f}  (target ≤ 2)")
    print(f"  cold, ratio to the floor       {median_cold / floor:7.2f}")
    print(f"ratio to in memory               {median_durable / median_memory:7.2f}  (target ≤ 2.5)")
    target = f"{os.cpu_count()} processes; target ≥ 500 on PostgreSQL"
    print(f"completions per second           {rate:7.0f}  ({target})")
    print(f"bytes per open case              {open_bytes:7.0f}  (target ≤ 16384)")
    print(f"bytes per closed case            {closed:7.0f}")
    print(f"step after 0 loops (median)      {cost_0 * 1000:7.2f} ms")
    print(f"step after 20 loops (median)     {cost_20 * 1000:7.2f} ms  (target: flat)")
    db.dispose()


def temporary_postgres(server: str) -> tuple[str, str]:
    name = f"av_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}", name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", action="append")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    if args.database_url:
        for url in args.database_url:
            bench(url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/bench.db")
    url, name = temporary_postgres(args.postgres)
    try:
        bench(url)
    finally:
        admin = make_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
