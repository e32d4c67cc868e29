"""The dashboard, the heatmap on the diagram, staff accounts and closures in a real browser
under the app's CSP; a coordinator reads the dashboard but is offered no administering.
Screenshots at 1280 and 390 px (tests/artifacts/studio-console-*); axe at both widths."""

from datetime import timedelta
from typing import Any

from tests.web.conftest import World
from tests.web.test_studio_browser import axe, browser, log_in, served, shot  # noqa: F401

ANALYSIS = {"complejidad": "baja", "analisis": "Una consulta sencilla de saldo."}


def _cases(app: Any) -> list[str]:
    world = World(app)
    world.staff("asesor", "asesor")
    world.staff("coordinador", "coordinador")
    clock = app.extensions["clock"]
    radicados = [world.file_case(world.citizen(f"30000000{i}")) for i in range(3)]
    clock.advance(timedelta(hours=3))
    for radicado in radicados[:2]:
        world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    clock.advance(timedelta(hours=5))
    world.complete(radicados[0], "ut_5_2_7", "asesor", ANALYSIS)
    return radicados


def _axe_both(page: Any, label: str, exclude: list[str]) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        axe(page, f"{label} {width}", exclude)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, label
    page.set_viewport_size({"width": 1280, "height": 900})


def _person_sets_the_password(browser: Any, app: Any, base: str) -> None:  # noqa: F811
    """Ana opens the link from her e-mail, chooses her password and logs in with it."""
    from sqlalchemy import select

    from engine.models import OutboxMessage
    from web.extensions import db

    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.operation == "account_mail")
        ).one()
        link = message.params["enlace"].split("/cuenta/", 1)[1]
    ana = browser.new_context(locale="es-CO", bypass_csp=True).new_page()
    ana.goto(f"{base}/cuenta/{link}")
    _axe_both(ana, "staff password", [])
    shot(ana, "console-staff-password")
    ana.get_by_label("Nueva contraseña").fill("Clave-de-Ana-2026")
    ana.get_by_label("Repita la contraseña").fill("Clave-de-Ana-2026")
    ana.get_by_role("button", name="Guardar la contraseña").click()
    ana.get_by_text("Su contraseña quedó guardada").wait_for()
    ana.get_by_label("Usuario").fill("ana.perez")
    ana.get_by_label("Contraseña").fill("Clave-de-Ana-2026")
    ana.get_by_role("button", name="Ingresar").click()
    ana.get_by_role("link", name="Bandeja").wait_for()


def test_an_administrator_watches_and_administers(served, browser) -> None:  # noqa: F811
    app, base = served
    radicados = _cases(app)
    page: Any = browser.new_context(locale="es-CO").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "admin")
    page.get_by_role("link", name="Consola").click()
    page.get_by_role("link", name="Tablero").click()
    page.get_by_role("heading", name="Trabajo abierto por grupo y paso").wait_for()
    assert page.locator("svg[role=img] rect").count() >= 1
    assert (
        page.get_by_role("cell", name="5.2.6 Revisar la solicitud registrada", exact=True).count()
        == 1
    )
    shot(page, "console-dashboard")

    page.get_by_role("link", name="Mapa de calor").click()
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    assert page.locator(".diagram-badge.heat-flow").count() >= 2
    assert page.locator(".diagram-badge", has_text="media").count() >= 2
    assert page.get_by_role("cell", name="5.2.7 Analizar la complejidad", exact=True).count() == 1
    shot(page, "console-heatmap")

    page.get_by_role("link", name="Personas").click()
    page.get_by_role("link", name="Crear una cuenta").click()
    page.get_by_label("Usuario", exact=True).fill("ana.perez")
    page.get_by_label("Nombre completo").fill("Ana Pérez")
    page.get_by_label("Correo electrónico").fill("ana.perez@icetex.example")
    page.get_by_label("Asesor de Servicio al Cliente").check()
    page.get_by_role("button", name="Crear la cuenta y enviar el enlace").click()
    page.get_by_text("Cuenta creada").wait_for()
    shot(page, "console-person")
    _person_sets_the_password(browser, app, base)

    page.get_by_role("link", name="Cierres").click()
    page.get_by_label("Día").fill("2026-03-20")
    page.get_by_label("Motivo").fill("Inventario anual")
    page.get_by_role("button", name="Ver qué casos cambian").click()
    page.get_by_text("Este cambio mueve los términos de 3 casos abiertos").wait_for()
    assert page.get_by_role("link", name=radicados[2]).count() == 1
    shot(page, "console-closure-preview")
    page.get_by_role("button", name="Confirmar el cierre y mover los términos").click()
    page.get_by_text("Se movieron los términos de 3 casos").wait_for()
    shot(page, "console-closures")
    assert errors == []

    checker = browser.new_context(locale="es-CO", bypass_csp=True).new_page()
    log_in(checker, base, "admin")
    for path, label in (
        ("/consola/tablero", "dashboard"),
        ("/consola/personas", "people"),
        ("/consola/personas/nueva", "new person"),
        ("/consola/grupos", "groups"),
        ("/consola/cierres", "closures"),
        ("/consola/cierres/nuevo?dia=2026-03-27&motivo=Traslado", "closure preview"),
    ):
        checker.goto(base + path)
        _axe_both(checker, label, [])
    checker.get_by_role("link", name="Personas").click()
    checker.get_by_role("link", name="Ana Pérez").click()
    _axe_both(checker, "person", [])
    checker.goto(base + "/consola/mapa-de-calor")
    checker.wait_for_selector("[data-ready=true]")
    _axe_both(checker, "heatmap", [".studio-canvas"])

    coordinator = browser.new_context(locale="es-CO").new_page()
    log_in(coordinator, base, "coordinador")
    coordinator.get_by_role("link", name="Consola").click()
    coordinator.get_by_role("link", name="Tablero").click()
    coordinator.get_by_role("heading", name="Tablero").wait_for()
    assert coordinator.get_by_role("link", name="Personas").count() == 0
    assert coordinator.get_by_role("link", name="Cierres").count() == 0
