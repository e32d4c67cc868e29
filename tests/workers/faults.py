"""The fault suite (issue 12 §6), shared by tests/workers/test_faults.py (small sizes, seconds)
and bench/faults.py (full size, minutes).

Citizens log in and file over HTTP against the real app (served on loopback by a threaded
server in this process, dispatching to the real Celery worker and beat processes), on the
real database, with a Redis of the suite's own, and an SMTP server on loopback that notes
how each conversation ended. Faults injected: the worker killed with SIGKILL mid-flight,
Redis stopped while people file and log in, SMTP down then back, identical submissions at
once. ``Figures`` is what the suite reports.
"""

import http.client
import re
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.models import Case, Incident, OutboxMessage, ProcessInstance
from tests.workers.harness import CeleryProcess, SmtpServer, wait_for
from workers.embedded_redis import EmbeddedRedis

PASSWORD = "Demo2026!seguro"
# «¿Usuario registrado?» made to count to 10**10 before answering (two nested ranges, which the
# validator lets through): only the runtime budget stops it.
LOOPING_CONDITION = (
    'tFormalExpression">registrado<',
    'tFormalExpression">any(i &lt; 0 for i in range(99999) for j in range(99999)) or registrado<',
)

FILING = {
    "tipo": "reclamo",
    "servicio": "credito_educativo",
    "descripcion": "Me cobraron dos veces la cuota del crédito educativo en marzo de 2026.",
}
RADICADO = re.compile(r"/mis-casos/(AV-\d{4}-\d{6})")
FORM = re.compile(r"<form\b.*?</form>", re.S)
HIDDEN = re.compile(r"<input\b[^>]*\btype=\"hidden\"[^>]*>")
ATTR = re.compile(r'\b(name|value)="([^"]*)"')


@dataclass
class Sizes:
    filings: int = 60  # filed while the worker is killed `kills` times
    kills: int = 3
    clients: int = 4  # citizens filing at the same time
    redis_outage: float = 20.0  # seconds Redis stays down (0: for `outage_requests` only)
    outage_requests: int = 10  # at least this many filings and as many logins meanwhile
    smtp_outage: float = 20.0  # seconds SMTP stays down (0: until every job has failed once)
    smtp_filings: int = 10
    identical_groups: int = 2
    identical_copies: int = 6
    settle_timeout: float = 600.0  # how long to wait for every acknowledgement at the end
    looping_filings: int = 3  # filed through a diagram whose condition loops


@dataclass
class Request:
    scenario: str
    kind: str  # login | filing | identical | page | bad (through a looping diagram)
    status: int
    seconds: float
    at: float  # wall time of the answer
    radicado: str | None = None
    subject: str | None = None


@dataclass
class Figures:
    filed: int = 0  # filings the citizen was told were received
    lost: int = 0  # told received, but no case, or no acknowledgement in the end
    duplicated_inside: int = 0  # extra copies after a crash inside the SMTP exchange
    duplicated_outside: int = 0  # extra copies after an exchange that had ended
    longest_delay: float = 0.0  # seconds from filing to its acknowledgement on the server
    longest_delay_after_smtp: float = 0.0  # from SMTP back (SMTP scenario)
    answered_500: int = 0
    requests: int = 0
    p95_ms: float = 0.0  # requests not part of the identical submissions
    p95_by_scenario: dict[str, float] = field(default_factory=dict)
    delay_by_scenario: dict[str, float] = field(default_factory=dict)
    errors_by_scenario: dict[str, dict[int, int]] = field(default_factory=dict)
    identical_cases: list[int] = field(default_factory=list)  # cases per identical group
    looping_filed: int = 0  # filings through a diagram whose condition loops
    looping_kept: int = 0  # of those, cases kept with an incident naming the budget
    looping_slowest: float = 0.0  # seconds of the slowest of those filings

    def lines(self) -> list[str]:
        groups = ", ".join(str(n) for n in self.identical_cases)
        return [
            f"radicaciones confirmadas        {self.filed}",
            f"casos perdidos                  {self.lost}",
            f"correos duplicados (dentro SMTP) {self.duplicated_inside}",
            f"correos duplicados (fuera SMTP)  {self.duplicated_outside}",
            f"mayor demora de un correo       {self.longest_delay:.1f} s",
            *(f"  demora {k:<23}{v:.1f} s" for k, v in self.delay_by_scenario.items()),
            f"  tras volver el SMTP           {self.longest_delay_after_smtp:.1f} s",
            f"solicitudes con 500             {self.answered_500} de {self.requests}",
            f"p95 de las demás solicitudes    {self.p95_ms:.0f} ms",
            *(f"  p95 {k:<26}{v:.0f} ms" for k, v in self.p95_by_scenario.items()),
            *(f"  errores {k:<22}{v}" for k, v in self.errors_by_scenario.items() if v),
            f"envíos idénticos: casos por grupo {groups}",
            f"radicado por un guion en bucle  {self.looping_filed}, guardados con incidente "
            f"{self.looping_kept}, el más lento {self.looping_slowest:.2f} s",
        ]


