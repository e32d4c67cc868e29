"""One weekly quality audit (5.2.18–5.2.22) in a real browser, on the real workers' stack.

Two cases are answered in the week; on Monday beat starts the audit and the worker draws the
sample (its size from the week's population), the Profesional OCM opens each sampled case
read-only and finds the F182 prefilled from its record, the worker scores the F182s with the
decision table and builds the report, the Profesional edits the narrative and the worker
builds the PDF; the Jefe OCM, the Gerente and the Comité each read the report and every
earlier answer. The copy to the outsourcing is an e-mail carrying the PDF and the Jefe's
comments. The PDF opens and holds the figures (pypdf), and a page of it is rendered to PNG.
"""

import io
import shutil
import subprocess
from datetime import datetime

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import BOGOTA
from engine.models import AuditReport, ProcessInstance
from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import World
from tests.web.test_browser import ARTIFACTS, Actor, _settle, browser, live_app  # noqa: F401
from tests.web.test_browser_handoffs import look
from tests.workers.harness import wait_for
from web.extensions import db

WEEK = "semana del 9 mar al 15 mar 2026"
AUDIT = f"Auditoría de la {WEEK}"
ANSWER = "Hemos revisado su caso: el giro del semestre salió el 3 de marzo de 2026."
NARRATIVE = (
    "La semana muestra un servicio oportuno; un caso tuvo errores menores de redacción. "
    "Se recomienda reforzar la revisión ortográfica antes del envío."
)
COMMENTS = "Revisen la redacción del caso señalado y respondan antes del comité."
OUTSOURCING_ANSWER = "Se revisó con la agente; se corrigió la plantilla de respuesta."


def answer(world: World, radicado: str) -> None:
    """The case answered directly by the Asesor, approved and classified by quality."""
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado, "ut_5_2_7", "asesor", {"complejidad": "baja", "analisis": "Se responde ya."}
    )
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": False, "justificacion_escalamiento": "La información está en C&CTEX."},
    )
    world.complete(
        radicado, "ut_5_2_14", "asesor", {"plantilla": "respuesta_de_fondo", "respuesta": ANSWER}
    )
    world.complete(
        radicado,
        "ut_5_2_15",
        "calidad",
        {"cumple": True, "acorde": True, "clara": True, "sin_errores_forma": True},
    )
    world.complete(radicado, "ut_5_2_16", "calidad", {"tipificacion": "informacion_general"})


def audit_row(app, key: str) -> AuditReport | None:
    with app.app_context(), Session(db.engine) as session:
        return session.scalar(
            select(AuditReport)
            .join(ProcessInstance, ProcessInstance.id == AuditReport.instance_id)
            .where(ProcessInstance.business_key == key)
        )


def judge(actor: Actor, radicado: str, writing: str, note: str) -> None:
    """5.2.18 for one sampled case: open the case read-only, then judge what needs a person."""
    actor.open_task(AUDIT, "5.2.18 Registrar el formato F182 por caso de la muestra")
    page = actor.page
    form = page.locator("form.stack")
    assert radicado in page.locator("main").inner_text()
    text = form.inner_text()
    # Prefilled from the case record, shown as text: the Profesional does not type it.
    for fact in (
        "Fecha y hora de la respuesta final:",
        "¿Primera respuesta a tiempo? Sí",
        "¿Respuesta final dentro del término legal? Sí",
        "Tipo de solicitud: Reclamo",
        "Canal de ingreso: Portal web",
        ANSWER,
    ):
        assert fact in text, fact
    assert "Chat: tiempo de espera" not in text  # a portal case: no Chat section
    page.get_by_role("link", name=f"Ver el expediente del caso {radicado} (consulta)").click()
    page.get_by_role("heading", name="Expediente del caso").wait_for()
    assert ANSWER in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Prorrogar").count() == 0  # read-only
    if writing == "Alta: sin errores":
        look(actor, "expediente-en-consulta")
    page.go_back()
    page.get_by_role("group", name="¿El agente es efectivo en la respuesta?").get_by_label(
        "Sí"
    ).check()
    page.get_by_label(writing).check()
    page.get_by_label("Observaciones generales de calidad").fill(note)
    if writing == "Alta: sin errores":
        look(actor, "5.2.18-f182")
    actor.submit_task()


