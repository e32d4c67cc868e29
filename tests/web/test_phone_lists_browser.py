"""The lists people scan on a phone, in a real browser at 390 px: «Mis casos», the staff inbox,
the console's search, its people and groups, and the audits. One card per row (the same
``table.cards-on-phone`` for all), nothing scrolls sideways, the search comes first and the
less-used filters fold under «Más filtros» (open when one of them is in use). axe on each page;
screenshots in tests/artifacts/."""

from typing import Any

from flask import Flask

from tests.web.conftest import World
from tests.web.test_browser import Actor, browser  # noqa: F401
from web.formatting import business_key_label

PHONE = {"width": 390, "height": 844}
# The page, and every list table, no wider than the screen; each row a block (a card).
FIT = """() => {
  const page = document.scrollingElement;
  const lists = [...document.querySelectorAll('main table')].map(t => ({
    cards: t.classList.contains('cards-on-phone'),
    wide: t.scrollWidth > t.clientWidth
      || t.parentElement.scrollWidth > t.parentElement.clientWidth,
    rows: [...t.querySelectorAll('tbody tr')].map(r => getComputedStyle(r).display),
  }));
  return {page: [page.scrollWidth, page.clientWidth], lists};
}"""


def on_phone(actor: Actor, path: str, label: str) -> dict[str, Any]:
    """The page at 390 px: axe, a screenshot, no sideways scroll, every list as cards (and
    axe at 1280 px first, where the lists are tables)."""
    actor.page.set_viewport_size({"width": 1280, "height": 900})
    actor.go(path)
    actor.axe(f"{label} (1280 px)")
    actor.page.set_viewport_size(PHONE)
    actor.axe(f"{label} (390 px)")
    actor.shot(label)
    fit = actor.page.evaluate(FIT)
    scroll, client = fit["page"]
    assert scroll <= client, f"{label}: the page scrolls sideways ({scroll} > {client})"
    assert fit["lists"], f"{label}: no list"
    for table in fit["lists"]:
        assert table["cards"] and not table["wide"], f"{label}: {table}"
        assert set(table["rows"]) == {"block"}, f"{label}: rows are not cards {table}"
    return fit


def list_top(actor: Actor) -> float:
    return actor.page.locator("main table").first.bounding_box()["y"]


def test_lists_fit_a_phone_with_the_search_first(
    app: Flask,
    world: World,
    served: str,
    browser: Any,  # noqa: F811
) -> None:
    world.staff("asesor", "asesor")
    world.staff("admin", "administrador")
    world.staff("profesional", "profesional_ocm")
    ana = world.citizen("1012345678", full_name="Ana María Beltrán de los Ríos")
    for subject in ("Giro del semestre no recibido", "Certificado de paz y salvo del crédito"):
        world.file_case(ana, asunto=subject)

    citizen = Actor(browser, served, "listas-ciudadana", width=390)
    citizen.citizen_login("1012345678", "Demo2026!seguro")
    on_phone(citizen, "/mis-casos", "mis-casos")

    # The inbox: the search, «Más filtros» folded, then the tasks, within the first screen.
    asesor = Actor(browser, served, "listas-asesor", width=390)
    asesor.staff_login("asesor")
    on_phone(asesor, "/bandeja/?vista=group", "bandeja")
    folded = asesor.page.locator("details.more-filters")
    assert folded.get_attribute("open") is None
    assert asesor.page.get_by_label("Radicado o número de documento").is_visible()
    assert not asesor.page.get_by_label("Tipo de registro").is_visible()
    assert list_top(asesor) < 500, list_top(asesor)
    asesor.page.get_by_text("Más filtros").click()
    asesor.page.get_by_label("Tipo de registro").select_option("reclamo")
    asesor.page.get_by_role("button", name="Buscar").click()
    asesor.page.get_by_text("Más filtros (1 en uso)").wait_for()
    assert folded.get_attribute("open") is not None  # a filter in use is not hidden
    assert asesor.page.get_by_label("Tipo de registro").input_value() == "reclamo"
    on_phone(asesor, "/bandeja/?vista=group&tipo=reclamo", "bandeja-filtrada")

    # The console: its search as cards, the periodic processes by name, not by key.
    admin = Actor(browser, served, "listas-admin", width=390)
    admin.staff_login("admin")
    on_phone(admin, "/consola/", "consola-busqueda")
    admin_page = admin.page
    assert admin_page.get_by_label("Estado").is_visible()  # the admins' usual criterion
    assert not admin_page.get_by_label("Paso actual").is_visible()
    assert list_top(admin) < 700, list_top(admin)
    assert "@" not in admin_page.locator("main table").inner_text()
    on_phone(admin, "/consola/?paso=ut_5_2_6", "consola-por-paso")
    assert admin_page.get_by_label("Paso actual").is_visible()
    on_phone(admin, "/consola/personas", "consola-personas")
    # The dashboard's legends: each colour on the line of its name; no label cut at the left.
    admin_page.set_viewport_size({"width": 1280, "height": 900})
    admin.go("/consola/tablero")
    legend = admin_page.locator(".chart-legend li")
    heights = legend.evaluate_all("(items) => items.map(i => i.offsetHeight)")
    assert heights and max(heights) < 30, heights
    cut = admin_page.evaluate(
        "() => [...document.querySelectorAll('figure.chart text')]"
        ".filter(t => t.getBBox().x < 0).map(t => t.textContent)"
    )
    assert cut == []
    on_phone(admin, "/consola/grupos", "consola-grupos")

    profesional = Actor(browser, served, "listas-profesional", width=390)
    profesional.staff_login("profesional")
    profesional.page.set_viewport_size(PHONE)
    profesional.go("/auditorias/")
    profesional.page.get_by_label("Un día de la semana que quiere auditar").fill("2026-02-25")
    profesional.page.get_by_role("button", name="Iniciar la auditoría").click()
    profesional.page.get_by_text("Se inició la auditoría").wait_for()
    on_phone(profesional, "/auditorias/", "auditorias")


def test_periodic_processes_are_named_by_their_period(app: Flask) -> None:
    with app.test_request_context():
        # Started on 1 December (07:00 in Bogotá): the report of November.
        assert (
            business_key_label("informe_mensual@2026-12-01T12:00:00+00:00")
            == "Informe mensual de noviembre de 2026"
        )
        assert business_key_label("auditoria_calidad@2026-03-16T12:00:00+00:00").startswith(
            "Auditoría de la semana del"
        )
        assert business_key_label("AV-2026-000123") == "AV-2026-000123"
        assert business_key_label("informe_mensual@ayer") == "informe_mensual@ayer"
