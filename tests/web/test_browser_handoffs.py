"""An escalated case in a real browser: each person sees what the people before them wrote.

The Funcionario reads the Asesor's instructions and the legacy look-up, the Asesor reads the
area's findings with their file, quality reads the answer under review, and a second review
starts blank. Every page is checked with axe at 1280 px and 390 px and photographed into
tests/artifacts/ (the same real stack as tests/web/test_browser.py: workers, Redis, SMTP).
"""

from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import PASSWORD, PDF, World
from tests.web.test_browser import DOCUMENT, Actor, _settle, browser, live_app  # noqa: F401

INSTRUCTIONS = "Confirme la fecha del giro del semestre 2026-1 y si la universidad lo aplicó."
FINDINGS = "El giro salió el 3 de marzo; la universidad lo recibió el 5 de marzo."
NOTE = "Falta indicar que la universidad ya aplicó el giro a la matrícula."
SIZES = {"escritorio": (1280, 900), "movil": (390, 844)}


def look(actor: Actor, label: str) -> int:
    """axe and a full-page screenshot at both widths; returns the page's height at 390 px."""
    height = 0
    for size, (width, tall) in SIZES.items():
        actor.page.set_viewport_size({"width": width, "height": tall})
        actor.axe(f"{label} ({size})")
        actor.shot(f"{label}-{size}")
        height = actor.page.evaluate("document.documentElement.scrollHeight")
    actor.page.set_viewport_size({"width": 1280, "height": 900})
    return height


