"""The scale-out suite (issue 13), shared by tests/workers/test_scale_out.py (reduced size, on
PostgreSQL and Redis in `.ci/run`) and bench/scale_out.py (full size).

Several gunicorn web processes and several Celery worker processes (plus beat) run against one
database and one Redis, as on several machines. Staff clients (threads, each its own browser
session over HTTP) complete, claim and extend the open tasks of the same few hundred cases at
once, while the shared clock moves so that the workers fire timers. Midway one web process and
one worker are killed with SIGKILL (gunicorn starts a new web process; the worker is started
again, as its supervisor would). Then the suite waits for the outbox to drain and checks:

- the instance state and the inbox agree for every case, and no case is left with an incident;
- no completion was lost or doubled: each task a client was told it completed is completed
  once, and the event log has exactly one completion per completed inbox row;
- a legal term was extended at most once per case, and the case record agrees with the log;
- every e-mail left exactly once (no copy after a finished SMTP exchange, none missing), every
  due timer fired, no request answered 500 and no deadlock happened.
"""

import random
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.task import TaskState
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.definitions import bundle_for
from engine.models import (
    Case,
    Event,
    HumanTask,
    Incident,
    MailDelivery,
    OutboxMessage,
    ProcessInstance,
    User,
)
from tests.stack import Stack
from tests.workers.faults import PASSWORD, Browser
from tests.workers.harness import CeleryProcess, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ACTIVE = ("ut_5_2_6", "ut_5_2_14", "ut_5_2_15", "ut_5_2_16")
REASONS = "Se requiere concepto de otra área para responder de fondo."


@dataclass
class Sizes:
    cases: int = 300
    clients: int = 50
    web_processes: int = 3
    workers: int = 2
    seconds: float = 60.0  # how long the clients work
    clock_step: timedelta = timedelta(hours=3)  # the shared clock moves this much …
    clock_every: float = 2.0  # … every this many seconds
    settle_timeout: float = 300.0


@dataclass
class Figures:
    requests: int = 0
    answered_500: int = 0
    cut: int = 0  # connections a killed web process dropped
    completed: int = 0  # completions the clients were told succeeded
    refused: int = 0  # completions refused (taken by someone else meanwhile, a 4xx)
    claims: int = 0
    extensions: int = 0
    cases_disagreeing: list[str] = field(default_factory=list)
    completed_twice: int = 0
    told_but_not_completed: int = 0
    events_unlike_inbox: list[str] = field(default_factory=list)
    extended_twice: int = 0
    incidents: int = 0
    mails_sent: int = 0
    mails_missing: int = 0
    duplicated_outside: int = 0
    duplicated_inside: int = 0
    outbox_left: int = 0
    timers_overdue: int = 0
    timers_fired: int = 0
    deadlocks: int = 0
    completions_per_second: float = 0.0

    def problems(self) -> list[str]:
        found = {
            "respuestas 500": self.answered_500,
            "casos con estado e inbox distintos": len(self.cases_disagreeing),
            "tareas completadas dos veces": self.completed_twice,
            "completadas según el cliente y no en la base": self.told_but_not_completed,
            "registro de eventos distinto del inbox": len(self.events_unlike_inbox),
            "términos prorrogados dos veces": self.extended_twice,
            "incidentes": self.incidents,
            "correos que faltan": self.mails_missing,
            "correos duplicados fuera del SMTP": self.duplicated_outside,
            "trabajos pendientes en el outbox": self.outbox_left,
            "temporizadores vencidos sin disparar": self.timers_overdue,
            "bloqueos mutuos (deadlocks)": self.deadlocks,
        }
        return [f"{label}: {count}" for label, count in found.items() if count]

    def lines(self) -> list[str]:
        return [
            f"solicitudes                     {self.requests}",
            f"respuestas 500                  {self.answered_500}",
            f"conexiones cortadas (kill -9)   {self.cut}",
            f"completadas / rechazadas        {self.completed} / {self.refused}",
            f"completadas por segundo         {self.completions_per_second:.1f}",
            f"tomas / prórrogas               {self.claims} / {self.extensions}",
            f"temporizadores disparados       {self.timers_fired}",
            f"correos enviados                {self.mails_sent}",
            f"correos duplicados (dentro SMTP) {self.duplicated_inside}",
            *([f"PROBLEMA {p}" for p in self.problems()] or [f"{'problemas':32}ninguno"]),
        ]


