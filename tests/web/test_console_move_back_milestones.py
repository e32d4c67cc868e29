"""Moving a case back past steps that recorded milestones (``hito``): the confirmation page
says which are undone and which stay, and the case's terms stay coherent — the first
response the citizen received stays met, the escalation is undone and only an area answer
after the new escalation meets the new area term, a pending wait for the citizen ends."""

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from engine import dashboard
from engine.models import Case
from tests.web.conftest import log_in_staff
from tests.web.test_console_actions import (
    REASON,
    events,
    instance_id_of,
    people,
    through_the_area,
    to_the_answer,
)
from tests.web.test_information_request import _waiting_case
from web.extensions import db


def test_moving_back_before_the_escalation_keeps_the_first_response_and_undoes_the_rest(
    app: Flask, world, clock
) -> None:
    people(world)
    radicado = world.file_case(world.citizen())
    clock.advance(timedelta(hours=2))
    to_the_answer(world, radicado)  # 5.2.9's notice (first response), 5.2.10, the area
    before = world.case(radicado)
    assert before.first_response_kind == "escalamiento" and before.area == "area_fondos"
    instance_id = instance_id_of(app, radicado)
    admin = app.test_client()
    log_in_staff(admin, "admin")

    page = admin.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    assert "qué hitos registrados desde ese paso se deshacen" in page
    url = f"/consola/instancias/{instance_id}/devolver"
    confirm = admin.get(url, query_string={"paso": "ut_5_2_8"}).get_data(as_text=True)
    changed = confirm.split('id="hitos-cambian"')[1].split('id="hitos-quedan"')[0]
    kept = confirm.split('id="hitos-quedan"')[1]
    assert "Se deshace el escalamiento del" in changed
    assert "La primera respuesta que recibió el ciudadano el" in kept
    assert "La respuesta del área del" in kept and "queda en el historial" in kept
    assert "2026-" not in confirm.split('id="hitos-titulo"')[1]  # dates for people
    # Back to 5.2.10 itself: its own escalation is done again, so it is undone too.
    again = admin.get(url, query_string={"paso": "ut_5_2_10"}).get_data(as_text=True)
    assert "Se deshace el escalamiento del" in again and "primera respuesta" not in again
    unknown = admin.get(url, query_string={"paso": "ut_5_2_15"}, follow_redirects=True)
    assert "elija uno de la lista" in unknown.get_data(as_text=True)

    done = admin.post(url, data={"paso": "ut_5_2_8", "motivo": REASON}, follow_redirects=True)
    assert "El caso volvió al paso elegido." in done.get_data(as_text=True)
    after = world.case(radicado)
    assert (after.area, after.area_due, after.status) == (None, None, "en_tramite")
    assert after.first_response_at == before.first_response_at
    (moved,) = events(app, instance_id, "moved_back")
    assert moved.data["hitos"] == {
        "primera_respuesta": "kept",
        "escalamiento": "undone",
        "respuesta_area": "kept",
    }

    # The Asesor decides again and escalates anew: the first response stays the first one,
    # and the old area answer does not meet the new area term.
    clock.advance(timedelta(hours=30))
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": True, "justificacion_escalamiento": "Solo el área sabe."},
    )
    world.complete(radicado, "ut_5_2_10", "asesor", {"area": "area_fondos", "dias_area": 5})
    renewed = world.case(radicado)
    assert renewed.first_response_at == before.first_response_at
    assert renewed.first_response_kind == "escalamiento"
    assert renewed.status == "escalado" and renewed.area_due > before.area_due
    with app.app_context():
        case_id = db.session.scalars(select(Case.id).where(Case.radicado == radicado)).one()
        since = clock.now() - timedelta(days=60)
        assert case_id not in dashboard._area_answers(db.session, since)
    through_the_area(world, radicado)
    with app.app_context():
        answered = dashboard._area_answers(db.session, since)[case_id]
        assert answered.replace(tzinfo=None) >= (clock.now() - timedelta(minutes=1)).replace(
            tzinfo=None
        )


def test_moving_back_while_waiting_for_the_citizen_ends_the_wait(app: Flask, world, clock) -> None:
    radicado, legal_due = _waiting_case(world)
    world.staff("admin", "administrador")
    waiting = world.case(radicado)
    assert waiting.status == "esperando_usuario" and waiting.legal_due > legal_due
    clock.advance(timedelta(days=3))
    instance_id = instance_id_of(app, radicado)
    admin = app.test_client()
    log_in_staff(admin, "admin")
    url = f"/consola/instancias/{instance_id}/devolver"
    confirm = admin.get(url, query_string={"paso": "ut_5_2_14"}).get_data(as_text=True)
    assert "Termina la espera de la información pedida al ciudadano" in confirm
    done = admin.post(url, data={"paso": "ut_5_2_14", "motivo": REASON}, follow_redirects=True)
    assert "El caso volvió al paso elegido." in done.get_data(as_text=True)
    after = world.case(radicado)
    assert after.status == "en_tramite" and after.info_requested_at is None
    assert after.legal_days_left is None and after.suspended_days > 0
    # The term runs again from now, moved by the business days it waited.
    assert legal_due < after.legal_due < waiting.legal_due
    assert world.open_task_id(radicado, "ut_5_2_14")
