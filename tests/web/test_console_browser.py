"""The console in a real browser under the app's CSP: the administrator finds the case with an
incident, sees where it stands on the diagram, and retries with a reason. 1280/390 px, axe."""

from typing import Any

from tests.web.conftest import World
from tests.web.test_console import failed_case
from tests.web.test_studio_browser import axe, browser, log_in, served, shot  # noqa: F401


def test_an_administrator_finds_a_failed_case_and_retries_it(served, browser) -> None:  # noqa: F811
    app, base = served
    radicado, instance_id, _ = failed_case(app, World(app))

    page: Any = browser.new_context(locale="es-CO").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "admin")
    page.get_by_role("link", name="Consola").click()
    page.get_by_label("Estado").select_option("incident")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_text("1 instancia encontrada").wait_for()
    shot(page, "console-search")
    page.get_by_role("link", name=radicado).click()
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    assert page.locator('[data-element-id="ut_5_2_6"].mark-current').count() == 1
    shot(page, "console-instance")
    page.get_by_label("Motivo del reintento").fill("El servidor de correo ya responde")
    page.get_by_role("button", name="Reintentar").click()
    page.get_by_text("Se reintentó el paso que falló.").wait_for()
    assert errors == []

    checker = browser.new_context(locale="es-CO", bypass_csp=True).new_page()
    log_in(checker, base, "admin")
    checker.goto(base + "/consola/?estado=incident")
    axe(checker, "console search", [])
    checker.goto(base + f"/consola/instancias/{instance_id}")
    checker.wait_for_selector("[data-ready=true]")
    axe(checker, "console instance", [".studio-canvas"])
