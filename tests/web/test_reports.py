"""The report pages: the failure report (filters, who sees which leader's failures, XLSX) and
the legal reports (page, XLSX, PDF for any range), computed from the case records."""

import io
from datetime import timedelta

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from engine.models import OutboxMessage
from engine.runtime import Engine
from tests.web.conftest import log_in_staff, settle_outbox
from tests.web.test_console_actions import to_the_answer
from web.extensions import db
from workers import failure_schedule


def _missed_24_hours(world, clock) -> str:
    """A case whose 24 h first-response term passes without a response (alert raised)."""
    world.staff("asesor", "asesor")
    radicado = world.file_case(world.citizen())
    clock.advance(timedelta(hours=25))
    with world.app.app_context():
        engine = Engine(db.session(), clock)
        engine.fire_due_timers()
        settle_outbox(engine)  # the alert is recorded when its e-mail is sent
        db.session.commit()
    return radicado


def test_the_failure_report_lists_a_missed_24_hours_for_the_coordinator(app, client, world, clock):
    radicado = _missed_24_hours(world, clock)
    world.staff("coord", "coordinador")
    log_in_staff(client, "coord")

    page = client.get("/informes/fallas?desde=2026-03-09&hasta=2026-03-15")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert radicado in html
    assert "Primera respuesta" in html and "24 horas" not in html
    assert "1 falla en el periodo." in html

    only_area = client.get("/informes/fallas?desde=2026-03-09&hasta=2026-03-15&termino=area")
    assert radicado not in only_area.get_data(as_text=True)

    export = client.get("/informes/fallas?desde=2026-03-09&hasta=2026-03-15&formato=xlsx")
    assert export.headers["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(export.data))
    rows = list(workbook["Fallas"].iter_rows(values_only=True))
    detail = next(r for r in rows if r and r[0] == radicado)
    assert detail[1] == "Primera respuesta"
    assert isinstance(detail[5], int | float) and detail[5] >= 1  # hours late, as a number


def test_an_area_sees_only_its_own_failures_and_others_none(app, client, world, clock):
    radicado = _missed_24_hours(world, clock)
    world.staff("fondos", "area_fondos")
    log_in_staff(client, "fondos")
    page = client.get("/informes/fallas?desde=2026-03-09&hasta=2026-03-15")
    assert page.status_code == 200
    assert radicado not in page.get_data(as_text=True)  # a coordinator's failure
    client.post("/cuenta/salir")
    log_in_staff(client, "asesor")
    assert client.get("/informes/fallas").status_code == 403


def test_bad_filters_are_refused_in_spanish(app, client, world):
    world.staff("coord", "coordinador")
    log_in_staff(client, "coord")
    assert client.get("/informes/fallas?desde=ayer").status_code == 400
    assert client.get("/informes/fallas?termino=otro").status_code == 400
    backwards = client.get("/informes/fallas?desde=2026-03-10&hasta=2026-03-01")
    assert backwards.status_code == 400
    assert "anterior a la inicial" in backwards.get_data(as_text=True)


def test_monday_morning_queues_one_failure_report_per_leader_once(app, world, clock):
    _missed_24_hours(world, clock)
    monday = clock.now().replace(day=16, hour=12, minute=30)  # 07:30 in Bogotá
    with app.app_context():  # nobody in the coordinator's group yet: no one to send it to
        assert failure_schedule.queue_weekly(db.session, monday) == []
    world.staff("coord", "coordinador")
    with app.app_context():
        sunday = clock.now().replace(day=15, hour=12)
        assert failure_schedule.queue_weekly(db.session, sunday) == []
        (row,) = failure_schedule.queue_weekly(db.session, monday)
        db.session.commit()
        assert (row.key, row.operation, row.params) == (
            "fallas:2026-03-09:coordinador",
            "failure_report",
            {"lider": "coordinador", "semana": "2026-03-09"},
        )
        assert failure_schedule.queue_weekly(db.session, monday) == []
        keys = db.session.scalars(
            select(OutboxMessage.key).where(OutboxMessage.operation == "failure_report")
        ).all()
        assert keys == ["fallas:2026-03-09:coordinador"]


def test_the_legal_reports_count_the_cases_of_any_range(app, client, world):
    world.staff("coord", "coordinador")
    citizen = world.citizen()
    world.file_case(citizen)
    world.file_case(citizen, tipo="queja", asunto="Demora en la atención")
    world.file_case(citizen, tipo="solicitud", modalidad="documentos", asunto="Copia del pagaré")
    log_in_staff(client, "coord")

    page = client.get("/informes/ley?informe=pqrs&desde=2026-03-01&hasta=2026-03-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ley 1474 de 2011" in html
    workbook = load_workbook(
        io.BytesIO(
            client.get(
                "/informes/ley?informe=pqrs&desde=2026-03-01&hasta=2026-03-31&formato=xlsx"
            ).data
        )
    )
    totals = {r[0]: r[1] for r in workbook["Totales"].iter_rows(values_only=True) if r[0]}
    assert totals["Solicitudes recibidas"] == 3
    by_type = {r[0]: r[1] for r in workbook["Tipo y servicio"].iter_rows(values_only=True) if r[0]}
    assert by_type["Queja"] == 1

    info = client.get(
        "/informes/ley?informe=informacion&desde=2026-03-01&hasta=2026-03-31&formato=pdf"
    )
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(info.data)).pages
    )
    assert "Ley 1712 de 2014" in text
    assert "Solicitudes de información recibidas" in text

    earlier = client.get(
        "/informes/ley?informe=pqrs&desde=2026-01-01&hasta=2026-02-28&formato=xlsx"
    )
    totals = {
        r[0]: r[1]
        for r in load_workbook(io.BytesIO(earlier.data))["Totales"].iter_rows(values_only=True)
        if r[0]
    }
    assert totals["Solicitudes recibidas"] == 0
    assert client.get("/informes/ley?informe=otro").status_code == 400


