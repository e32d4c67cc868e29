"""The monthly contract report, built by the real worker from a seeded March 2026 (with the
San José holiday week), opened as XLSX and PDF and checked against the case records; then
walked to the e-mail that carries both files to the Interventoría."""

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update

from engine.clock import BOGOTA
from engine.models import Case, Event, HumanTask, ProcessInstance, ReportFile, User
from tests.workers.harness import wait_for

BOGOTA_OFFSET = "-05:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + BOGOTA_OFFSET)


def seed_march(stack, desk) -> list[Any]:
    """Five cases filed in March 2026; the record's times say what people did and when."""
    filed = []
    for moment, changes in (
        ("2026-03-02T09:00:00", {}),
        ("2026-03-10T10:00:00", {"tipo": "queja", "asunto": "Demora en la atención"}),
        # Friday before the San José holiday (Monday 23 March): the 24 h run over the weekend
        # and the holiday.
        ("2026-03-20T16:00:00", {}),
        ("2026-03-20T16:30:00", {"tipo": "queja", "asunto": "Trato recibido en la oficina"}),
        ("2026-03-25T11:00:00", {}),
    ):
        stack.clock.set(at(moment))
        filed.append(desk.file_case(**changes))
    # What people did on record: first responses and final answers.
    work = {
        filed[0].id: {"first_response_at": at("2026-03-02T11:00:00"), "answered": "2026-03-06"},
        filed[1].id: {"first_response_at": at("2026-03-12T10:00:00"), "answered": None},
        filed[2].id: {"first_response_at": at("2026-03-24T09:00:00"), "answered": "2026-03-27"},
        filed[3].id: {"first_response_at": None, "answered": None},
        filed[4].id: {"first_response_at": at("2026-03-25T15:00:00"), "answered": None},
    }

    def record(engine, session):
        for case_id, done in work.items():
            values: dict[str, Any] = {"first_response_at": done["first_response_at"]}
            if done["first_response_at"] is not None:
                values["first_response_kind"] = "respuesta"
            if done["answered"]:
                values["answered_at"] = at(done["answered"] + "T15:00:00")
                values["answer"] = "Respuesta final de prueba."
            session.execute(update(Case).where(Case.id == case_id).values(**values))

    desk.act(record)
    return filed


def expected_from_records(desk, now: datetime) -> dict[str, Any]:
    """The figures, counted here from the case rows (independently of the operator)."""

    def count(session):
        cases = list(
            session.scalars(
                select(Case).where(
                    Case.filed_at >= at("2026-03-01T00:00:00"),
                    Case.filed_at < at("2026-04-01T00:00:00"),
                )
            )
        )
        first_due = [c for c in cases if c.first_response_at or c.first_response_due < now]
        first_ok = [
            c
            for c in first_due
            if c.first_response_at and c.first_response_at <= c.first_response_due
        ]
        legal_due = [c for c in cases if c.answered_at or c.legal_due < now]
        legal_ok = [c for c in legal_due if c.answered_at and c.answered_at <= c.legal_due]
        return {
            "total": len(cases),
            "quejas": sum(c.request_type == "queja" for c in cases),
            "reclamos": sum(c.request_type == "reclamo" for c in cases),
            "first_pct": round(100 * len(first_ok) / len(first_due), 1),
            "legal_pct": round(100 * len(legal_ok) / len(legal_due), 1) if legal_due else None,
            "holiday_case": next(c for c in cases if c.filed_at == at("2026-03-20T16:00:00")),
        }

    return desk.read(count)


def weekdays_after(start: date, days: int) -> date:
    day = start
    while days:
        day += timedelta(days=1)
        days -= day.weekday() < 5
    return day


def sheet_values(workbook, sheet: str) -> dict[str, Any]:
    """First column → second column of every row of a sheet."""
    return {
        row[0]: row[1]
        for row in workbook[sheet].iter_rows(values_only=True)
        if row and isinstance(row[0], str) and len(row) > 1
    }


