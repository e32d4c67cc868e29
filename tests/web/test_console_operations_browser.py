"""The console's settings page and saved filters in a real browser, at desktop and phone
widths, checked with axe-core."""

import pytest
from flask import Flask

from tests.web.conftest import World
from tests.web.test_browser import Actor, browser  # noqa: F401


@pytest.mark.parametrize("width", [1280, 390])
def test_settings_and_saved_filters_in_the_browser(
    app: Flask,
    served: str,
    browser,  # noqa: F811
    width: int,
) -> None:
    world = World(app)
    world.staff("admin", "administrador")
    world.file_case(world.citizen())
    admin = Actor(browser, served, f"consola-operaciones-{width}", width=width)
    admin.staff_login("admin")

    admin.go("/consola/ajustes")
    page = admin.page
    page.get_by_label("Recordatorio antes de vencer la primera respuesta").fill("6")
    page.get_by_role("button", name="Guardar ajustes").click()
    page.get_by_text("Se guardaron los ajustes.").wait_for()
    page.get_by_text("de 4 a 6").wait_for()
    admin.axe("consola: ajustes")
    admin.shot("ajustes")

    admin.go("/consola/?estado=running")
    page.get_by_label("Guardar esta búsqueda como").fill("Casos en curso")
    page.get_by_role("button", name="Guardar filtro").click()
    page.get_by_text("Se guardó el filtro «Casos en curso».").wait_for()
    admin.go("/consola/")
    page.get_by_role("link", name="Casos en curso").click()
    page.wait_for_url("**/consola/?estado=running")
    admin.axe("consola: filtros guardados")
    admin.shot("filtros")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportar resultado (Excel)").click()
    assert download.value.suggested_filename == "instancias.xlsx"
