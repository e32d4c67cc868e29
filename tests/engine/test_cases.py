"""Rules of the case record (engine/cases.py) that the shipped diagram does not reach."""

from sqlalchemy import select

from engine import cases
from engine.models import CaseAlert
from engine.runtime import Engine
from tests import factories as f


def test_an_alert_task_that_names_no_term_records_the_legal_one(session, clock):
    engine = Engine(session, clock)
    f.deploy(engine)
    citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
    case = f.file_case(engine, citizen)
    milestone = cases.Milestone(session, clock.now(), engine.calendar)
    milestone.record(case, "alerta", {}, {})  # a diagram's alert task without "plazo"
    session.flush()
    alerts = session.execute(select(CaseAlert.term, CaseAlert.raised_at)).all()
    assert alerts == [("legal", clock.now())]
