"""Rules of the case record (engine/cases.py) that the shipped diagram does not reach."""

from datetime import date

from sqlalchemy import select

from engine import cases
from engine.models import CaseAlert, Closure
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


def test_a_closure_day_entered_by_an_administrator_moves_the_legal_deadline(session, clock):
    session.add(Closure(day=date(2026, 3, 11), reason="Jornada de inventario"))
    engine = Engine(session, clock)
    f.deploy(engine)
    citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
    case = f.file_case(engine, citizen)
    # Filed Tue 10 Mar 2026: 15 business days skip San José (Mon 23 Mar) -> Wed 1 Apr; the
    # closure on Wed 11 Mar adds one, and Holy Thursday and Good Friday follow -> Mon 6 Apr.
    assert case.legal_due.astimezone(f.BOGOTA).date() == date(2026, 4, 6)


def test_scripts_see_the_case_under_the_documented_names(session, clock):
    engine = Engine(session, clock)
    f.deploy(engine)
    citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
    case = f.file_case(engine, citizen)
    seen = cases.facts(case)  # docs/bpmn-conventions.md: what ``caso`` holds
    assert (seen["radicado"], seen["tipo"], seen["estado"]) == (
        "AV-2026-000001",
        "reclamo",
        "en_tramite",
    )
    assert (seen["area"], seen["prorrogado"], seen["vence_area"]) == (None, False, None)
    assert seen["vence_legal"] == case.legal_due.isoformat()