def step_form(bpmn_id: str, rng: random.Random) -> dict[str, str]:
    """What a person submits at each step of the loop the clients work on."""
    if bpmn_id == "ut_5_2_6":
        return {"es_felicitacion": "true"}
    if bpmn_id == "ut_5_2_14":
        return {
            "plantilla": "respuesta_de_fondo",
            "respuesta": "Respuesta de prueba con el detalle del caso.",
        }
    if bpmn_id == "ut_5_2_15":
        approve = rng.random() < 0.3
        return {
            "acorde": "true",
            "clara": "true" if approve else "false",
            "sin_errores_forma": "true",
            "cumple": "true" if approve else "false",
            "observaciones_calidad": "" if approve else "Falta la fecha.",
        }
    return {"tipificacion": "cobranza"}


class Gunicorn:
    """``gunicorn -w N web:create_app()`` on a free port, in its own process group."""

    def __init__(self, env: dict[str, str], processes: int, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / "gunicorn.log"
        command = [
            GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(processes),
            "--timeout", "60", "--graceful-timeout", "5", "web:create_app()",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_for(self._answers, 60, "gunicorn to answer")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log()}")
        try:
            return Browser(self.port).send("GET", "/cuenta/funcionarios")[0] == 200
        except OSError:
            return False

    def children(self) -> list[int]:
        listed = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in listed.split()]

    def kill_one(self) -> int:
        """SIGKILL one web process, as a crash would; the master starts another."""
        victim = self.children()[0]
        subprocess.run(["kill", "-9", str(victim)], check=False)
        return victim

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ScaleOut:
    def __init__(self, stack: Stack, session: Session, sizes: Sizes, say=lambda _m: None) -> None:
        self.stack = stack
        self.session = session  # the suite's own reads, short transactions
        self.sizes = sizes
        self.say = say
        self.rng = random.Random(13)
        self.figures = Figures()
        self.told_completed: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.web: Gunicorn | None = None
        # The shared clock jumps hours at a time: sessions would end at every jump.
        stack.env.update(SESSION_IDLE_MINUTES="1000000", SESSION_MAX_HOURS="1000000")
        self.workers = [
            CeleryProcess("worker", stack.env, stack.tmp, f"--hostname=w{n}@%h", name=f"w{n}")
            for n in range(sizes.workers)
        ]

    # ---- running -------------------------------------------------------------------------

    def start(self) -> None:
        self.web = Gunicorn(self.stack.env, self.sizes.web_processes, self.stack.tmp)
        for worker in self.workers:
            worker.start()
        self.stack.beat.start()

    def stop(self) -> None:
        self.stack.beat.stop()
        for worker in self.workers:
            worker.stop()
        if self.web is not None:
            self.web.stop()

    def run(self, staff: dict[str, list[str]]) -> Figures:
        """Clients work for ``sizes.seconds`` while the clock moves; one web process and one
        worker are killed at a third of the run; then everything settles and is checked."""
        self.deadlocks_before = self._deadlocks()
        accounts = [(username, group) for group, names in staff.items() for username in names]
        browsers: list[Browser | None] = [None] * len(accounts)

        def log_in(n: int) -> None:
            browsers[n] = self._log_in(accounts[n][0])

        logging_in = [threading.Thread(target=log_in, args=(n,)) for n in range(len(accounts))]
        for thread in logging_in:
            thread.start()
        for thread in logging_in:
            thread.join()
        started = time.monotonic()
        clients = [
            threading.Thread(target=self._client, args=(browser, *account, n), daemon=True)
            for n, (browser, account) in enumerate(zip(browsers, accounts, strict=True))
        ]
        for client in clients:
            client.start()
        ticker = threading.Thread(target=self._move_clock, daemon=True)
        ticker.start()
        time.sleep(self.sizes.seconds / 3)
        killed = self.web.kill_one()
        self.say(f"kill -9 del proceso web {killed}")
        self.workers[0].kill()
        self.say("kill -9 del worker w0")
        time.sleep(2)
        self.workers[0].start()
        time.sleep(max(0.0, self.sizes.seconds - (time.monotonic() - started)))
        self._stop.set()
        for client in clients:
            client.join(120)
        ticker.join(30)
        self.figures.completions_per_second = self.figures.completed / self.sizes.seconds
        self.settle()
        return self.check()

    def _move_clock(self) -> None:
        while not self._stop.wait(self.sizes.clock_every):
            self.stack.clock.set(self.stack.clock.now() + self.sizes.clock_step)

    def _client(self, browser: Browser, _username: str, group: str, seed: int) -> None:
        rng = random.Random(seed)
        while not self._stop.is_set():
            task = self._pick(group, rng)
            if task is None:
                time.sleep(0.05)
                continue
            task_id, bpmn_id, radicado = task
            try:
                roll = rng.random()
                if roll < 0.1 and group == "asesor":
                    self._extend(browser, radicado)
                elif roll < 0.25:
                    self._claim(browser, task_id)
                else:
                    self._complete(browser, task_id, bpmn_id, rng)
            except OSError:  # the web process answering was killed; the session lives on
                with self._lock:
                    self.figures.cut += 1

    def _log_in(self, username: str) -> Browser:
        def attempt() -> Browser | None:
            browser = Browser(self.web.port)
            try:
                _status, _h, page, _s = browser.send("GET", "/cuenta/funcionarios")
                token = CSRF.search(page).group(1)
                form = {"csrf_token": token, "username": username, "password": PASSWORD}
                status, *_rest = browser.send("POST", "/cuenta/funcionarios", form)
            except OSError:
                return None
            return browser if status == 302 else None

        return wait_for(attempt, 60, f"{username} to log in", interval=0.2)

    def _pick(self, group: str, rng: random.Random) -> tuple[str, str, str] | None:
        with Session(self.session.get_bind()) as session:
            rows = session.execute(
                select(HumanTask.id, HumanTask.bpmn_id, HumanTask.business_key)
                .where(
                    HumanTask.state == "open",
                    HumanTask.candidate_group == group,
                    HumanTask.bpmn_id.in_(ACTIVE),
                )
                .limit(200)
            ).all()
        return tuple(rng.choice(rows)) if rows else None

    def _send(self, browser: Browser, method: str, path: str, form=None) -> tuple[int, str]:
        status, headers, page, _s = browser.send(method, path, form)
        if status == 302 and "/cuenta/" in headers.get("Location", ""):
            raise AssertionError(f"{method} {path}: the session ended")
        with self._lock:
            self.figures.requests += 1
            if status >= 500:
                self.figures.answered_500 += 1
                self.say(f"500 en {method} {path}")
        return status, page

    def _token(self, browser: Browser, path: str) -> str | None:
        status, page = self._send(browser, "GET", path)
        found = CSRF.search(page) if status == 200 else None
        if found is None:
            self.say(f"GET {path}: {status}")
        return found.group(1) if found else None

    def _complete(self, browser: Browser, task_id: str, bpmn_id: str, rng: random.Random) -> None:
        path = f"/bandeja/tareas/{task_id}"
        token = self._token(browser, path)
        if token is None:
            return
        status, _page = self._send(
            browser, "POST", path, {"csrf_token": token, **step_form(bpmn_id, rng)}
        )
        with self._lock:
            if status == 302:
                self.figures.completed += 1
                self.told_completed[task_id] += 1
            else:
                self.figures.refused += 1

    def _claim(self, browser: Browser, task_id: str) -> None:
        token = self._token(browser, f"/bandeja/tareas/{task_id}")
        if token is None:
            return
        status, _page = self._send(
            browser, "POST", f"/bandeja/tareas/{task_id}/tomar", {"csrf_token": token}
        )
        if status == 302:
            with self._lock:
                self.figures.claims += 1

    def _extend(self, browser: Browser, radicado: str) -> None:
        token = self._token(browser, f"/bandeja/casos/{radicado}")
        if token is None:
            return
        form = {"csrf_token": token, "dias": "5", "motivos": REASONS}
        status, _page = self._send(browser, "POST", f"/bandeja/casos/{radicado}/prorroga", form)
        if status == 302:
            with self._lock:
                self.figures.extensions += 1

    # ---- settling and checking -----------------------------------------------------------

    def settle(self) -> None:
        """Wait until the workers have done every job and fired every due timer."""

        def settled() -> bool:
            with Session(self.session.get_bind()) as session:
                pending = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == "pending")
                )
                overdue = session.scalar(
                    select(func.count())
                    .select_from(ProcessInstance)
                    .where(
                        ProcessInstance.status == "running",
                        ProcessInstance.next_timer_at <= self.stack.clock.now(),
                    )
                )
            return pending == 0 and overdue == 0

        try:
            wait_for(settled, self.sizes.settle_timeout, "the outbox and the timers to settle", 0.5)
        except AssertionError:
            self.say("no se asentó a tiempo; se revisa lo que hay")

    def check(self) -> Figures:
        figures = self.figures
        with Session(self.session.get_bind()) as session:
            self._check_instances(session, figures)
            self._check_completions(session, figures)
            self._check_mail(session, figures)
            figures.extended_twice = session.scalar(
                select(func.count()).select_from(
                    select(Event.case_id)
                    .where(Event.kind == "prorroga")
                    .group_by(Event.case_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            figures.incidents = session.scalar(select(func.count()).select_from(Incident))
            figures.outbox_left = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "done")
            )
            figures.timers_overdue = session.scalar(
                select(func.count())
                .select_from(ProcessInstance)
                .where(
                    ProcessInstance.status == "running",
                    ProcessInstance.next_timer_at <= self.stack.clock.now(),
                )
            )
            figures.timers_fired = session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == "timer")
            )
        figures.deadlocks = self._deadlocks() - self.deadlocks_before + self._deadlocks_logged()
        return figures

    def _check_instances(self, session: Session, figures: Figures) -> None:
        for instance in session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_id.is_not(None))
        ):
            workflow = bundle_for(session, instance.deployment_id).load(instance.state)
            ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
            inbox = set(
                session.scalars(
                    select(HumanTask.id).where(
                        HumanTask.instance_id == instance.id, HumanTask.state == "open"
                    )
                )
            )
            if ready != inbox:
                figures.cases_disagreeing.append(instance.business_key or str(instance.id))

    def _check_completions(self, session: Session, figures: Figures) -> None:
        completed = set(session.scalars(select(HumanTask.id).where(HumanTask.state == "completed")))
        figures.completed_twice = sum(1 for n in self.told_completed.values() if n > 1)
        figures.told_but_not_completed = sum(1 for t in self.told_completed if t not in completed)
        rows = dict(
            session.execute(
                select(HumanTask.case_id, func.count())
                .where(HumanTask.state == "completed", HumanTask.bpmn_id.in_(ACTIVE))
                .group_by(HumanTask.case_id)
            ).all()
        )
        events = dict(
            session.execute(
                select(Event.case_id, func.count())
                .where(Event.kind == "task_completed", Event.bpmn_id.in_(ACTIVE))
                .group_by(Event.case_id)
            ).all()
        )
        for case_id in set(rows) | set(events):
            if rows.get(case_id, 0) != events.get(case_id, 0):
                radicado = session.get(Case, case_id).radicado
                figures.events_unlike_inbox.append(radicado)

    def _check_mail(self, session: Session, figures: Figures) -> None:
        sent = session.scalars(
            select(MailDelivery.message_id).where(MailDelivery.status == "sent")
        ).all()
        received = {m["Message-ID"] for m in self.stack.smtp.messages}
        figures.mails_sent = len(sent)
        figures.mails_missing = sum(1 for message_id in sent if message_id not in received)
        figures.duplicated_inside, figures.duplicated_outside = self.stack.smtp.inbox.duplicates()

    def _deadlocks(self) -> int:
        with Session(self.session.get_bind()) as session:
            if session.get_bind().dialect.name != "postgresql":
                return 0
            return session.scalar(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            )

    def _logs(self) -> dict[str, str]:
        logs = {"gunicorn": self.web.log(), "beat": self.stack.beat.log()}
        logs.update((w.name, w.log()) for w in self.workers)
        return logs

    def _deadlocks_logged(self) -> int:
        return sum(log.lower().count("deadlock detected") for log in self._logs().values())

    def log_tails(self, lines: int = 30) -> str:
        """The end of each process's log, to read when a check failed."""
        return "\n".join(
            f"--- {name} ---\n" + "\n".join(log.splitlines()[-lines:])
            for name, log in self._logs().items()
        )


