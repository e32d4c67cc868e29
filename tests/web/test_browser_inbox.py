"""The staff inbox in a real browser, as the Asesor, a Funcionario and the coordinator see it.

Counts on the tabs and the group tab first when nothing is one's own; search by radicado and
by document; sorting by clicking the headers (the address keeps it); after a step, the next
one of the same case opens ("Continúe con …") or the inbox says where the case went. At
390 px neither the page nor the list scrolls sideways. Every page is checked with axe at
1280 and 390 px and photographed into tests/artifacts/.
"""

from typing import Any

from flask import Flask

from tests.web.conftest import World, settle_outbox
from tests.web.test_browser import Actor, browser  # noqa: F401
from web.extensions import db

SIZES = {"escritorio": (1280, 900), "movil": (390, 844)}
NO_SIDEWAYS_SCROLL = """() => {
  const page = document.documentElement;
  const list = document.querySelector('table.cards-on-phone');
  return {
    page: [page.scrollWidth, page.clientWidth],
    list: list ? [list.scrollWidth, list.clientWidth] : [0, 0],
    wrap: list ? [list.parentElement.scrollWidth, list.parentElement.clientWidth] : [0, 0],
  };
}"""


def look(actor: Actor, label: str) -> None:
    """axe and a full-page screenshot at both widths; at 390 px nothing scrolls sideways."""
    for size, (width, height) in SIZES.items():
        actor.page.set_viewport_size({"width": width, "height": height})
        actor.axe(f"{label} ({size})")
        actor.shot(f"{label}-{size}")
        widths = actor.page.evaluate(NO_SIDEWAYS_SCROLL)
        for part, (scroll, client) in widths.items():
            assert scroll <= client, f"{label} ({size}): the {part} scrolls sideways {widths}"
    actor.page.set_viewport_size({"width": 1280, "height": 900})


def rows(actor: Actor) -> list[str]:
    """The radicados of the list, in the order shown."""
    return actor.page.locator('table.cards-on-phone td[data-label="Radicado"] a').all_inner_texts()


def settle(app: Flask, world: World) -> None:
    """The automatic steps (the legacy look-up, the e-mails) as the workers would run them."""
    with app.app_context():
        settle_outbox(world.engine())
        db.session.commit()