def complete_instance_task(desk, instance_id: int, bpmn_id: str, username: str, **data):
    def complete(engine, session):
        task = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == "open",
            )
        ).one()
        person = session.scalars(select(User).where(User.username == username)).one()
        engine.complete_task(task.id, person, data)

    desk.act(complete)


def open_task(desk, instance_id: int) -> str | None:
    return desk.read(
        lambda s: s.scalars(
            select(HumanTask.bpmn_id).where(
                HumanTask.instance_id == instance_id, HumanTask.state == "open"
            )
        ).first()
    )


def report_files(desk) -> list[ReportFile]:
    return desk.read(lambda s: list(s.scalars(select(ReportFile).order_by(ReportFile.id)).all()))


def test_the_worker_builds_the_monthly_files_from_the_case_records(stack, desk):
    from web.demo import ensure_staff
    from web.extensions import db

    with desk.app.app_context():
        ensure_staff("gerente", "Gerente Outsourcing", ["gerente_outsourcing"])
        ensure_staff("interventor", "Inés Interventoría", ["interventoria"])
        db.session.commit()

    seed_march(stack, desk)
    stack.worker.start()
    report_day = at("2026-04-01T08:00:00")
    stack.clock.set(report_day)
    stack.beat.start()

    instance_id = wait_for(
        lambda: desk.read(
            lambda s: s.scalars(
                select(ProcessInstance.id).where(ProcessInstance.process_id == "informe_mensual")
            ).first()
        ),
        what="the monthly instance",
    )
    wait_for(lambda: open_task(desk, instance_id) == "ut_5_2_23", timeout=60, what="5.2.23")
    (xlsx_row, pdf_row) = sorted(report_files(desk), key=lambda f: f.format, reverse=True)
    assert (xlsx_row.period, xlsx_row.version, xlsx_row.filename) == (
        "2026-03",
        1,
        "informe-mensual-2026-03-v1.xlsx",
    )

    expected = expected_from_records(desk, report_day)
    # The holidays (San José, Monday 23 March; Holy Thursday and Friday, 2 and 3 April) push
    # the legal term of the case filed on Friday 20 March past a weekdays-only count.
    holiday_case = expected["holiday_case"]
    assert holiday_case.legal_due.astimezone(BOGOTA).date() > weekdays_after(
        date(2026, 3, 20), holiday_case.legal_days
    )

    workbook = load_workbook(io.BytesIO(xlsx_row.content))
    assert workbook.sheetnames[:6] == [
        "Portada",
        "Resumen",
        "Volumen",
        "Oportunidad",
        "Calidad",
        "Alertas y vencidos",
    ]
    summary = sheet_values(workbook, "Resumen")
    assert summary["Casos radicados"] == expected["total"] == 5
    assert summary["Primera respuesta a tiempo (%)"] == expected["first_pct"]
    assert summary["Respuesta dentro del término legal (%)"] == expected["legal_pct"]
    assert isinstance(summary["Casos radicados"], int)
    volume = sheet_values(workbook, "Volumen")
    assert volume["Queja"] == expected["quejas"] == 2
    assert volume["Reclamo"] == expected["reclamos"] == 3
    assert volume["Portal web"] == 5  # every case of the month came through the portal
    with zipfile.ZipFile(io.BytesIO(xlsx_row.content)) as package:
        native_charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
    assert len(native_charts) == 8  # 5 volumes, trend, times, review share (no alerts)
    timeliness = sheet_values(workbook, "Oportunidad")
    assert timeliness["2026-03"] == 5  # the trend row of the month: its volume

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_row.content)).pages)
    assert "Informe mensual de Atención Virtual - marzo de 2026" in text
    assert "Casos radicados" in text
    assert f"{expected['first_pct']:.1f}".replace(".", ",").removesuffix(",0") in text
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "monthly-report.pdf").write_bytes(pdf_row.content)
    (artifacts / "monthly-report.xlsx").write_bytes(xlsx_row.content)

    # The chain: observations, adjustments (recomputed, version 2), approval, consolidation
    # (version 3, with the summary), delivery by e-mail, the Interventoría's acta.
    complete_instance_task(
        desk, instance_id, "ut_5_2_23", "calidad", comentarios_reportes="Mes con un festivo."
    )
    complete_instance_task(
        desk,
        instance_id,
        "ut_5_2_24",
        "gerente",
        hay_observaciones=True,
        observaciones_reportes="Explique la queja sin primera respuesta.",
    )

    # Meanwhile the record of the pending queja gets its first response (entered late).
    def first_response(engine, session):
        session.execute(
            update(Case)
            .where(Case.filed_at == at("2026-03-20T16:30:00"))
            .values(first_response_at=at("2026-03-21T10:00:00"), first_response_kind="respuesta")
        )

    desk.act(first_response)
    complete_instance_task(
        desk,
        instance_id,
        "ut_5_2_25",
        "calidad",
        ajustes_realizados="Se anotó la queja sin primera respuesta.",
    )
    wait_for(lambda: open_task(desk, instance_id) == "ut_5_2_24", timeout=60, what="recomputed")
    assert max(f.version for f in report_files(desk)) == 2
    recomputed = desk.read(
        lambda s: s.scalars(
            select(Event.data)
            .where(Event.instance_id == instance_id, Event.kind == "service_completed")
            .order_by(Event.id.desc())
        ).first()
    )["reporte"]
    assert recomputed["comparado"] is True
    assert [c["indicador"] for c in recomputed["cambios"]] == ["Primera respuesta a tiempo (%)"]
    assert recomputed["ajustes"] == ["Se anotó la queja sin primera respuesta."]
    complete_instance_task(desk, instance_id, "ut_5_2_24", "gerente", hay_observaciones=False)
    complete_instance_task(
        desk,
        instance_id,
        "ut_5_2_26",
        "gerente",
        resumen_ejecutivo="Marzo cerró con cinco casos y una queja sin primera respuesta.",
    )
    wait_for(lambda: open_task(desk, instance_id) == "ut_5_2_27", timeout=60, what="5.2.27")
    final = [f for f in report_files(desk) if f.version == 3]
    assert {f.format for f in final} == {"xlsx", "pdf"}
    final_pdf = next(f for f in final if f.format == "pdf")
    final_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(final_pdf.content)).pages)
    assert "Marzo cerró con cinco casos" in final_text
    assert "Se anotó la queja sin primera respuesta." in final_text

    complete_instance_task(
        desk,
        instance_id,
        "ut_5_2_27",
        "gerente",
        fecha_remision="2026-04-08",
        medio_fisico=False,
        medio_magnetico=True,
        interventores="Inés Interventoría",
    )
    (mail,) = wait_for(
        lambda: stack.smtp.with_subject("Informe mensual de Atención Virtual"),
        timeout=60,
        what="the report e-mail",
    )
    assert "interventor@" in mail["X-Envelope-To"] or "interventor" in mail["To"]
    attached = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert set(attached) == {
        "informe-mensual-2026-03-v3.xlsx",
        "informe-mensual-2026-03-v3.pdf",
    }
    assert attached["informe-mensual-2026-03-v3.pdf"] == final_pdf.content
    wait_for(lambda: open_task(desk, instance_id) == "ut_interventoria", what="the acta task")
    stack.clock.advance(timedelta(days=10))
    complete_instance_task(
        desk,
        instance_id,
        "ut_interventoria",
        "interventor",
        fecha_acta="2026-04-15",
        numero_acta="A4-2-02-031",
        conclusiones_interventoria="El Comité aprueba el informe de marzo de 2026.",
    )
    assert desk.read(lambda s: s.get(ProcessInstance, instance_id).status) == "completed"
