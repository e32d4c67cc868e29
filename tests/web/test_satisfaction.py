"""The satisfaction survey after the final answer: the citizen's own case only, once,
optional, bad input in Spanish; its answers feed the monthly figures."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from engine import satisfaction
from engine.models import Case, SatisfactionAnswer
from tests.web.conftest import log_in_citizen
from web.extensions import db


def _answered_case(world, clock) -> str:
    radicado = world.file_case(world.citizen("1111111111"))
    world.citizen("2222222222")
    with world.app.app_context():
        db.session.execute(
            update(Case)
            .where(Case.radicado == radicado)
            .values(answered_at=clock.now() + timedelta(days=3), answer="Respuesta final.")
        )
        db.session.commit()
    return radicado


def test_the_citizen_answers_the_survey_once(app, client, world, clock):
    radicado = world.file_case(world.citizen("1111111111"))
    log_in_citizen(client, "1111111111")
    early = client.get(f"/mis-casos/{radicado}/encuesta", follow_redirects=True)
    assert "después de recibir la respuesta final" in early.get_data(as_text=True)

    with app.app_context():
        db.session.execute(
            update(Case)
            .where(Case.radicado == radicado)
            .values(answered_at=clock.now(), answer="Respuesta final.")
        )
        db.session.commit()
    page = client.get(f"/mis-casos/{radicado}").get_data(as_text=True)
    assert f"/mis-casos/{radicado}/encuesta" in page

    missing = client.post(f"/mis-casos/{radicado}/encuesta", data={"comentario": "Bien"})
    assert missing.status_code == 400
    assert "Elija una calificación de 1 a 5." in missing.get_data(as_text=True)

    done = client.post(
        f"/mis-casos/{radicado}/encuesta",
        data={"puntaje": "4", "clara": "si", "comentario": "Me respondieron a tiempo."},
        follow_redirects=True,
    )
    assert "Gracias por responder la encuesta." in done.get_data(as_text=True)
    again = client.post(
        f"/mis-casos/{radicado}/encuesta", data={"puntaje": "1"}, follow_redirects=True
    )
    assert "Ya respondió la encuesta" in again.get_data(as_text=True)
    with app.app_context():
        (answer,) = db.session.scalars(select(SatisfactionAnswer)).all()
        assert (answer.score, answer.answer_clear) == (4, True)
        march = satisfaction.summary(
            db.session, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
        )
        assert march == {
            "respuestas": 1,
            "promedio": 4.0,
            "satisfechos_pct": 100.0,
            "por_puntaje": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
        }


def test_another_citizen_cannot_answer_it(app, client, world, clock):
    radicado = _answered_case(world, clock)
    log_in_citizen(client, "2222222222")
    assert client.get(f"/mis-casos/{radicado}/encuesta").status_code == 404
    assert client.post(f"/mis-casos/{radicado}/encuesta", data={"puntaje": "5"}).status_code == 404
