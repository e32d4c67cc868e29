"""In a real browser: an Asesor files a phone request on a citizen's behalf, and after the
final answer the citizen answers the satisfaction survey; axe at 1280 and 390 px."""

from sqlalchemy import update

from engine.models import Case
from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import Actor, _settle, browser, live_app  # noqa: F401
from tests.web.test_monthly_report_browser import look
from tests.workers.harness import wait_for
from web.extensions import db

DOCUMENT = "1012345678"


def test_an_asesor_files_by_phone_and_the_citizen_rates_the_answer(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    world.staff("asesor", "asesor")
    world.citizen(DOCUMENT, full_name="Lucía Pérez")

    asesor = Actor(browser, base, "h11b-asesor")
    asesor.staff_login("asesor")
    page = asesor.page
    page.get_by_role("link", name="Radicar a nombre de un ciudadano").click()
    page.get_by_label("Número de documento").fill(DOCUMENT)
    page.get_by_role("button", name="Buscar").click()
    page.get_by_text("Registro encontrado: Lucía Pérez").wait_for()
    page.get_by_label("Canal por el que llegó la solicitud").select_option("telefono")
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option("credito_educativo")
    page.get_by_label("Asunto").fill("Cobro doble de la cuota")
    page.get_by_label("Descripción").fill("Llamó porque le cobraron dos veces la cuota.")
    page.get_by_role("button", name="Radicar", exact=True).click()
    page.get_by_text("Registre la autorización del ciudadano").first.wait_for()
    look(asesor, "radicar-errores")
    page.get_by_label("El ciudadano autorizó el tratamiento de sus datos personales").check()
    page.get_by_role("button", name="Radicar", exact=True).click()
    page.get_by_text("a nombre de Lucía Pérez").wait_for()
    radicado = page.url.rsplit("/", 1)[1]
    assert "Teléfono" in page.locator("main").inner_text()
    look(asesor, "caso-telefono")
    wait_for(lambda: stack.smtp.with_subject(radicado), 60, "the acuse")
    _settle(app)

    with app.app_context():  # the final answer on record (the answer's path is tested apart)
        db.session.execute(
            update(Case)
            .where(Case.radicado == radicado)
            .values(answered_at=app.extensions["clock"].now(), answer="Reversamos el cobro.")
        )
        db.session.commit()
    citizen = Actor(browser, base, "h11b-ciudadana")
    citizen.citizen_login(DOCUMENT, PASSWORD)
    citizen.go(f"/mis-casos/{radicado}")
    citizen.page.get_by_role("link", name="responda la encuesta de satisfacción").click()
    citizen.page.get_by_role("button", name="Enviar la encuesta").click()
    citizen.page.get_by_text("Elija una calificación de 1 a 5.").first.wait_for()
    look(citizen, "encuesta")
    citizen.page.get_by_label("4 - Satisfecho").check()
    citizen.page.get_by_label("Sí").check()
    citizen.page.get_by_role("button", name="Enviar la encuesta").click()
    citizen.page.get_by_text("Gracias por responder la encuesta.").wait_for()
    assert citizen.page.get_by_role("link", name="responda la encuesta").count() == 0