def staff_accounts(sizes: Sizes) -> dict[str, list[str]]:
    """Usernames per group: two thirds Asesores, the rest quality agents."""
    asesores = max(1, sizes.clients * 2 // 3)
    return {
        "asesor": [f"asesor.{n:02d}" for n in range(asesores)],
        "agente_calidad": [f"calidad.{n:02d}" for n in range(sizes.clients - asesores)],
    }


def prepare(app: Any, sizes: Sizes, staff: dict[str, list[str]]) -> None:
    """Deploy, create the staff, set every answer to be reviewed, and file ``sizes.cases``
    cases through the real engine (the workers pick up their outbox rows once started)."""
    from engine.configuration import set_review_share
    from engine.runtime import Engine
    from tests import factories as f
    from tests.workers.faults import create_citizens
    from web.demo import ensure_staff, init_db
    from web.extensions import db
    from web.outbox import commit

    init_db(app)
    create_citizens(app, ["91000000"])
    with app.app_context():
        for group, usernames in staff.items():
            for username in usernames:
                ensure_staff(username, f"Persona {username}", [group])
        clock = app.extensions["clock"]
        set_review_share(db.session, 100, None, clock.now())
        db.session.commit()
        engine = Engine(db.session, clock)
        citizen = db.session.scalars(select(User).where(User.username == "91000000")).one()
        for _ in range(sizes.cases):
            f.file_case(engine, citizen)
            commit()
        db.session.remove()