def test_each_person_sees_what_came_before_and_a_second_review_starts_blank(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    world.staff("asesor", "asesor")
    world.staff("funcionario.fondos", "area_fondos")
    world.staff("calidad", "agente_calidad")

    world.citizen(DOCUMENT, full_name="Valentina Ortiz")
    citizen = Actor(browser, base, "h7-ciudadano")
    citizen.citizen_login(DOCUMENT, PASSWORD)
    citizen.go("/radicar")
    page = citizen.page
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option("fondos_en_administracion")
    page.get_by_label("Asunto").fill("Giro del fondo no recibido")
    page.get_by_label("Descripción").fill("El giro del fondo de este semestre no ha llegado.")
    page.get_by_role("button", name="Radicar").click()
    page.wait_for_url("**/mis-casos/AV-*")
    radicado = page.url.rsplit("/", 1)[1]
    _settle(app)

    # The Asesor: review, analysis, the legacy look-up as tables, escalation with instructions.
    asesor = Actor(browser, base, "h7-asesor")
    asesor.staff_login("asesor")
    asesor.open_task(radicado, "5.2.6 Revisar la solicitud registrada")
    asesor.page.get_by_role("group", name="¿Es una felicitación?").get_by_label("No").check()
    asesor.submit_task()
    asesor.open_task(radicado, "5.2.7 Analizar la complejidad")
    asesor.page.get_by_label("Alta").check()
    asesor.page.get_by_label("Análisis").fill("Requiere información del área de fondos.")
    asesor.submit_task()
    _settle(app)
    asesor.open_task(
        radicado, "5.2.8 Decidir el escalamiento con la información de los aplicativos"
    )
    assert asesor.page.locator(".legacy table").count() >= 3  # one per system's records
    height = look(asesor, "5.2.8-consulta")
    assert height < 9000, f"the look-up page is {height} px tall at 390 px"
    asesor.page.get_by_role("group", name="¿Se debe escalar?").get_by_label("Sí").check()
    asesor.page.get_by_label("Justificación").fill("Solo el área conoce el estado del giro.")
    asesor.submit_task()
    _settle(app)
    asesor.open_task(radicado, "5.2.10 Escalar al área competente")
    asesor.page.get_by_label("Área competente").select_option("area_fondos")
    asesor.page.get_by_label("Plazo del área (días)").fill("5")
    asesor.page.get_by_label("Instrucciones para el área").fill(INSTRUCTIONS)
    asesor.submit_task()
    _settle(app)

    # The Funcionario reads the Asesor's instructions and the look-up.
    fondos = Actor(browser, base, "h7-fondos")
    fondos.staff_login("funcionario.fondos")
    fondos.open_task(radicado, "5.2.11 Recibir y analizar la solicitud")
    before = fondos.earlier_records()
    assert INSTRUCTIONS in before
    assert "Vicepresidencia de Fondos en Administración" in before
    assert "area_fondos" not in before
    fondos.page.get_by_text("Consulta en los aplicativos").wait_for()
    look(fondos, "5.2.11-instrucciones")
    fondos.page.get_by_role("group", name="¿La solicitud corresponde a su área?").get_by_label(
        "Sí"
    ).check()
    fondos.submit_task()
    fondos.open_task(radicado, "5.2.12 Investigar el caso")
    fondos.page.get_by_label("Hallazgos de la investigación").fill(FINDINGS)
    fondos.page.get_by_label("Soportes").set_input_files(
        files=[{"name": "extracto-giro.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    fondos.submit_task()
    fondos.open_task(radicado, "5.2.13 Suministrar la información al Asesor")
    assert FINDINGS in fondos.earlier_records()
    fondos.page.get_by_label("Información para el Asesor").fill(
        "El giro se hizo el 3 de marzo y la universidad ya lo aplicó a la matrícula."
    )
    fondos.submit_task()

    # The Asesor reads the area's findings, with the file, and drafts.
    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    before = asesor.earlier_records()
    assert FINDINGS in before and "ya lo aplicó a la matrícula" in before
    link = asesor.page.locator('section[aria-labelledby="antes-titulo"]').get_by_role(
        "link", name="extracto-giro.pdf"
    )
    assert link.count() == 1
    look(asesor, "5.2.14-hallazgos")
    asesor.page.locator("#campo-plantilla").select_option("respuesta_queja_reclamo")
    asesor.page.get_by_label("Respuesta al usuario").fill(
        "Respetada Valentina: el giro se hizo el 3 de marzo. Cordialmente, ICETEX."
    )
    asesor.submit_task()

    # Quality reads the answer under review and rejects it.
    calidad = Actor(browser, base, "h7-calidad")
    calidad.staff_login("calidad")
    calidad.open_task(radicado, "5.2.15 Revisar la respuesta")
    assert "Respuesta en revisión" in calidad.earlier_records()
    assert "Borradores anteriores" not in calidad.page.content()
    look(calidad, "5.2.15-primera")
    calidad.page.get_by_label("¿Está acorde con lo solicitado?").check()
    calidad.page.get_by_label("¿Es clara?").check()
    calidad.page.get_by_role("group", name="¿La respuesta cumple?").get_by_label("No").check()
    calidad.page.get_by_label("Observaciones de calidad").fill(NOTE)
    calidad.submit_task()

    asesor.open_task(radicado, "5.2.14 Elaborar la respuesta según el protocolo")
    assert "Respuesta rechazada" in asesor.earlier_records() and NOTE in asesor.earlier_records()
    answer = asesor.page.get_by_label("Respuesta al usuario")
    assert "el giro se hizo el 3 de marzo" in answer.input_value()  # the draft carries over
    answer.fill(
        "Respetada Valentina: el giro se hizo el 3 de marzo y la universidad ya lo aplicó "
        "a su matrícula. Cordialmente, ICETEX."
    )
    asesor.submit_task()

    # The second review starts blank: no «No» chosen, no old note, no box ticked.
    calidad.open_task(radicado, "5.2.15 Revisar la respuesta")
    verdict = calidad.page.get_by_role("group", name="¿La respuesta cumple?")
    assert not verdict.get_by_label("No").is_checked()
    assert not verdict.get_by_label("Sí").is_checked()
    assert calidad.page.get_by_label("Observaciones de calidad").input_value() == ""
    assert not calidad.page.get_by_label("¿Está acorde con lo solicitado?").is_checked()
    assert "Respuesta rechazada" in calidad.earlier_records() and NOTE in calidad.earlier_records()
    look(calidad, "5.2.15-segunda")
    # On a phone the records come first; one link takes the reviewer to the form.
    calidad.page.set_viewport_size({"width": 390, "height": 844})
    calidad.page.get_by_role("link", name="Ir al formulario de la tarea").click()
    top = calidad.page.evaluate("document.getElementById('formulario').getBoundingClientRect().top")
    assert 0 <= top < 844
    calidad.page.set_viewport_size({"width": 1280, "height": 900})
    for label in (
        "¿Está acorde con lo solicitado?",
        "¿Es clara?",
        "¿Está libre de errores de forma?",
    ):
        calidad.page.get_by_label(label).check()
    verdict.get_by_label("Sí").check()
    calidad.submit_task()

    # The staff case file: where the case is now, then one record per step.
    calidad.go(f"/bandeja/casos/{radicado}")
    main = calidad.page.locator("main").inner_text()
    assert main.index("Paso actual") < main.index("Historial del caso")
    assert "5.2.16 Tipificar" in main[: main.index("Historial del caso")]
    history = main[main.index("Historial del caso") :]
    assert "Respuesta rechazada" in history and "Respuesta aprobada" in history
    for raw in ("area_fondos", "(task_completed)", "(hito)", "None"):
        assert raw not in main, raw
    look(calidad, "expediente")
