"""The console's instance history in a real browser: readable values, no template codes or
message ids (1280 and 390 px, axe on the page)."""

from typing import Any

from engine.models import ProcessInstance
from engine.run import new_event
from tests.web.conftest import World
from tests.web.test_browser import ARTIFACTS
from tests.web.test_console import failed_case
from tests.web.test_studio_browser import axe, browser, log_in, served  # noqa: F401
from web.extensions import db

SENT = {
    "enviado": True,
    "plantilla": "asignacion",
    "destinatarios": ["asesores@icetex.test"],
    "asunto": "Caso asignado",
    "message_id": "<av.42@icetex.test>",
    "archivos": [],
    "reenvio_evitado": False,
}


def test_the_history_reads_in_spanish(served, browser) -> None:  # noqa: F811
    app, base = served
    _, instance_id, _ = failed_case(app, World(app))
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        at = app.extensions["clock"].now()
        moved = {"version_anterior": 1, "version_nueva": 2}
        db.session.add_all(
            [
                new_event(instance, at, "service_completed", data=SENT, bpmn_id="st_asignacion"),
                new_event(instance, at, "migrated", label="v1 → v2", data=moved),
            ]
        )
        db.session.commit()

    page: Any = browser.new_context(locale="es-CO").new_page()
    log_in(page, base, "admin")
    page.goto(base + f"/consola/instancias/{instance_id}")
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("ol.timeline").screenshot(path=ARTIFACTS / f"console-history-{width}.png")
    history = page.locator("ol.timeline").inner_text()
    assert "Correo: Aviso de asignación" in history and "Movida a otra versión" in history
    assert "asignacion" not in history and "icetex.test>" not in history
    assert "message" not in history and "enviado" not in history.lower()
    checker = browser.new_context(locale="es-CO", bypass_csp=True).new_page()
    log_in(checker, base, "admin")
    checker.goto(base + f"/consola/instancias/{instance_id}")
    checker.wait_for_selector("[data-ready=true]")
    axe(checker, "console history", [".studio-canvas"])
