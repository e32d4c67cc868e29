"""Beat drives time-based work: the 24 h alert and the weekly audit, on the shared clock."""

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.models import CaseAlert, ProcessInstance
from tests.workers.harness import wait_for


def test_the_24_hour_alert_fires_from_beat_when_the_clock_passes_it(stack, desk):
    stack.worker.start()
    stack.beat.start()
    case = desk.file_case()
    wait_for(lambda: stack.smtp.with_subject(case.radicado), what="the acuse")

    stack.clock.advance(timedelta(hours=24, minutes=1))

    alerts = wait_for(
        lambda: desk.read(lambda s: list(s.scalars(select(CaseAlert)))), what="the alert"
    )
    assert [(a.case_id, a.term) for a in alerts] == [(case.id, "primera_respuesta")]
    alert_mail = wait_for(lambda: stack.smtp.with_subject("ALERTA"), what="the alert e-mail")
    reminder = stack.smtp.with_subject("Recordatorio")
    assert len(alert_mail) == 1 and len(reminder) == 1
    recipients = alert_mail[0]["X-Envelope-To"]
    assert "coordinador@icetex.example" in recipients  # the coordinator
    assert "asesor@icetex.example" in recipients  # and the group holding the case
    assert "primera respuesta" in alert_mail[0]["Subject"]
    # Staff e-mails carry no citizen footer.
    staff_body = alert_mail[0].get_body(preferencelist=("plain",)).get_content()
    assert "Consulte" not in staff_body and "mensaje automático" in staff_body


def test_the_weekly_audit_starts_on_its_schedule_once_per_period(stack, desk):
    def audits() -> list[datetime]:
        """The period each audit instance was started for."""
        keys = desk.read(
            lambda s: list(
                s.scalars(
                    select(ProcessInstance.business_key)
                    .where(ProcessInstance.process_id == "auditoria_calidad")
                    .order_by(ProcessInstance.id)
                )
            )
        )
        return [datetime.fromisoformat(key.partition("@")[2]) for key in keys]

    stack.worker.start()
    stack.beat.start()
    # Tuesday 10 March 2026: the week that began on Monday 9 March at 07:00 has its audit.
    wait_for(audits, what="this week's audit")
    assert audits() == [datetime.fromisoformat("2026-03-09T07:00:00-05:00")]

    stack.clock.advance(timedelta(days=6))  # Monday 16 March, 08:00 Bogotá
    wait_for(lambda: len(audits()) == 2, what="next week's audit")
    wait_for(
        lambda: len(desk.outbox(operation="audit_sample", status="done")) == 2,
        what="each audit's sample",
    )
    assert audits()[1] == datetime.fromisoformat("2026-03-16T07:00:00-05:00")


def test_the_monthly_report_counts_last_months_cases_from_the_table(stack, desk):
    from engine.models import Event

    stack.worker.start()
    first = desk.file_case()
    desk.file_case(tipo="queja", asunto="Demora en la atención")
    wait_for(lambda: len(stack.smtp.with_subject("Radicamos")) == 2, what="both acuses")
    assert first.radicado.startswith("AV-2026-")

    stack.clock.set(datetime.fromisoformat("2026-04-01T08:00:00-05:00"))
    stack.beat.start()

    def report():
        def find(session):
            instance = session.scalars(
                select(ProcessInstance.id).where(ProcessInstance.process_id == "informe_mensual")
            ).first()
            return session.scalars(
                select(Event.data).where(
                    Event.instance_id == instance, Event.kind == "service_completed"
                )
            ).first()

        return desk.read(find)

    result = wait_for(report, timeout=60, what="the monthly report")["reporte"]
    assert result["periodo"] == "2026-03"
    assert result["casos_radicados"] == 2
    assert result["por_tipo"] == {"Reclamo": 1, "Queja": 1}
    assert result["primera_respuesta_24h"] == {
        "evaluados": 2,
        "cumplidos": 0,
        "porcentaje": 0.0,
        "por_forma": {},
    }
    assert result["escalados"]["porcentaje"] == 0.0
