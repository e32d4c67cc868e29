"""Where one durable completion spends its time: statements, function calls, time per layer.

    python bench/profile_step.py                       # SQLite (temp file)
    python bench/profile_step.py --database-url URL    # an empty database (it is migrated)
    python bench/profile_step.py --sql --edges         # the statements; our calls into SQLAlchemy

Each step is the bench's quality-loop step (bench/engine.py); only ``Engine.complete_task`` and
the commit are profiled. Figures are for docs/performance.md.
"""

import argparse
import collections
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engine import (
    DRAFT,
    REJECT,
    Engine,
    User,
    open_task,
    prepared,
    timed_steps,
)

LAYERS = [  # (label, test on the function's file and name), first match wins
    ("SQLAlchemy (ORM + Core)", lambda f, n: "sqlalchemy" in f),
    ("SpiffWorkflow serializer", lambda f, n: "SpiffWorkflow/bpmn/serializer" in f),
    ("SpiffWorkflow run", lambda f, n: "SpiffWorkflow" in f),
    ("json (+ jsonschema)", lambda f, n: "json" in f or "orjson" in n),
    ("zlib", lambda f, n: "zlib" in n or n in ("compress", "decompress")),
    ("driver", lambda f, n: "sqlite3" in n or "psycopg" in f),
    ("engine (ours)", lambda f, n: "/engine/" in f and "site-packages" not in f),
]


def layer(file: str, name: str) -> str:
    return next((label for label, test in LAYERS if test(file, name)), "other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sql", action="store_true", help="print one step's statements")
    parser.add_argument("--edges", action="store_true", help="our calls into SQLAlchemy")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/profile.db"
    db, factory, clock, user_ids, cases = prepared(url)
    timed_steps(factory, clock, user_ids, cases, 2)  # warm-up

    statements: list[str] = []
    counting = [False]

    @event.listens_for(db, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if counting[0]:
            statements.append(statement)

    def steps(profile: cProfile.Profile | None = None) -> None:
        for case_id in cases:
            with factory() as session:
                users = {k: session.get(User, v) for k, v in user_ids.items()}
                task = open_task(session, case_id)
                session.commit()
                engine = Engine(session, clock)
                counting[0] = True
                if profile:
                    profile.enable()
                if task.bpmn_id == "ut_5_2_14":
                    engine.complete_task(task.id, users["asesor"], DRAFT)
                else:
                    engine.complete_task(task.id, users["agente_calidad"], REJECT)
                session.commit()
                if profile:
                    profile.disable()
                counting[0] = False

    steps()
    print(f"SQL statements per step          {len(statements) / len(cases):.1f}")
    if args.sql:
        per_step = len(statements) // len(cases)
        for statement in statements[:per_step]:
            print("   ", " ".join(statement.split())[:150])
    profile = cProfile.Profile()
    steps(profile)
    steps(profile)
    stats = pstats.Stats(profile)
    print(f"Python function calls per step   {stats.total_calls / (2 * len(cases)):.0f}")
    by_layer: collections.Counter[str] = collections.Counter()
    for (file, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        by_layer[layer(file, name)] += tottime
    total = sum(by_layer.values())
    for label, seconds in by_layer.most_common():
        print(f"  {label:30} {100 * seconds / total:5.1f} %")
    if args.edges:
        whole = sum(v[3] for k, v in stats.stats.items() if k[2] == "complete_task")
        edges: collections.Counter[str] = collections.Counter()
        for (file, _line, name), (*_, callers) in stats.stats.items():
            if "sqlalchemy" not in file:
                continue
            for (caller_file, _l, caller), timing in callers.items():
                if "sqlalchemy" not in caller_file:
                    edges[f"{Path(caller_file).name}:{caller} -> {name}"] += timing[3]
        print("our code into SQLAlchemy (share of complete_task + commit):")
        for edge, seconds in edges.most_common(15):
            print(f"  {100 * seconds / whole:5.1f} %  {edge}")
    db.dispose()


if __name__ == "__main__":
    main()