def _answer_with(world, radicado: str, template: str) -> None:
    """Take a case through the area to its final answer, drafted with ``template``."""
    to_the_answer(world, radicado)
    world.complete(
        radicado,
        "ut_5_2_14",
        "asesor",
        {"plantilla": template, "respuesta": "Respuesta de prueba con el detalle del caso."},
    )
    world.complete(
        radicado,
        "ut_5_2_15",
        "calidad",
        {"acorde": True, "clara": True, "sin_errores_forma": True, "cumple": True},
    )
    world.complete(radicado, "ut_5_2_16", "calidad", {"tipificacion": "cobranza"})


def test_the_legal_reports_count_transfers_and_denials_by_the_answers_template(app, client, world):
    from engine.configuration import set_review_share

    for username, group in [
        ("coord", "coordinador"),
        ("asesor", "asesor"),
        ("calidad", "agente_calidad"),
        ("funcionario.fondos", "area_fondos"),
    ]:
        world.staff(username, group)
    with app.app_context():
        set_review_share(db.session, 100, None, app.extensions["clock"].now())
        db.session.commit()
    citizen = world.citizen()
    documents = {"tipo": "solicitud", "modalidad": "documentos", "asunto": "Copia del pagaré"}
    transferred = world.file_case(citizen)
    denied = world.file_case(citizen, **documents)
    answered = world.file_case(citizen, **documents)
    _answer_with(world, transferred, "traslado_por_competencia")
    _answer_with(world, denied, "negacion_de_acceso")
    _answer_with(world, answered, "respuesta_de_fondo")
    assert all(world.case(r).answered_at is not None for r in (transferred, denied, answered))
    log_in_staff(client, "coord")

    def totals(report: str) -> dict:
        sheet = client.get(
            f"/informes/ley?informe={report}&desde=2026-03-01&hasta=2026-03-31&formato=xlsx"
        ).data
        rows = load_workbook(io.BytesIO(sheet))["Totales"].iter_rows(values_only=True)
        return {r[0]: r[1] for r in rows if r[0]}

    pqrs = totals("pqrs")
    assert pqrs["Trasladadas a la entidad competente"] == 1
    information = totals("informacion")
    assert information["Solicitudes de información recibidas"] == 2
    assert information["Trasladadas a la entidad competente"] == 0
    assert information["Con acceso negado (información reservada o clasificada)"] == 1
    page = client.get("/informes/ley?informe=informacion&desde=2026-03-01&hasta=2026-03-31")
    assert "Acceso negado" in page.get_data(as_text=True)