class Browser:
    """One person's browser: cookies kept, redirects not followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        seconds = time.perf_counter() - started
        for raw in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, dict(response.headers), text, seconds

    def form_fields(self, path: str, marker: str) -> dict[str, str]:
        """The hidden fields (CSRF, a one-time token if any) of the form holding ``marker``."""
        status, _headers, page, _s = self.send("GET", path)
        if status != 200:
            raise AssertionError(f"GET {path} answered {status}")
        form = next((f for f in FORM.findall(page) if marker in f), "")
        fields = {}
        for tag in HIDDEN.findall(form):
            attrs = dict(ATTR.findall(tag))
            if "name" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")
        return fields


class FaultSuite:
    def __init__(
        self,
        app: Flask,
        worker: CeleryProcess,
        beat: CeleryProcess,
        smtp: SmtpServer,
        redis_server: EmbeddedRedis,
        sizes: Sizes,
        citizens: list[str],
        say: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.app = app
        self.worker = worker
        self.beat = beat
        self.smtp = smtp
        self.redis = redis_server
        self.sizes = sizes
        self.citizens = citizens
        self.say = say
        self.requests: list[Request] = []
        self.smtp_back_at: float | None = None
        self.smtp_subjects: set[str] = set()
        self._counter = 0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---- running -------------------------------------------------------------------------

    def __enter__(self) -> "FaultSuite":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._thread.join(10)

    def run(self) -> Figures:
        self.kill_the_worker_while_filing()
        self.stop_redis_while_filing_and_logging_in()
        self.smtp_down_then_back()
        identical = self.identical_submissions_at_once()
        self.looping_script_while_filing()
        return self.figures(identical)

    # ---- people --------------------------------------------------------------------------

    def _next_subject(self, scenario: str) -> str:
        with self._lock:
            self._counter += 1
            return f"Prueba de fallas {scenario} {self._counter:04d}"

    def log_in(self, scenario: str, document: str) -> Browser:
        browser = Browser(self.port)
        fields = browser.form_fields("/cuenta/ingresar", 'name="documento"')
        form = {**fields, "documento": document, "password": PASSWORD}
        status, _h, _t, seconds = browser.send("POST", "/cuenta/ingresar", form)
        self.requests.append(Request(scenario, "login", status, seconds, time.time()))
        if status != 302:
            raise LoginFailed(status)
        return browser

    def file(self, scenario: str, browser: Browser, kind: str = "filing") -> Request:
        fields = browser.form_fields("/radicar", 'name="asunto"')
        subject = self._next_subject(scenario)
        request = self._post_filing(browser, {**fields, **FILING, "asunto": subject}, scenario)
        request.kind = kind
        return request

    def _post_filing(self, browser: Browser, form: dict[str, str], scenario: str) -> Request:
        status, headers, _t, seconds = browser.send("POST", "/radicar", form)
        found = RADICADO.search(headers.get("Location", "")) if status == 302 else None
        request = Request(
            scenario, "filing", status, seconds, time.time(),
            radicado=found.group(1) if found else None, subject=form["asunto"],
        )  # fmt: skip
        self.requests.append(request)
        return request

    def _citizens_filing(
        self,
        scenario: str,
        count: int,
        until: Callable[[], bool],
        browsers: list[Browser] | None = None,
    ) -> None:
        """``clients`` citizens file ``count`` cases between them, and go on until ``until``."""
        remaining = iter(range(10**9))
        if browsers is None:
            browsers = self.logged_in(scenario)

        def citizen(browser: Browser) -> None:
            while True:
                with self._lock:
                    n = next(remaining)
                if n >= count and until():
                    return
                try:
                    self.file(scenario, browser)
                except (OSError, http.client.HTTPException, AssertionError) as exc:
                    self.say(f"  {scenario}: la radicación falló en el cliente: {exc}")

        threads = [threading.Thread(target=citizen, args=(b,)) for b in browsers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def logged_in(self, scenario: str) -> list[Browser]:
        return [
            self._log_in_retrying(scenario, document)
            for document in self.citizens[: self.sizes.clients]
        ]

    def _log_in_retrying(self, scenario: str, document: str) -> Browser:
        for _ in range(20):
            try:
                return self.log_in(scenario, document)
            except LoginFailed:
                continue  # counted in the figures; the person tries again
        raise AssertionError(f"{document} could not log in")

    def _filed(self, scenario: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.radicado and r.kind == "filing" and scenario in (None, r.scenario)
        ]

    # ---- scenarios -----------------------------------------------------------------------

    def kill_the_worker_while_filing(self) -> None:
        """``filings`` cases filed while the worker is killed (SIGKILL) ``kills`` times and
        started again at once, as `dev.py run` restarts it."""
        sizes = self.sizes
        self.say(f"- {sizes.filings} radicaciones; el worker muere {sizes.kills} veces (kill -9)")
        marks = [sizes.filings * (i + 1) // (sizes.kills + 1) for i in range(sizes.kills)]

        def killer() -> None:
            for mark in marks:
                wait_for(
                    lambda m=mark: len(self._filed("worker")) >= m,
                    timeout=sizes.settle_timeout, what=f"{mark} filings",
                )  # fmt: skip
                self.worker.kill()
                self.worker.start()

        thread = threading.Thread(target=killer)
        thread.start()
        self._citizens_filing("worker", sizes.filings, until=lambda: True)
        thread.join()

    def stop_redis_while_filing_and_logging_in(self) -> None:
        sizes = self.sizes
        self.say(f"- Redis detenido {sizes.redis_outage:.0f} s mientras se radica e ingresa")
        browsers = self.logged_in("redis")  # then they file while Redis is down
        self.redis.stop()
        stopped = time.monotonic()
        done = threading.Event()

        def outage_over() -> bool:
            return time.monotonic() - stopped >= sizes.redis_outage and done.is_set()

        def logins() -> None:
            n = 0
            while n < sizes.outage_requests or time.monotonic() - stopped < sizes.redis_outage:
                with suppress(LoginFailed):
                    self.log_in("redis", self.citizens[-1])
                n += 1
            done.set()

        login_thread = threading.Thread(target=logins)
        login_thread.start()
        self._citizens_filing("redis", sizes.outage_requests, until=outage_over, browsers=browsers)
        login_thread.join()
        self.redis.start()

    def smtp_down_then_back(self) -> None:
        sizes = self.sizes
        self.say(f"- SMTP caído {sizes.smtp_outage:.0f} s con {sizes.smtp_filings} radicaciones")
        self.smtp.stop()
        stopped = time.monotonic()
        self._citizens_filing("smtp", sizes.smtp_filings, until=lambda: True)
        # Down until every one of these jobs has tried and failed at least once.
        keys = {r.radicado for r in self._filed("smtp")}
        wait_for(
            lambda: self._failed_once(keys),
            timeout=sizes.settle_timeout, what="every e-mail to fail once",
        )  # fmt: skip
        while time.monotonic() - stopped < sizes.smtp_outage:
            time.sleep(0.2)  # the outage lasts its length, no shorter
        self.smtp.start()
        self.smtp_back_at = time.time()

    def _failed_once(self, radicados: set[str | None]) -> bool:
        from engine.models import MailDelivery

        with self.app.app_context():
            from web.extensions import db

            rows = db.session.scalars(select(MailDelivery).where(MailDelivery.status == "failed"))
            failed = {r.subject for r in rows}
            db.session.remove()
        return all(any(r and r in s for s in failed) for r in radicados)

    def identical_submissions_at_once(self) -> list[list[Request]]:
        """Groups of the same filing form (same session, same hidden fields) sent at once."""
        sizes = self.sizes
        self.say(f"- {sizes.identical_groups} × {sizes.identical_copies} envíos idénticos a la vez")
        return [
            self._identical_group(sizes.identical_copies) for _ in range(sizes.identical_groups)
        ]

    def _identical_group(self, copies: int) -> list[Request]:
        browser = self._log_in_retrying("identical", self.citizens[0])
        fields = browser.form_fields("/radicar", 'name="asunto"')
        form = {**fields, **FILING, "asunto": self._next_subject("identical")}
        barrier = threading.Barrier(copies)
        answers: list[Request] = []

        def submit() -> None:
            twin = Browser(self.port)
            twin.cookies = dict(browser.cookies)
            barrier.wait()
            request = self._post_filing(twin, form, "identical")
            request.kind = "identical"
            answers.append(request)

        threads = [threading.Thread(target=submit) for _ in range(copies)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return answers

    def looping_script_while_filing(self) -> None:
        """A process owner deploys a diagram whose «¿Usuario registrado?» condition loops; one
        citizen files through it while others log in and read their cases. Each looping filing
        must be kept with an incident (the budget stops the condition) and the other requests
        must stay fast; then a corrected version is deployed."""
        self.say("- una condición en bucle desplegada; se radica a través de ella")
        good = self._deploy(lambda bpmn: bpmn)
        self._deploy(lambda bpmn: bpmn.replace(*LOOPING_CONDITION))
        browsers = self.logged_in("loop")
        done = threading.Event()

        def others(browser: Browser) -> None:
            while not done.is_set():
                status, _h, _t, seconds = browser.send("GET", "/mis-casos")
                self.requests.append(Request("loop", "page", status, seconds, time.time()))

        threads = [threading.Thread(target=others, args=(b,)) for b in browsers[1:]]
        for t in threads:
            t.start()
        for _ in range(self.sizes.looping_filings):
            self.file("loop", browsers[0], kind="bad")
        done.set()
        for t in threads:
            t.join()
        self._deploy(lambda bpmn: good["bpmn/caso_pqrs.bpmn"] + "\n<!-- corregido -->\n")

    def _deploy(self, edit: Callable[[str], str]) -> dict[str, str]:
        from engine.definitions import read_directory
        from engine.runtime import Engine

        with self.app.app_context():
            from web.extensions import db

            files = read_directory(Path(self.app.config["DEFINITIONS_ROOT"]))
            files["bpmn/caso_pqrs.bpmn"] = edit(files["bpmn/caso_pqrs.bpmn"])
            Engine(db.session, self.app.extensions["clock"]).deploy(files)
            db.session.commit()
            db.session.remove()
        return files

    def _looping_figures(self, figures: "Figures") -> None:
        looping = [r for r in self.requests if r.kind == "bad"]
        radicados = {r.radicado for r in looping if r.radicado}
        with self.app.app_context():
            from web.extensions import db

            kept = db.session.scalars(
                select(Case.radicado)
                .join(ProcessInstance, ProcessInstance.case_id == Case.id)
                .join(Incident, Incident.instance_id == ProcessInstance.id)
                .where(Case.radicado.in_(radicados), Incident.error.contains("superó su límite"))
            ).all()
            db.session.remove()
        figures.looping_filed = len(looping)
        figures.looping_kept = len(set(kept))
        figures.looping_slowest = max((r.seconds for r in looping), default=0.0)

    # ---- figures -------------------------------------------------------------------------

    def settle(self) -> None:
        """Wait until every filed case's acknowledgement job has finished."""
        wait_for(self._settled, timeout=self.sizes.settle_timeout, what="every acknowledgement")

    def _acknowledgements(self) -> dict[str, str]:
        """Each case's acknowledgement job: radicado → outbox status."""
        with self.app.app_context():
            from web.extensions import db

            radicados = {i: r for i, r in db.session.execute(select(Case.id, Case.radicado))}
            jobs = db.session.execute(
                select(OutboxMessage.status, OutboxMessage.params).where(
                    OutboxMessage.operation == "notify"
                )
            ).all()
            db.session.remove()
        return {
            radicados[params["case_id"]]: status
            for status, params in jobs
            if (params or {}).get("plantilla") == "acuse" and params.get("case_id") in radicados
        }

    def _settled(self) -> bool:
        statuses = self._acknowledgements()
        return all(statuses.get(r.radicado) in {"done", "failed"} for r in self._cases_told())

    def _cases_told(self) -> list[Request]:
        """Cases the citizen was told were filed and must be acknowledged (a case filed through
        a looping diagram stops before its acknowledgement, with an incident)."""
        return [r for r in self.requests if r.radicado and r.kind != "bad"]

    def _subjects_in_database(self) -> set[str]:
        with self.app.app_context():
            from web.extensions import db

            subjects = set(db.session.scalars(select(Case.subject)))
            db.session.remove()
        return subjects

    def figures(self, identical: list[list[Request]]) -> Figures:
        self.settle()
        told = self._cases_told()
        statuses = self._acknowledgements()
        first_copy: dict[str, float] = {}
        for message in self.smtp.messages:
            for request in told:
                if request.radicado and request.radicado in str(message["Subject"]):
                    at = float(message["X-Received-At"])
                    first_copy.setdefault(request.radicado, at)
        lost = [r for r in told if statuses.get(r.radicado) is None or r.radicado not in first_copy]
        delays = [first_copy[r.radicado] - r.at for r in told if r.radicado in first_copy]
        after_smtp = [
            first_copy[r.radicado] - (self.smtp_back_at or 0)
            for r in self._filed("smtp")
            if r.radicado in first_copy
        ]
        inside, outside = self.smtp.inbox.duplicates()
        timed = [r for r in self.requests if r.kind not in ("identical", "bad") and r.status < 500]
        figures = Figures(
            filed=len({r.radicado for r in told}),
            lost=len(lost),
            duplicated_inside=inside,
            duplicated_outside=outside,
            longest_delay=max(delays, default=0.0),
            longest_delay_after_smtp=max(after_smtp, default=0.0),
            answered_500=sum(1 for r in self.requests if r.status >= 500),
            requests=len(self.requests),
            p95_ms=_p95([r.seconds for r in timed]) * 1000,
        )
        for scenario in dict.fromkeys(r.scenario for r in self.requests):
            of_scenario = [r for r in self.requests if r.scenario == scenario]
            figures.p95_by_scenario[scenario] = (
                _p95([r.seconds for r in of_scenario if r.status < 500 and r.kind != "bad"]) * 1000
            )
            figures.delay_by_scenario[scenario] = max(
                (first_copy[r.radicado] - r.at for r in of_scenario if r.radicado in first_copy),
                default=0.0,
            )
            errors: dict[int, int] = {}
            for r in of_scenario:
                if r.status >= 400:
                    errors[r.status] = errors.get(r.status, 0) + 1
            figures.errors_by_scenario[scenario] = errors
        subjects = self._subjects_in_database()
        with self.app.app_context():
            from web.extensions import db

            figures.identical_cases = [
                len(
                    db.session.scalars(
                        select(Case.id).where(Case.subject == group[0].subject)
                    ).all()
                )
                for group in identical
                if group
            ]
            db.session.remove()
        # A case the citizen was told about must exist (by its subject, which is unique).
        figures.lost += sum(1 for r in told if r.subject not in subjects)
        self._looping_figures(figures)
        return figures


class LoginFailed(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"el ingreso respondió {status}")
        self.status = status


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def citizen_documents(count: int) -> list[str]:
    return [f"9100000{n:03d}" for n in range(count)]


def create_citizens(app: Flask, documents: list[str]) -> None:
    from web.demo import ensure_citizen
    from web.extensions import db

    with app.app_context():
        for document in documents:
            ensure_citizen(
                {
                    "document_type": "CC",
                    "document_number": document,
                    "full_name": f"Ciudadana de prueba {document}",
                    "email": f"c{document}@example.com",
                    "phone": "3001234567",
                    "address": "Calle 1 # 2-3",
                },
                app.config["CONSENT_POLICY_VERSION"],
            )
        db.session.commit()


def suite_app_config(database_url: str, clock: Any, redis_url: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "fault-suite",
        "CLOCK": clock,
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "LOGIN_RATE_LIMIT": "100000/minute",  # the suite logs in often from one address
    }
