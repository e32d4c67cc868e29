"""Done means (issue 9), in a real browser: the owner changes the 24-hour first-response timer
to 12 hours in the properties panel, breaks a gateway condition and sees it marked on the
gateway, fixes it, deploys version 2 with a comment; the compare view shows the timer change;
on the test clock a new case alerts at 12 hours while a case filed before stays on version 1
and alerts at 24 hours; the dry run shows that case can move, and after moving it runs on
version 2."""

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.models import CaseAlert, Deployment, ProcessInstance
from engine.runtime import Engine
from tests.web.conftest import World, settle_outbox
from tests.web.test_browser import browser  # noqa: F401
from tests.web.test_studio_browser import axe, log_in, served, shot  # noqa: F401
from web.extensions import db

TIMER_24 = "sumar_horas(caso['radicado_en'], 24)"
TIMER_12 = "sumar_horas(caso['radicado_en'], 12)"


def select_element(page: Any, element_id: str) -> None:
    page.locator(f'[data-element-id="{element_id}"] .djs-hit').first.click(force=True)


def edit(page: Any, element_id: str, label: str, text: str) -> None:
    field = page.get_by_label(label)
    if not field.is_visible():
        select_element(page, element_id)
    field.fill(text)
    field.blur()
    page.get_by_role("button", name="Guardar borrador y validar").click()


def fire_timers(app: Flask) -> None:
    with app.app_context():
        engine = Engine(db.session(), app.extensions["clock"])  # the session, not its proxy
        engine.fire_due_timers()
        settle_outbox(engine)
        db.session.commit()


def alerted(app: Flask, radicado: str) -> bool:
    with app.app_context():
        case = World(app).case(radicado)
        return bool(
            db.session.scalars(
                select(CaseAlert).where(
                    CaseAlert.case_id == case.id, CaseAlert.term == "primera_respuesta"
                )
            ).all()
        )


def version_of(app: Flask, radicado: str) -> int:
    with app.app_context():
        case = World(app).case(radicado)
        instance = db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_id == case.id)
        ).one()
        return db.session.get(Deployment, instance.deployment_id).version


def test_the_owner_shortens_the_first_response_and_moves_a_running_case(
    served,  # noqa: F811
    browser,  # noqa: F811
    clock,
) -> None:
    app, base = served
    world = World(app)
    world.staff("asesor", "asesor")
    citizen = world.citizen()
    before = world.file_case(citizen)

    page = browser.new_context(locale="es-CO").new_page()  # the app's CSP applies
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "dueno")
    page.get_by_role("link", name="Estudio").click()
    page.get_by_role("link", name="Caso PQRS", exact=False).first.click()
    page.wait_for_selector("[data-bpmn-modeler][data-ready=true]")

    # The 24-hour first response is a timer of the diagram, edited in the properties panel.
    select_element(page, "tm_alerta_primera")
    timer = page.get_by_label("Temporizador (fecha, expresión)")
    assert timer.input_value() == TIMER_24
    edit(page, "tm_alerta_primera", "Temporizador (fecha, expresión)", TIMER_12)
    page.get_by_text("Borrador guardado, sin problemas.").wait_for()

    # A broken condition is marked on its gateway and listed; fixing it clears the marks.
    label = "Condición (expresión sobre los datos del caso)"
    edit(page, "f_reg_si", label, "registrado and (")
    page.wait_for_selector("[data-problem-list] li.problem-error")
    assert page.locator('[data-element-id="gw_registrado"].mark-error').count() == 1
    shot(page, "gateway-problem")
    edit(page, "f_reg_si", label, "registrado")
    page.get_by_text("Borrador guardado, sin problemas.").wait_for()
    assert page.locator(".mark-error").count() == 0

    page.get_by_role("link", name="Volver al estudio").click()
    page.get_by_label("Comentario de la versión").fill("Primera respuesta en 12 horas")
    page.get_by_role("button", name="Desplegar versión nueva").click()
    page.get_by_text("Se desplegó la versión 2").wait_for()

    page.get_by_role("link", name="Comparar versiones").click()
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    main = page.inner_text("main")
    assert f"Temporizador (fecha): «{TIMER_24}» → «{TIMER_12}»" in main
    assert page.locator('[data-element-id="tm_alerta_primera"].mark-changed').count() == 1
    shot(page, "compare-timer")

    # New cases follow version 2; the case filed before stays on version 1.
    after = world.file_case(citizen)
    assert (version_of(app, before), version_of(app, after)) == (1, 2)
    clock.advance(timedelta(hours=12, minutes=1))
    fire_timers(app)
    assert alerted(app, after) and not alerted(app, before)
    clock.advance(timedelta(hours=12))
    fire_timers(app)
    assert alerted(app, before)

    # The dry run says the old case can move; the owner moves it.
    assert errors == []
    # A day passed on the test clock: the session expired. These pages have no scripts; the
    # context lets axe in.
    page = browser.new_context(locale="es-CO", bypass_csp=True).new_page()
    log_in(page, base, "dueno")
    page.goto(base + "/estudio/")
    page.get_by_role("link", name="Mover casos en curso a otra versión").click()
    row = page.locator(f'tr[data-instance="{before}"]')
    assert "Sí" in row.inner_text() and "La primera respuesta pasa a vencer" in row.inner_text()
    shot(page, "migration-dry-run")
    axe(page, "migration dry run", [])
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Mover los casos elegidos").click()
    page.get_by_text("Se movieron 1 de 1 caso(s) a la versión 2").wait_for()
    shot(page, "migration-done")
    axe(page, "migration done", [])
    assert version_of(app, before) == 2
    world.complete(before, "ut_5_2_6", "asesor", {"es_felicitacion": False})  # runs on v2