def test_the_inbox_counts_searches_sorts_and_leads_to_the_next_step(
    app: Flask,
    world: World,
    served: str,
    browser: Any,  # noqa: F811
) -> None:
    world.staff("asesor", "asesor")
    world.staff("coordinador", "coordinador", "asesor")
    world.staff("funcionario.fondos", "area_fondos")
    ana = world.citizen("1012345678", full_name="Ana Beltrán")
    luis = world.citizen("79123456", full_name="Luis Cárdenas")
    first = world.file_case(ana, asunto="Giro del semestre no recibido")
    second = world.file_case(luis, tipo="queja", asunto="Demora en la atención telefónica")
    escalated = world.file_case(ana, asunto="Certificado de paz y salvo")
    world.escalate(escalated)  # the Fondos area has 5.2.11

    # The Asesor has nothing of their own yet: the inbox opens on the group, with counts.
    asesor = Actor(browser, served, "bandeja-asesor")
    asesor.staff_login("asesor")
    tabs = asesor.page.get_by_role("navigation", name="Vistas de la bandeja")
    assert tabs.get_by_role("link", name="Mis tareas (0)").count() == 1
    current = tabs.locator('[aria-current="page"]')
    assert current.inner_text() == "Mi grupo (2)"
    assert sorted(rows(asesor)) == sorted([first, second])
    look(asesor, "grupo")

    # Search by the citizen's document, then by radicado (lower case and spaces are fine).
    search = asesor.page.get_by_label("Radicado o número de documento")
    search.fill("79123456")
    asesor.page.get_by_role("button", name="Buscar").click()
    asesor.page.get_by_text("1 tarea para «79123456»").wait_for()
    assert rows(asesor) == [second]
    asesor.page.get_by_label("Radicado o número de documento").fill(f"  {first.lower()} ")
    asesor.page.get_by_role("button", name="Buscar").click()
    asesor.page.get_by_text(f"1 tarea para «{first.lower()}»").wait_for()
    assert rows(asesor) == [first]
    look(asesor, "busqueda")
    asesor.page.get_by_role("link", name="Quitar filtros").click()

    # Sorting by radicado: ascending, then descending; the address can be shared.
    asesor.page.get_by_role("link", name="Radicado (ordenar de menor a mayor)").click()
    asesor.page.wait_for_url("**orden=radicado**")
    assert rows(asesor) == [first, second]
    asesor.page.get_by_role("link", name="Radicado (ordenar de mayor a menor)").click()
    asesor.page.wait_for_url("**sentido=desc**")
    assert rows(asesor) == [second, first]
    shared = asesor.page.url
    coordinador = Actor(browser, served, "bandeja-coordinador")
    coordinador.staff_login("coordinador")
    coordinador.page.goto(shared)
    assert rows(coordinador) == [second, first]
    header = coordinador.page.locator('th[aria-sort="descending"]')
    assert header.inner_text().startswith("Radicado")

    # The radicado opens the case file.
    asesor.page.get_by_role("link", name=first, exact=True).click()
    asesor.page.get_by_role("heading", level=2, name=f"Caso {first}").wait_for()

    # 5.2.6 done, the same Asesor continues with 5.2.7 of the same case.
    asesor.open_task(first, "5.2.6 Revisar la solicitud registrada")
    assert asesor.page.get_by_role("link", name="Ver el expediente completo del caso").count()
    look(asesor, "5.2.6")
    asesor.page.get_by_role("group", name="¿Es una felicitación?").get_by_label("No").check()
    asesor.page.get_by_role("button", name="Completar la tarea").click()
    asesor.page.get_by_role("heading", level=1, name="5.2.7 Analizar la complejidad").wait_for()
    flash = asesor.page.locator(".flash").inner_text()
    assert "Tarea completada: 5.2.6" in flash and "Continúe con 5.2.7" in flash
    look(asesor, "continuar-5.2.7")
    asesor.page.get_by_label("Alta").check()
    asesor.page.get_by_label("Análisis").fill("Requiere información del área de fondos.")
    asesor.page.get_by_role("button", name="Completar la tarea").click()
    # 5.2.8 waits on the legacy look-up: back to the inbox, saying so.
    asesor.page.wait_for_url("**/bandeja/")
    flash = asesor.page.locator(".flash").inner_text()
    assert f"El caso {first} sigue en un paso automático del sistema" in flash
    # 5.2.7 was taken by completing it; nothing is the Asesor's now but the look-up's result.
    settle(app, world)
    asesor.go("/bandeja/?vista=group")
    decide = "5.2.8 Decidir el escalamiento con la información de los aplicativos"
    assert asesor.page.locator("tr", has_text=first).get_by_role("link", name=decide).count()

    # A step of another group: the inbox says where the case went.
    asesor.open_task(first, decide)
    asesor.page.get_by_role("group", name="¿Se debe escalar?").get_by_label("Sí").check()
    asesor.page.get_by_label("Justificación").fill("Solo el área conoce el estado del giro.")
    asesor.page.get_by_role("button", name="Completar la tarea").click()
    asesor.page.wait_for_url("**/bandeja/")  # 5.2.9 tells the citizen first (an e-mail)
    settle(app, world)
    asesor.open_task(first, "5.2.10 Escalar al área competente")
    asesor.page.get_by_label("Área competente").select_option("area_fondos")
    asesor.page.get_by_label("Plazo del área (días)").fill("5")
    asesor.page.get_by_role("button", name="Completar la tarea").click()
    asesor.page.wait_for_url("**/bandeja/")
    settle(app, world)

    # The Funcionario: the area's three steps in a row, then the case goes back to the Asesor.
    fondos = Actor(browser, served, "bandeja-funcionario")
    fondos.staff_login("funcionario.fondos")
    assert sorted(rows(fondos)) == sorted([first, escalated])
    options = fondos.page.locator("#filtro-tarea option").all_text_contents()  # folded
    assert [o.split(" ")[0] for o in options[1:]] == ["5.2.11", "5.2.12", "5.2.13"]
    look(fondos, "grupo")
    fondos.open_task(escalated, "5.2.11 Recibir y analizar la solicitud")
    look(fondos, "5.2.11")
    area = fondos.page.get_by_role("group", name="¿La solicitud corresponde a su área?")
    area.get_by_label("Sí").check()
    fondos.page.get_by_role("button", name="Completar la tarea").click()
    fondos.page.get_by_role("heading", level=1, name="5.2.12 Investigar el caso").wait_for()
    assert "Continúe con 5.2.12" in fondos.page.locator(".flash").inner_text()
    fondos.page.get_by_label("Hallazgos de la investigación").fill("El certificado ya salió.")
    fondos.page.get_by_role("button", name="Completar la tarea").click()
    fondos.page.get_by_role("heading", level=1, name="5.2.13").wait_for()
    look(fondos, "continuar-5.2.13")
    fondos.page.get_by_label("Información para el Asesor").fill(
        "El certificado de paz y salvo se expidió el 3 de marzo."
    )
    fondos.page.get_by_role("button", name="Completar la tarea").click()
    fondos.page.wait_for_url("**/bandeja/")
    flash = fondos.page.locator(".flash").inner_text()
    assert f"El caso {escalated} pasó a «5.2.14" in flash, flash
    assert "(Asesor de Servicio al Cliente)" in flash
    look(fondos, "caso-enviado")

    # The Asesor takes a task: the coordinator sees who has it, another member only that it
    # is taken. A task that does not exist leads back to the inbox.
    asesor.go("/bandeja/?vista=group")
    asesor.page.locator("tr", has_text=second).get_by_role("button", name="Tomar").click()
    asesor.go("/bandeja/?vista=mine")
    assert asesor.page.get_by_role("link", name="Mis tareas (1)").count() == 1
    assert "Usted" in asesor.page.locator("tr", has_text=second).inner_text()
    look(asesor, "mis-tareas")
    coordinador.go("/bandeja/?vista=group")
    assert "Asesor" in coordinador.page.locator("tr", has_text=second).inner_text()
    look(coordinador, "grupo")
    coordinador.go("/bandeja/tareas/no-existe")
    coordinador.page.get_by_role("link", name="Volver a la bandeja de tareas").wait_for()
    look(coordinador, "error-404")
