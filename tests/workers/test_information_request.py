"""Incomplete requests and interim answers on the real workers: e-mails through the real SMTP
server, the desistimiento timer from beat, the monthly indicator from the table."""

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.models import Case, Event, ProcessInstance
from tests.workers.harness import wait_for

ASK = "Envíenos el soporte del pago de marzo (extracto bancario o recibo) para verificarlo."
INTERIM = (
    "Estamos verificando los pagos con el área de cartera y le daremos una respuesta "
    "completa en la fecha indicada."
)


def settled(desk) -> None:
    """The worker has handed back every service result (no write races with the next step)."""
    wait_for(lambda: not desk.outbox(status="pending"), what="the worker to settle the outbox")


def to_5_2_14(desk, case) -> None:
    settled(desk)
    desk.complete(case.id, "ut_5_2_6", "asesor", es_felicitacion=False)
    desk.complete(case.id, "ut_5_2_7", "asesor", complejidad="media", analisis="Revisar los pagos.")
    wait_for(lambda: desk.open_tasks(case.id) == ["ut_5_2_8"], what="the legacy look-up")
    settled(desk)
    desk.complete(
        case.id, "ut_5_2_8", "asesor", escalar=False, justificacion_escalamiento="No aplica."
    )


def case_row(desk, case_id: int) -> Case:
    return desk.read(lambda s: s.get(Case, case_id))


def test_no_reply_in_a_month_ends_the_case_as_desistimiento_with_the_e_mail(stack, desk):
    stack.worker.start()
    stack.beat.start()
    case = desk.file_case()
    wait_for(lambda: stack.smtp.with_subject("Radicamos"), what="the acuse")
    to_5_2_14(desk, case)
    desk.complete(
        case.id, "ut_5_2_14", "asesor", plantilla="solicitud_de_informacion", respuesta=ASK
    )
    (asked,) = wait_for(lambda: stack.smtp.with_subject("Necesitamos información"), what="ask")
    body = asked.get_body(preferencelist=("plain",)).get_content()
    assert ASK in body and "viernes 10 de abril de 2026" in body
    assert "artículo 17 de la Ley 1755" in body
    wait_for(
        lambda: desk.open_tasks(case.id) == ["ut_aportar_informacion"], what="the citizen's task"
    )

    stack.clock.set(datetime.fromisoformat("2026-04-11T00:01:00-05:00"))  # the month is over
    (notice,) = wait_for(
        lambda: stack.smtp.with_subject("Desistimiento tácito"), timeout=60, what="the notice"
    )
    assert notice["To"] == "maria.gomez@example.com"
    body = notice.get_body(preferencelist=("plain",)).get_content()
    assert case.radicado in body
    assert "se entiende que usted desistió" in body
    assert "volver a presentarla" in body
    assert "martes 10 de marzo de 2026" in body  # when the information was asked for
    row = case_row(desk, case.id)
    assert row.status == "desistido" and row.withdrawn_at is not None
    assert desk.open_tasks(case.id) == []

    def status() -> str:
        return desk.read(
            lambda s: s.scalars(
                select(ProcessInstance.status).where(ProcessInstance.case_id == case.id)
            ).one()
        )

    wait_for(lambda: status() == "completed", what="the instance to end")
    assert len(stack.smtp.with_subject("Desistimiento tácito")) == 1


def test_the_monthly_indicator_counts_an_interim_answer_as_a_first_response(stack, desk):
    stack.worker.start()
    case = desk.file_case()
    wait_for(lambda: stack.smtp.with_subject("Radicamos"), what="the acuse")
    to_5_2_14(desk, case)
    stack.clock.advance(timedelta(hours=3))
    desk.complete(
        case.id,
        "ut_5_2_14",
        "asesor",
        plantilla="informar_fecha_respuesta",
        respuesta=INTERIM,
        fecha_respuesta="2026-03-25",
    )
    (mail,) = wait_for(lambda: stack.smtp.with_subject("Fecha de respuesta"), what="the date")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Le responderemos a más tardar el miércoles 25 de marzo de 2026" in body
    assert INTERIM in body
    assert case_row(desk, case.id).first_response_kind == "fecha"

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
    assert result["primera_respuesta_24h"] == {
        "evaluados": 1,
        "cumplidos": 1,
        "porcentaje": 100.0,
        "por_forma": {"fecha": 1},
    }
    assert result["pendientes"] == 1  # still open with the Asesor
