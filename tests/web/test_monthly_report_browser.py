"""One monthly contract report in a real browser, from 5.2.23 to the e-mail with both files.

The Agente de Calidad reads the indicators with their charts and the files of version 1; the
Gerente sends them back; the adjustments recompute them (version 2); the Gerente approves and
consolidates (version 3); 5.2.27 refuses a delivery with no medium, then the worker e-mails the
XLSX and the PDF to the Interventoría, who records the acta. Real workers, Redis and SMTP
(tests/stack.py); every page checked with axe at 1280 and 390 px and photographed.
"""

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import World
from tests.web.test_browser import Actor, _settle, browser, live_app  # noqa: F401
from tests.workers.harness import wait_for

SIZES = {"escritorio": (1280, 900), "movil": (390, 844)}


def look(actor: Actor, label: str) -> None:
    for size, (width, tall) in SIZES.items():
        actor.page.set_viewport_size({"width": width, "height": tall})
        actor.axe(f"{label} ({size})")
        actor.shot(f"{label}-{size}")
    actor.page.set_viewport_size({"width": 1280, "height": 900})


def open_report_task(actor: Actor, name: str) -> None:
    """Open the group inbox's step «name», once the engine or a worker has made it ready."""

    def listed() -> bool:
        actor.go("/bandeja/?vista=group")
        return actor.page.get_by_role("link", name=name).count() > 0

    wait_for(listed, 60, f"«{name}» in the inbox", interval=0.5)
    actor.page.get_by_role("link", name=name).first.click()
    actor.page.get_by_role("heading", level=1, name=name).wait_for()


def test_a_monthly_report_walks_to_the_interventoria_with_both_files(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    world.staff("calidad", "agente_calidad")
    world.staff("gerente", "gerente_outsourcing")
    world.staff("interventor", "interventoria")

    calidad = Actor(browser, base, "h11b-calidad")
    calidad.staff_login("calidad")
    open_report_task(calidad, "5.2.23 Generar los reportes de atención virtual")
    page = calidad.page
    page.get_by_role("heading", name="Informe de febrero de 2026").wait_for()
    page.get_by_text("Periodo: 2026-02").wait_for()  # AAAA-MM, as its form asks
    # A month without cases still charts the trend, the times and the review share.
    assert page.locator("svg.chart[role=img]").count() == 3
    page.get_by_role("img", name="Cumplimiento de términos, mes a mes").wait_for()
    assert page.get_by_role("link", name="Descargar PDF, versión 1").count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar XLSX, versión 1").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert "Oportunidad" in workbook.sheetnames
    look(calidad, "5.2.23")
    page.get_by_label("Comentarios de los reportes").fill("Febrero sin casos radicados.")
    calidad.submit_task()

    gerente = Actor(browser, base, "h11b-gerente")
    gerente.staff_login("gerente")
    open_report_task(gerente, "5.2.24 Revisar los reportes del periodo")
    gerente.page.get_by_role("group", name="¿Existen observaciones?").get_by_label("Sí").check()
    gerente.page.get_by_label("Observaciones").fill("Indique por qué no hubo casos.")
    gerente.submit_task()

    open_report_task(calidad, "5.2.25 Realizar los ajustes")
    page.get_by_label("Ajustes realizados").fill("Se explicó el mes sin casos.")
    calidad.submit_task()
    _settle(app)

    open_report_task(gerente, "5.2.24 Revisar los reportes del periodo")
    assert gerente.page.get_by_role("link", name="Descargar PDF, versión 2").count() == 1
    panel = gerente.page.locator(".report-panel").inner_text()
    assert "Se explicó el mes sin casos." in panel
    assert "Las cifras no cambiaron desde la revisión anterior." in panel
    look(gerente, "5.2.24")
    gerente.page.get_by_role("group", name="¿Existen observaciones?").get_by_label("No").check()
    gerente.submit_task()
    open_report_task(gerente, "5.2.26 Consolidar el informe mensual")
    gerente.page.get_by_label("Resumen ejecutivo").fill(
        "Febrero de 2026 no registró casos; el servicio estuvo disponible."
    )
    gerente.submit_task()
    _settle(app)

    open_report_task(gerente, "5.2.27 Remitir el informe al Comité de Interventoría")
    page = gerente.page
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar PDF, versión 3").click()
    text = "\n".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Febrero de 2026 no registró casos" in text
    look(gerente, "5.2.27")
    page.get_by_label("Fecha de remisión").fill("2026-03-12")
    page.get_by_label("Interventores destinatarios").fill("Inés Interventoría")
    page.get_by_role("button", name="Completar la tarea").click()
    page.get_by_text("Marque al menos un medio de remisión").first.wait_for()
    page.get_by_label("¿Remitido en medio magnético").check()
    gerente.submit_task()
    _settle(app)

    (mail,) = wait_for(
        lambda: stack.smtp.with_subject("Informe mensual de Atención Virtual"),
        60,
        "the report e-mail",
    )
    assert "interventor@icetex.example" in mail["To"]
    attached = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert sorted(attached) == [
        "informe-mensual-2026-02-v3.pdf",
        "informe-mensual-2026-02-v3.xlsx",
    ]
    assert PdfReader(io.BytesIO(attached["informe-mensual-2026-02-v3.pdf"])).pages

    interventor = Actor(browser, base, "h11b-interventor")
    interventor.staff_login("interventor")
    open_report_task(interventor, "Interventoría: seguir A4-2-02 y registrar el acta")
    page = interventor.page
    assert "Enviado por correo" in page.locator(".report-panel").inner_text()
    look(interventor, "acta")
    page.get_by_label("Fecha del acta").fill("2026-03-20")
    page.get_by_label("Número del acta").fill("A4-2-02-007")
    page.get_by_label("Conclusiones de la Interventoría").fill(
        "El Comité recibe el informe de febrero de 2026 sin observaciones."
    )
    interventor.submit_task()

    interventor.go("/informes/mensual")
    interventor.page.get_by_role("heading", name="Febrero de 2026").wait_for()
    assert interventor.page.get_by_role("link", name="Descargar PDF, versión 3").count() == 1
    look(interventor, "informes")

    interventor.go("/informes/")
    look(interventor, "indice")
    interventor.go("/informes/fallas?desde=2026-03-01&hasta=2026-03-31")
    interventor.page.get_by_role("heading", name="Reporte de fallas", level=1).wait_for()
    look(interventor, "fallas")
    interventor.go("/informes/ley?informe=pqrs&desde=2026-01-01&hasta=2026-06-30")
    interventor.page.get_by_role("heading", name="Informes de ley", level=1).wait_for()
    look(interventor, "ley")