def test_a_weekly_audit_from_the_sample_to_the_committee(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    for username, group in (
        ("asesor", "asesor"),
        ("calidad", "agente_calidad"),
        ("profesional", "profesional_ocm"),
        ("jefe", "jefe_ocm"),
        ("gerente", "gerente_outsourcing"),
        ("comite", "comite_calidad"),
    ):
        world.staff(username, group)
    citizen = world.citizen("1098765432", full_name="Valentina Ortiz")
    radicados = [
        world.file_case(citizen, asunto="Giro del fondo no recibido"),
        world.file_case(citizen, asunto="Estado del crédito"),
    ]
    for radicado in radicados:
        answer(world, radicado)
        assert world.case(radicado).answered_at is not None

    # Monday 16 March, 08:00: beat starts the audit of the week; the worker draws the sample.
    stack.clock.set(datetime(2026, 3, 16, 8, 0, tzinfo=BOGOTA))
    key = "auditoria_calidad@2026-03-16T12:00:00+00:00"
    audit = wait_for(lambda: audit_row(app, key), 60, "the audit's sample")
    assert (audit.population, audit.sample_size) == (2, 2)  # 95 %, ±10 %: all of a tiny week
    _settle(app)

    profesional = Actor(browser, base, "auditoria-profesional")
    profesional.staff_login("profesional")
    judge(profesional, radicados[0], "Alta: sin errores", "Respuesta completa y oportuna.")
    _settle(app)
    judge(profesional, radicados[1], "Media: errores menores", "Dos tildes faltantes.")
    _settle(app)  # the worker scores the F182s and builds the report

    # 5.2.19: the report with the score, the chart by criterion and the inconsistency.
    profesional.open_task(AUDIT, "5.2.19 Elaborar el informe de auditoría")
    page = profesional.page
    report = page.locator("section.audit-report").inner_text()
    assert "92,5 sobre 100" in report  # (100 + 85) / 2
    assert "2 de 2 respondidos en la semana" in report
    assert "La respuesta tiene errores menores de redacción u ortografía." in report
    assert "Dos tildes faltantes." in report  # the evidence
    assert page.locator("figure.chart svg").count() == 3  # per case, by criterion, trend
    look(profesional, "5.2.19-informe")
    page.get_by_label("Narrativa del informe").fill(NARRATIVE)
    profesional.submit_task()
    _settle(app)  # the worker builds the PDF

    # 5.2.20: the Jefe reads the report, the PDF and the narrative, and sends the copy.
    jefe = Actor(browser, base, "auditoria-jefe")
    jefe.staff_login("jefe")
    jefe.open_task(AUDIT, "5.2.20 Recibir el informe y remitir copia al Outsourcing")
    page = jefe.page
    assert "92,5 sobre 100" in page.locator("section.audit-report").inner_text()
    assert NARRATIVE in jefe.earlier_records()
    pdf_link = page.get_by_role("link", name="Descargar el informe en PDF")
    download = page.request.get(base + pdf_link.get_attribute("href"))
    assert download.ok and download.body().startswith(b"%PDF")
    look(jefe, "5.2.20-jefe")
    page.get_by_label("He revisado el informe").check()
    page.get_by_label("Comentarios para el Outsourcing").fill(COMMENTS)
    jefe.submit_task()
    _settle(app)

    # The copy to the outsourcing: an e-mail with the PDF and the Jefe's comments.
    mails = stack.smtp.with_subject(f"Informe de auditoría de calidad – {WEEK}")
    assert len(mails) == 1
    mail = mails[0]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Oficina Comercial y de Mercadeo" in body and "Control y Mejoramiento" not in body
    assert COMMENTS in body
    assert "No se encontraron inconsistencias" not in body
    attached = [part for part in mail.iter_attachments()]
    assert [a.get_filename() for a in attached] == ["informe-auditoria-2026-03-16.pdf"]
    pdf = attached[0].get_content()
    assert pdf == download.body()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for figure in ("92,5 sobre 100", radicados[0], radicados[1], "85", NARRATIVE[:40]):
        assert figure in text, figure
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "informe-auditoria.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):  # a page to look at (poppler-utils; not needed to pass)
        target = str(ARTIFACTS / "informe-auditoria")
        pages = ["-f", "1", "-l", "2"]
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", *pages, target + ".pdf", target], check=True
        )

    # 5.2.21: the Gerente reads the report and the Jefe's comments, and answers.
    gerente = Actor(browser, base, "auditoria-gerente")
    gerente.staff_login("gerente")
    gerente.open_task(AUDIT, "5.2.21 Evaluar inconsistencias y responder")
    page = gerente.page
    assert "92,5 sobre 100" in page.locator("section.audit-report").inner_text()
    assert COMMENTS in gerente.earlier_records()
    look(gerente, "5.2.21-gerente")
    page.get_by_label("Respuesta a las inconsistencias").fill(OUTSOURCING_ANSWER)
    page.get_by_label("Acciones tomadas").fill("Capacitación en redacción al equipo.")
    gerente.submit_task()

    # 5.2.22: the Comité reads the whole chain and records its decision.
    comite = Actor(browser, base, "auditoria-comite")
    comite.staff_login("comite")
    comite.open_task(AUDIT, "5.2.22 Evaluar inconsistencias y respuestas")
    page = comite.page
    chain = comite.earlier_records()
    for said in (OUTSOURCING_ANSWER, COMMENTS, NARRATIVE):
        assert said in chain, said
    look(comite, "5.2.22-comite")
    page.get_by_label("Se requieren acciones de mejora").check()
    page.get_by_label("Decisiones y compromisos").fill("Seguimiento mensual de la redacción.")
    page.get_by_label("Fecha de la reunión del Comité").fill("2026-03-20")
    comite.submit_task()

    # Past audits are listed and readable; a past week can be audited on request.
    profesional.go("/auditorias/")
    page = profesional.page
    row = page.locator("tr", has_text=WEEK)
    assert "92,5" in row.inner_text()
    look(profesional, "auditorias")
    page.get_by_label("Un día de la semana que quiere auditar").fill("2026-02-25")
    page.get_by_role("button", name="Iniciar la auditoría").click()
    page.get_by_text("Se inició la auditoría").wait_for()
    assert page.locator("tr", has_text="semana del 23 feb al 1 mar 2026").count() == 1
    page.get_by_label("Un día de la semana que quiere auditar").fill("2026-03-11")
    page.get_by_role("button", name="Iniciar la auditoría").click()
    page.get_by_text("Esa semana ya tiene su auditoría.").wait_for()
    row = page.locator("tr", has_text=WEEK)
    row.get_by_role("link").click()
    page.get_by_role("heading", name="Auditoría de calidad").wait_for()
    shown = page.locator("main").inner_text()
    assert "terminada" in shown and "Seguimiento mensual de la redacción." in shown
    look(profesional, "auditoria-terminada")
