"""In a real browser, on the real workers: the citizen is asked for information and answers in
the portal (the legal term moves by the business days it waited), and an interim answer
("le responderemos a más tardar el …") stops the 24-hour alert without closing the case.
Every page is checked with axe-core and photographed at 1280 px and 390 px."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.business_calendar import BusinessCalendar
from engine.clock import BOGOTA
from engine.models import CaseAlert, ProcessInstance
from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import PASSWORD, PDF, World
from tests.web.test_browser import Actor, _settle, browser, live_app  # noqa: F401
from tests.workers.harness import wait_for
from web.extensions import db

ASK = "Envíenos el certificado de matrícula del semestre para verificar el giro."
REPLY = "Adjunto el certificado de matrícula; el número de estudiante es 20261234."
INTERIM = (
    "Respetada María: estamos verificando el giro con el área de fondos y le daremos "
    "respuesta completa en la fecha indicada."
)
NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def look(actor: Actor, label: str) -> None:
    """axe and a full-page screenshot at desktop width and at 390 px."""
    for size, suffix in ((WIDE, "1280"), (NARROW, "390")):
        actor.page.set_viewport_size(size)
        actor.axe(f"{label} ({suffix} px)")
        actor.shot(f"{label}-{suffix}")
    actor.page.set_viewport_size(WIDE)


def no_procedure_jargon(actor: Actor) -> None:
    text = actor.page.locator("main").inner_text()
    assert "5.2." not in text and "Actividad" not in text and "hito" not in text


def citizen_login(actor: Actor) -> None:
    actor.go("/cuenta/ingresar")
    actor.page.get_by_label("Número de documento").fill("1012345678")
    actor.page.get_by_label("Contraseña").fill(PASSWORD)
    actor.page.get_by_role("button", name="Ingresar").click()
    actor.page.wait_for_load_state()


def case_at_5_2_14(world: World) -> str:
    world.staff("asesor", "asesor")
    citizen = world.citizen(full_name="María Fernanda Gómez")
    radicado = world.file_case(citizen)
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado, "ut_5_2_7", "asesor", {"complejidad": "media", "analisis": "Revisar el giro."}
    )
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": False, "justificacion_escalamiento": "El Asesor puede responder."},
    )
    return radicado


def day_text(app, moment: datetime) -> str:
    from web.formatting import format_day

    with app.test_request_context():
        return format_day(moment)


def test_the_citizen_answers_in_the_portal_and_the_legal_term_moves(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    radicado = case_at_5_2_14(world)
    original_due = world.case(radicado).legal_due
    asked_at = stack.clock.now()

    asesor = Actor(browser, base, "informacion-asesor")
    asesor.staff_login("asesor")
    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    asesor.page.get_by_label("Partir de una plantilla del protocolo").select_option(
        "solicitud_de_informacion"
    )
    asesor.page.get_by_role("button", name="Usar plantilla").click()
    answer = asesor.page.get_by_label("Respuesta al usuario")
    assert "información adicional" in answer.input_value()
    answer.fill(ASK)
    look(asesor, "5.2.14-solicitud")
    asesor.submit_task()
    _settle(app)
    (mail,) = stack.smtp.with_subject(f"Necesitamos información para su reclamo {radicado}")
    assert ASK in mail.get_body(preferencelist=("plain",)).get_content()
    case = world.case(radicado)
    assert case.status == "esperando_usuario"

    # Six days later (four business days) the citizen answers in the portal.
    stack.clock.set(datetime(2026, 3, 16, 10, 0, tzinfo=BOGOTA))
    citizen = Actor(browser, base, "informacion-ciudadano")
    citizen_login(citizen)
    citizen.go(f"/mis-casos/{radicado}")
    citizen.page.get_by_role("heading", name="Necesitamos información para atender su caso")
    assert ASK in citizen.page.content()
    assert "Suspendido mientras esperamos su información" in citizen.page.content()
    no_procedure_jargon(citizen)
    look(citizen, "caso-esperando")
    citizen.page.get_by_role("link", name="Enviar la información solicitada").click()
    citizen.page.get_by_role("heading", level=1, name="Enviar la información solicitada").wait_for()
    no_procedure_jargon(citizen)
    look(citizen, "enviar-informacion")
    citizen.page.get_by_role("button", name="Enviar la información").click()
    citizen.page.get_by_role("heading", name="Hay problemas en el formulario").wait_for()
    look(citizen, "enviar-informacion-errores")
    citizen.page.get_by_label("Su respuesta").fill(REPLY)
    citizen.page.get_by_label("Documentos").set_input_files(
        files=[{"name": "certificado.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    citizen.page.get_by_role("button", name="Enviar la información").click()
    citizen.page.get_by_text("Recibimos su información").wait_for()
    _settle(app)

    case = world.case(radicado)
    waited = BusinessCalendar().business_days_between(
        asked_at.astimezone(BOGOTA).date(), datetime(2026, 3, 16).date()
    )
    assert waited == 4
    assert case.legal_due == BusinessCalendar().add_business_days(original_due, waited)
    assert case.legal_due.astimezone(BOGOTA).date().isoformat() == "2026-04-09"
    assert case.status == "en_tramite" and case.suspended_days == 4
    assert day_text(app, case.legal_due) in citizen.page.content()  # "A más tardar el …"
    assert "certificado.pdf" in citizen.page.content()
    no_procedure_jargon(citizen)
    look(citizen, "caso-informacion-enviada")

    # The Asesor (a new session: six days passed) has the case back at 5.2.14, with the
    # citizen's reply and file.
    asesor.staff_login("asesor")
    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    page = asesor.page.content()
    assert REPLY in page and "certificado.pdf" in page
    assert "4 días hábiles de suspensión" in page
    look(asesor, "5.2.14-con-informacion")


def test_an_interim_answer_stops_the_24_hour_alert_without_closing_the_case(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    radicado = case_at_5_2_14(world)
    world.staff("coordinador", "coordinador")

    asesor = Actor(browser, base, "fecha-asesor")
    asesor.staff_login("asesor")
    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    asesor.page.get_by_label("Partir de una plantilla del protocolo").select_option(
        "informar_fecha_respuesta"
    )
    asesor.page.get_by_role("button", name="Usar plantilla").click()
    promised = asesor.page.get_by_label("Fecha en que se dará respuesta")
    assert promised.input_value() == "2026-04-01"  # starts at the last day of the legal term
    promised.fill("2026-04-02")  # one day too late
    asesor.page.get_by_label("Respuesta al usuario").fill(INTERIM)
    asesor.page.get_by_role("button", name="Completar la tarea").click()
    asesor.page.get_by_text("no puede superar el término legal").first.wait_for()
    look(asesor, "5.2.14-fecha-fuera-de-termino")
    asesor.page.get_by_label("Fecha en que se dará respuesta").fill("2026-03-20")
    asesor.page.get_by_label("Respuesta al usuario").fill(INTERIM)
    asesor.submit_task()
    _settle(app)
    (mail,) = stack.smtp.with_subject(f"Fecha de respuesta de su reclamo {radicado}")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Le responderemos a más tardar el viernes 20 de marzo de 2026" in body

    citizen = Actor(browser, base, "fecha-ciudadano")
    citizen_login(citizen)
    citizen.go(f"/mis-casos/{radicado}")
    assert "Le responderemos a más tardar el 20 de marzo de 2026" in citizen.page.content()
    assert INTERIM in citizen.page.content()
    no_procedure_jargon(citizen)
    look(citizen, "caso-fecha-informada")

    # The 24 hours pass on the workers' clock: beat fires both first-response timers.
    stack.clock.advance(timedelta(hours=24, minutes=1))

    def timers_fired() -> bool:
        with app.app_context(), Session(db.engine) as session:
            due = session.scalars(
                select(ProcessInstance.next_timer_at).where(
                    ProcessInstance.business_key == radicado
                )
            ).one()
        return due > stack.clock.now()

    wait_for(timers_fired, 60, "the first-response timers to fire")
    _settle(app)
    with app.app_context(), Session(db.engine) as session:
        assert session.scalars(select(CaseAlert)).all() == []
    assert stack.smtp.with_subject("ALERTA") == [] and stack.smtp.with_subject("Recordatorio") == []
    case = world.case(radicado)
    assert case.answered_at is None and case.first_response_kind == "fecha"

    # Still open, in the Asesor's hands (a new session: a day passed), with the kind of first
    # response on the case file.
    asesor.staff_login("asesor")
    asesor.go(f"/bandeja/casos/{radicado}")
    page = asesor.page.content()
    assert "fecha de respuesta informada" in page and "20 de marzo de 2026" in page
    look(asesor, "expediente-fecha-informada")
    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    assert "fecha de respuesta informada" in asesor.page.content()
    assert asesor.page.get_by_label("Respuesta al usuario").input_value() == ""
    look(asesor, "5.2.14-despues-de-la-fecha")
