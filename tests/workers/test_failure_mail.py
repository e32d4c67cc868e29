"""The weekly failure report reaches the process leader by e-mail, from beat, on the shared
clock: a missed 24 h term on Tuesday is in Monday morning's report to the coordinator."""

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from engine.models import CaseAlert
from tests.workers.harness import wait_for


def test_monday_morning_mails_last_weeks_failures_to_the_coordinator(stack, desk):
    stack.worker.start()
    stack.beat.start()
    case = desk.file_case()
    wait_for(lambda: stack.smtp.with_subject(case.radicado), what="the acuse")
    stack.clock.advance(timedelta(hours=24, minutes=1))
    wait_for(lambda: stack.smtp.with_subject("ALERTA"), what="the 24 h alert")
    wait_for(
        lambda: desk.read(lambda s: s.scalar(select(CaseAlert.id))), what="the alert on record"
    )
    assert not stack.smtp.with_subject("Reporte de fallas")

    stack.clock.set(datetime.fromisoformat("2026-03-16T07:30:00-05:00"))
    (mail,) = wait_for(
        lambda: stack.smtp.with_subject("Reporte de fallas"), timeout=60, what="the report"
    )
    assert "coordinador@icetex.example" in mail["To"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert case.radicado in body and "Primera respuesta" in body and "24 horas" not in body
    assert "del 9 de marzo de 2026 al 15 de marzo de 2026" in str(mail["Subject"]) + body
    (attachment,) = list(mail.iter_attachments())
    workbook = load_workbook(io.BytesIO(attachment.get_content()))
    rows = list(workbook["Fallas"].iter_rows(values_only=True))
    assert any(r and r[0] == case.radicado for r in rows)

    stack.clock.advance(timedelta(minutes=30))  # later sweeps the same Monday send nothing new
    wait_for(lambda: len(desk.outbox(operation="failure_report", status="done")) == 1, what="done")
    assert len(stack.smtp.with_subject("Reporte de fallas")) == 1
