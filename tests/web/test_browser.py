"""One case end to end in a real browser, against a real server, checked with axe-core.

Citizen registers and files → Asesor reviews, analyses, escalates → Fondos answers →
Asesor drafts from a protocol template → Calidad rejects → Asesor corrects → Calidad approves
and classifies → the citizen reads the answer. The service tasks run on the real workers'
stack (tests/stack.py): the app hands each request's outbox rows to Celery on a real Redis,
a real worker process looks the citizen up in the legacy demo dataset and sends the e-mails
to a real SMTP server on loopback, and beat sweeps the outbox.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright import sync_api
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import OutboxMessage
from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import PASSWORD, PDF, World, app_config, init_reviewed_db, serving
from tests.workers.harness import SmtpServer, wait_for
from web import create_app
from web.demo import GROUPS
from web.extensions import db
from workers.legacy import SYSTEMS, DemoAdapter

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# What the test process reads of the workers' settings (see the workers' `desk` fixture).
WORKER_ENV = ("REDIS_URL", "CLOCK_FILE", "BEAT_INTERVAL", "OUTBOX_REDISPATCH_AFTER")
# A citizen of the workers' legacy demo dataset (workers/legacy/demo_data): on record in
# C&CTEX, COBOL and FOX PRO under another name than the one she registers with.
DOCUMENT = "1098765432"


@pytest.fixture
def live_app(
    stack: Stack,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Flask, str]]:
    """The app with WORKERS on, served on loopback; the worker and beat running."""
    for name in WORKER_ENV:
        monkeypatch.setenv(name, stack.env[name])
    app = create_app(app_config(stack.env["DATABASE_URL"], stack.clock, WORKERS=True))
    init_reviewed_db(app)
    stack.worker.start()
    stack.beat.start()
    with serving(app) as base:
        yield app, base
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Actor:
    """One person at their own browser context."""

    def __init__(self, browser: Any, base: str, name: str, width: int = 1280) -> None:
        # bypass_csp lets the test inject axe-core; the app's own pages run no script.
        self.context = browser.new_context(
            bypass_csp=True, locale="es-CO", viewport={"width": width, "height": 900}
        )
        self.page = self.context.new_page()
        self.base = base
        self.name = name
        self.shots = 0

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(
            path=ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png", full_page=True
        )

    def axe(self, label: str) -> None:
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        )
        violations = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
        ]
        assert violations == [], f"axe on {label}: {violations}"

    def staff_login(self, username: str) -> None:
        self.go("/cuenta/funcionarios")
        self.page.get_by_label("Usuario").fill(username)
        self.page.get_by_label("Contraseña").fill(PASSWORD)
        self.page.get_by_role("button", name="Ingresar").click()
        self.page.wait_for_url("**/bandeja/**")

    def citizen_login(self, document: str, password: str) -> None:
        self.go("/cuenta/ingresar")
        self.page.get_by_label("Número de documento").fill(document)
        self.page.get_by_label("Contraseña").fill(password)
        self.page.get_by_role("button", name="Ingresar").click()
        self.page.wait_for_url("**/mis-casos")

    def follow_mailed_link(self, smtp: SmtpServer, subject: str, to: str) -> None:
        """Open the link of the newest e-mail with ``subject`` the worker sent to ``to``."""

        def mailed() -> list[Any]:
            return [m for m in smtp.with_subject(subject) if m["To"] == to]

        message = wait_for(mailed, 60, f"the e-mail «{subject}»", interval=0.1)[-1]
        body = message.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"https?://\S+/cuenta/verificar/\S+", body).group(0)
        self.page.goto(link)

    def earlier_records(self) -> str:
        """What the earlier steps recorded, as the task page shows it, older ones unfolded."""
        section = self.page.locator('section[aria-labelledby="antes-titulo"]')
        for more in section.locator("details.earlier-more:not([open]) > summary").all():
            more.click()
        return section.inner_text()

    def open_task(self, radicado: str, task_name: str) -> None:
        self.go("/bandeja/?vista=group")
        row = self.page.locator("tr", has_text=radicado)
        row.get_by_role("link", name=task_name).click()
        self.page.get_by_role("heading", level=1, name=task_name).wait_for()

    def submit_task(self) -> None:
        self.page.get_by_role("button", name="Completar la tarea").click()
        self.page.get_by_text("Tarea completada").wait_for()


def _settle(app: Flask, timeout: float = 60.0) -> None:
    """Wait until the workers have run every outbox row: none pending, none failed."""

    def settled() -> bool:
        with app.app_context(), Session(db.engine) as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status.in_(("pending", "failed")))
                .order_by(OutboxMessage.id)
            ).all()
        failed = [
            (row.id, row.operation, row.params.get("plantilla"), row.last_error)
            for row in rows
            if row.status == "failed"
        ]
        assert not failed, f"outbox rows failed: {failed}"
        return not rows

    wait_for(settled, timeout, "the workers to settle the outbox", interval=0.1)


def test_a_case_from_registration_to_the_citizens_answer(
    live_app,
    browser,
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    world.staff("asesor", "asesor")
    world.staff("funcionario.fondos", "area_fondos")
    world.staff("calidad", "agente_calidad")

    # 5.2.1-5.2.5: the citizen registers and files a reclamo with a PDF.
    citizen = Actor(browser, base, "ciudadano")
    citizen.go("/")
    citizen.axe("portal: inicio")
    citizen.shot("inicio")
    citizen.page.get_by_role("link", name="No estoy registrado: crear cuenta").click()
    page = citizen.page
    page.get_by_label("Tipo de documento").select_option("CC")
    page.get_by_label("Número de documento").fill(DOCUMENT)
    page.get_by_label("Nombres y apellidos").fill("Sofía Ramírez")
    page.get_by_label("Correo electrónico").fill("sofia@example.com")
    page.get_by_label("Teléfono").fill("3015556677")
    page.get_by_label("Dirección").fill("Calle 100 # 15-20, Bogotá")
    page.locator("#campo-password").fill("clave-muy-segura")
    page.get_by_label("Repita la contraseña").fill("clave-muy-segura")
    citizen.axe("portal: registro")
    page.get_by_label("Autorizo el tratamiento de mis datos personales").check()
    page.get_by_role("button", name="Registrarme").click()
    page.wait_for_url("**/registro/revise-su-correo")
    citizen.axe("portal: revise su correo")
    # The e-mail address is verified through the link the worker mailed to her.
    citizen.follow_mailed_link(stack.smtp, "Confirme su correo", "sofia@example.com")
    page.get_by_role("heading", name="Confirmar su correo electrónico").wait_for()
    citizen.axe("portal: confirmar correo")
    page.get_by_role("button", name="Confirmar mi correo").click()
    page.wait_for_url("**/cuenta/ingresar")
    page.get_by_text("Su correo quedó verificado.").wait_for()
    citizen.citizen_login(DOCUMENT, "clave-muy-segura")
    citizen.go("/radicar")
    citizen.axe("portal: radicar")
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option("fondos_en_administracion")
    page.get_by_label("Asunto").fill("Giro del fondo no recibido")
    page.get_by_label("Descripción").fill(
        "El giro del fondo de este semestre no ha llegado a la universidad."
    )
    page.get_by_label("Adjuntos").set_input_files(
        files=[{"name": "soporte.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    citizen.shot("radicar")
    page.get_by_role("button", name="Radicar").click()
    page.wait_for_url("**/mis-casos/AV-*")
    radicado = page.url.rsplit("/", 1)[1]
    citizen.axe("portal: caso")
    citizen.shot("radicado")
    _settle(app)

    # 5.2.6-5.2.10: the Asesor reviews, analyses, looks up, escalates to Fondos.
    asesor = Actor(browser, base, "asesor")
    asesor.staff_login("asesor")
    asesor.go("/bandeja/?vista=group")
    asesor.axe("bandeja")
    asesor.shot("bandeja")
    asesor.open_task(radicado, "5.2.6 Revisar la solicitud registrada")
    asesor.axe("tarea 5.2.6")
    asesor.page.get_by_role("button", name="Tomar la tarea").click()
    asesor.page.get_by_role("group", name="¿Es una felicitación?").get_by_label("No").check()
    asesor.submit_task()
    asesor.open_task(radicado, "5.2.7 Analizar la complejidad")
    asesor.page.get_by_label("Alta").check()
    asesor.page.get_by_label("Análisis").fill("Requiere información del área de fondos.")
    asesor.submit_task()
    _settle(app)  # 5.2.8 legacy look-up
    asesor.open_task(
        radicado, "5.2.8 Decidir el escalamiento con la información de los aplicativos"
    )
    asesor.page.get_by_text("Consulta en los aplicativos").wait_for()
    # What the worker read from the demo dataset for her document, in every system.
    legacy = asesor.page.locator('section[aria-labelledby="legado-titulo"]').inner_text()
    adapter = DemoAdapter()
    records = {code: adapter.lookup(code, DOCUMENT) for code in SYSTEMS}
    for code, record in records.items():
        assert record is not None, f"{DOCUMENT} is not in the {code} demo data"
        assert record["nombre"] in legacy, code
    assert records["cctex"]["creditos"][0]["numero_credito"] in legacy
    assert records["cobol"]["creditos_historicos"][0]["numero"] in legacy
    assert records["foxpro"]["fondos"][0]["fondo"] in legacy
    assert "Sofía Ramírez" not in legacy  # the registration's name is not the source
    asesor.axe("tarea 5.2.8")
    asesor.shot("consulta-legado")
    asesor.page.get_by_role("group", name="¿Se debe escalar?").get_by_label("Sí").check()
    asesor.page.get_by_label("Justificación").fill("Solo el área conoce el estado del giro.")
    asesor.submit_task()
    _settle(app)  # 5.2.9 escalation notice
    asesor.open_task(radicado, "5.2.10 Escalar al área competente")
    asesor.page.get_by_label("Área competente").select_option("area_fondos")
    asesor.page.get_by_label("Plazo del área (días)").fill("5")
    asesor.submit_task()
    _settle(app)

    # 5.2.11-5.2.13: Fondos.
    fondos = Actor(browser, base, "fondos")
    fondos.staff_login("funcionario.fondos")
    fondos.open_task(radicado, "5.2.11 Recibir y analizar la solicitud")
    fondos.page.get_by_role("group", name="¿La solicitud corresponde a su área?").get_by_label(
        "Sí"
    ).check()
    fondos.submit_task()
    fondos.open_task(radicado, "5.2.12 Investigar el caso")
    fondos.page.get_by_label("Hallazgos de la investigación").fill(
        "El giro salió el 3 de marzo; la universidad lo recibió."
    )
    fondos.submit_task()
    fondos.open_task(radicado, "5.2.13 Suministrar la información al Asesor")
    fondos.page.get_by_label("Información para el Asesor").fill(
        "El giro se hizo el 3 de marzo y la universidad ya lo aplicó a la matrícula."
    )
    fondos.shot("informacion-area")
    fondos.submit_task()

    # 5.2.14: the Asesor drafts from a protocol template (no JavaScript needed: a GET form).
    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    asesor.page.get_by_label("Partir de una plantilla del protocolo").select_option(
        "respuesta_queja_reclamo"
    )
    asesor.page.get_by_role("button", name="Usar plantilla").click()
    answer = asesor.page.get_by_label("Respuesta al usuario")
    assert "Respetado(a) Sofía Ramírez" in answer.input_value()
    asesor.axe("tarea 5.2.14")
    asesor.shot("plantilla")
    # The template's gap left in brackets is not sent to the citizen.
    asesor.page.get_by_role("button", name="Completar la tarea").click()
    gap = "La respuesta aún tiene texto de la plantilla entre corchetes"
    asesor.page.get_by_text(gap).first.wait_for()
    asesor.shot("plantilla-sin-completar")
    answer = asesor.page.get_by_label("Respuesta al usuario")
    answer.fill("Respetada Sofía: el giro se hizo el 3 de marzo. Cordialmente, ICETEX.")
    asesor.submit_task()

    # 5.2.15: quality rejects with observations.
    calidad = Actor(browser, base, "calidad")
    calidad.staff_login("calidad")
    calidad.open_task(radicado, "5.2.15 Revisar la respuesta")
    calidad.page.get_by_role("button", name="Completar la tarea").click()
    calidad.page.get_by_role("heading", name="Hay problemas en el formulario").wait_for()
    calidad.axe("tarea 5.2.15 con errores")
    calidad.shot("errores")
    calidad.page.get_by_label("¿Está acorde con lo solicitado?").check()
    calidad.page.get_by_label("¿Es clara?").check()
    calidad.page.get_by_role("group", name="¿La respuesta cumple?").get_by_label("No").check()
    calidad.page.get_by_label("Observaciones de calidad").fill(
        "Falta indicar que la universidad ya aplicó el giro a la matrícula."
    )
    calidad.submit_task()

    # 5.2.14 again: the draft and the observations are on the page.
    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    asesor.page.get_by_text("Falta indicar que la universidad").wait_for()
    asesor.page.locator("#campo-plantilla").select_option("respuesta_queja_reclamo")
    asesor.page.get_by_label("Respuesta al usuario").fill(
        "Respetada Sofía: el giro se hizo el 3 de marzo y la universidad ya lo aplicó "
        "a su matrícula. Cordialmente, ICETEX."
    )
    asesor.submit_task()

    # 5.2.15-5.2.17: quality approves, classifies; the answer is sent.
    calidad.open_task(radicado, "5.2.15 Revisar la respuesta")
    for label in (
        "¿Está acorde con lo solicitado?",
        "¿Es clara?",
        "¿Está libre de errores de forma?",
    ):
        calidad.page.get_by_label(label).check()
    calidad.page.get_by_role("group", name="¿La respuesta cumple?").get_by_label("Sí").check()
    calidad.submit_task()
    calidad.open_task(radicado, "5.2.16 Tipificar")
    calidad.page.get_by_label("Tipificación").select_option("fondos_en_administracion")
    calidad.submit_task()
    _settle(app)  # 5.2.17 sends the answer

    # The citizen reads and downloads the answer.
    citizen.go(f"/mis-casos/{radicado}")
    citizen.page.get_by_text("ya lo aplicó a su matrícula").wait_for()
    assert "Respondido" in citizen.page.content()
    citizen.axe("portal: respuesta")
    citizen.shot("respuesta")
    with citizen.page.expect_download() as download:
        citizen.page.get_by_role("link", name="Descargar la respuesta (.txt)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "ya lo aplicó a su matrícula" in text

    # Every e-mail of the case reached the SMTP server exactly once, from the worker.
    _settle(app)
    sofia = "sofia@example.com"
    area = GROUPS["area_fondos"][0]
    received = sorted((str(m["Subject"]), str(m["X-Envelope-To"])) for m in stack.smtp.messages)
    assert received == sorted(
        [
            ("Confirme su correo para Atención Virtual", sofia),  # verification at registration
            (f"Radicamos su reclamo {radicado}", sofia),  # acuse
            (f"Su caso {radicado} fue escalado", sofia),  # escalamiento
            (f"Nuevo caso asignado a {area}: {radicado}", "funcionario.fondos@icetex.example"),
            (f"Respuesta a su reclamo {radicado}", sofia),  # respuesta_final
        ]
    )
    (final,) = stack.smtp.with_subject(f"Respuesta a su reclamo {radicado}")
    assert final["To"] == sofia
    body = final.get_body(preferencelist=("plain",)).get_content()
    assert "Estimado(a) Sofía Ramírez" in body and radicado in body
    assert "ya lo aplicó a su matrícula" in body  # the answer itself, not a pointer to the portal


def test_registration_verification_pages_at_desktop_and_phone_widths(
    live_app,
    browser,
    stack: Stack,  # noqa: F811
) -> None:
    """Both answers to a registration look the same; the e-mails say what happened."""
    _app, base = live_app
    for width, document, email in (
        (1280, "52000001", "ana@example.com"),
        (390, "52000002", "bruno@example.com"),
    ):
        person = Actor(browser, base, f"registro-{width}", width=width)
        page = person.page
        person.go("/cuenta/registro")
        page.get_by_role("button", name="Registrarme").click()
        page.get_by_role("heading", name="Hay problemas en el formulario").wait_for()
        person.axe(f"registro con errores {width}")
        person.shot("errores")
        answers = []
        for typed_email in (email, "otra.persona@example.com"):
            person.go("/cuenta/registro")
            page.get_by_label("Tipo de documento").select_option("CC")
            page.get_by_label("Número de documento").fill(document)
            page.get_by_label("Nombres y apellidos").fill("Persona de Prueba")
            page.get_by_label("Correo electrónico").fill(typed_email)
            page.get_by_label("Teléfono").fill("3015556677")
            page.get_by_label("Dirección").fill("Calle 100 # 15-20, Bogotá")
            page.locator("#campo-password").fill("clave-muy-segura")
            page.get_by_label("Repita la contraseña").fill("clave-muy-segura")
            page.get_by_label("Autorizo el tratamiento de mis datos personales").check()
            page.get_by_role("button", name="Registrarme").click()
            page.wait_for_url("**/registro/revise-su-correo")
            answers.append(page.locator("main").inner_text())
        # The second registration of the same document reads exactly like the first.
        assert answers[0] == answers[1] and "Revise su correo electrónico" in answers[0]
        person.axe(f"revise su correo {width}")
        person.shot("revise-su-correo")
        # The holder hears of the second attempt (with a new link: not verified yet).
        person.follow_mailed_link(stack.smtp, "Alguien intentó registrarse", email)
        assert not [m for m in stack.smtp.messages if m["To"] == "otra.persona@example.com"]
        person.citizen_login(document, "clave-muy-segura")
        person.go("/radicar")
        page.wait_for_url("**/cuenta/verificar")
        person.axe(f"confirme su correo {width}")
        person.shot("confirme-para-radicar")
        person.follow_mailed_link(stack.smtp, "Alguien intentó registrarse", email)
        link = page.url
        person.axe(f"confirmar correo {width}")
        person.shot("confirmar")
        page.get_by_role("button", name="Confirmar mi correo").click()
        page.wait_for_url("**/radicar")  # logged in: on to filing, in a new session
        page.get_by_text("Su correo quedó verificado.").wait_for()
        person.shot("verificado")
        person.page.goto(link)
        page.get_by_role("button", name="Confirmar mi correo").click()
        page.get_by_role("heading", name="No pudimos confirmar su correo").wait_for()
        assert "ya fue usado" in page.locator("main").inner_text()
        person.axe(f"enlace usado {width}")
        person.shot("enlace-usado")
        person.context.close()
