"""Office closures in the console: the preview lists the open cases whose deadlines move, the
confirmed change moves them (case rows, reminders, inbox due dates, armed timers, event log),
and removing the closure moves them back. Filed on Tuesday 10 March 2026 (a reclamo: 15
business days, so the legal term ends on 1 April; 23 March, 2 and 3 April are holidays)."""

from datetime import date, datetime, time

from flask import Flask
from sqlalchemy import select

from engine.clock import BOGOTA
from engine.models import Case, Closure, Event, HumanTask, ProcessInstance, User
from tests.web.conftest import log_in_staff
from web.extensions import db

CLOSED = date(2026, 3, 16)  # a Monday


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=BOGOTA)


def _state(app: Flask, world, radicado: str) -> dict:
    with app.app_context():
        case = db.session.scalars(select(Case).where(Case.radicado == radicado)).one()
        instance = db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_id == case.id)
        ).one()
        due = db.session.scalars(
            select(HumanTask.due_at).where(HumanTask.case_id == case.id, HumanTask.state == "open")
        ).all()
        return {
            "legal": case.legal_due,
            "legal_reminder": case.legal_reminder_at,
            "area": case.area_due,
            "inbox": due,
            "timers": sorted(at for _id, at in world.engine().waiting_timers(instance)),
        }


def test_a_closure_moves_the_open_deadlines_it_counts_and_back(app: Flask, world) -> None:
    world.staff("admin", "administrador")
    world.staff("asesor", "asesor")
    plain = world.file_case(world.citizen("1000000001"))
    escalated = world.file_case(world.citizen("1000000002"))
    world.escalate(escalated)  # the area has 5 business days: until Tuesday 17 March
    before = {r: _state(app, world, r) for r in (plain, escalated)}
    assert before[plain]["legal"] == end_of(date(2026, 4, 1))
    assert before[escalated]["area"] == end_of(date(2026, 3, 17))

    admin = app.test_client()
    log_in_staff(admin, "admin")
    preview = admin.get(
        "/consola/cierres/nuevo", query_string={"dia": CLOSED.isoformat(), "motivo": "Traslado"}
    ).get_data(as_text=True)
    assert "mueve los términos de 2 casos abiertos" in preview
    assert plain in preview and escalated in preview and "Término del área" in preview
    assert "6 de abril de 2026" in preview and "18 de marzo de 2026" in preview
    with app.app_context():
        assert db.session.get(Closure, CLOSED) is None  # the preview changes nothing

    done = admin.post("/consola/cierres", data={"dia": CLOSED.isoformat(), "motivo": "Traslado"})
    page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "Se movieron los términos de 2 casos" in page and "Traslado" in page
    after = {r: _state(app, world, r) for r in (plain, escalated)}
    assert after[plain]["legal"] == end_of(date(2026, 4, 6))
    assert after[plain]["legal_reminder"] == datetime(2026, 4, 1, 8, tzinfo=BOGOTA)
    assert after[escalated]["area"] == end_of(date(2026, 3, 18))
    assert after[escalated]["inbox"] == [end_of(date(2026, 3, 18))]  # the area's task
    # The timers armed on the old reminders and deadlines now wait for the new ones.
    assert datetime(2026, 4, 1, 8, tzinfo=BOGOTA) in after[plain]["timers"]
    assert datetime(2026, 3, 31, 8, tzinfo=BOGOTA) not in after[plain]["timers"]
    assert end_of(date(2026, 3, 18)) in after[escalated]["timers"]
    assert end_of(date(2026, 3, 17)) not in after[escalated]["timers"]
    with app.app_context():
        moved = db.session.scalars(select(Event).where(Event.kind == "deadlines_moved")).all()
        assert len(moved) == 2 and all(e.data["motivo"] == "Traslado" for e in moved)
        assert moved[0].data["dia"] == "2026-03-16" and "legal_despues" in moved[0].data
        added = db.session.scalars(select(Event).where(Event.kind == "closure_added")).one()
        assert added.data == {"dia": "2026-03-16", "motivo": "Traslado", "casos_movidos": 2}
    instance_id = _instance_id(app, plain)
    timeline = admin.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    assert "Términos movidos por un cierre" in timeline and "16 de marzo de 2026" in timeline

    removal = admin.get(f"/consola/cierres/{CLOSED.isoformat()}/retirar").get_data(as_text=True)
    assert "mueve los términos de 2 casos abiertos" in removal
    admin.post(f"/consola/cierres/{CLOSED.isoformat()}/retirar")
    back = {r: _state(app, world, r) for r in (plain, escalated)}
    assert back == before
    with app.app_context():
        assert db.session.get(Closure, CLOSED) is None
        assert (
            len(db.session.scalars(select(Event).where(Event.kind == "closure_removed")).all()) == 1
        )


def _instance_id(app: Flask, radicado: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.business_key == radicado)
        ).one()


def test_closures_that_change_nothing_or_make_no_sense_are_refused(app: Flask, world) -> None:
    world.staff("admin", "administrador")
    admin = app.test_client()
    log_in_staff(admin, "admin")
    for query, message in (
        ({"dia": "2026-03-14", "motivo": "Sábado"}, "no es hábil"),
        ({"dia": "2026-03-23", "motivo": "Festivo"}, "no es hábil"),
        ({"dia": "mañana", "motivo": "Algo"}, "fecha válida"),
        ({"dia": "2031-01-02", "motivo": "Lejos"}, "fecha válida"),
        ({"dia": "2026-03-20", "motivo": ""}, "motivo del cierre"),
    ):
        answer = admin.get("/consola/cierres/nuevo", query_string=query, follow_redirects=True)
        assert answer.status_code == 200 and message in answer.get_data(as_text=True), query
    admin.post("/consola/cierres", data={"dia": "2026-03-20", "motivo": "Inventario"})
    twice = admin.post(
        "/consola/cierres",
        data={"dia": "2026-03-20", "motivo": "Inventario"},
        follow_redirects=True,
    )
    assert "ya está registrado" in twice.get_data(as_text=True)
    page = admin.get("/consola/cierres").get_data(as_text=True)
    assert "20 de marzo de 2026" in page and "Inventario" in page
    assert "Ningún caso abierto cambia" in admin.get(
        "/consola/cierres/2026-03-20/retirar"
    ).get_data(as_text=True)
    assert admin.get("/consola/cierres/2026-03-21/retirar").status_code == 404
    assert admin.post("/consola/cierres/nada/retirar").status_code == 404


def test_a_closure_moves_a_suspended_term_and_a_suspended_instance(app: Flask, world) -> None:
    """The citizen was asked for information on 10 March: they have until Friday 10 April, and
    the legal term runs again from then. Closing on 10 April moves both; closing on 20 March
    moves neither (the term is stopped then). A suspended instance keeps its status while its
    case's deadlines and timers move."""
    from tests.web.test_information_request import _waiting_case

    waiting, _legal = _waiting_case(world)
    world.staff("admin", "administrador")
    suspended = world.file_case(world.citizen("1000000003"))
    with app.app_context():
        admin_user = db.session.get(User, _admin_id(app))
        world.engine().suspend(_instance_id(app, suspended), admin_user, "Revisión de datos")
        db.session.commit()
    info_before = world.case(waiting).info_due
    assert info_before == end_of(date(2026, 4, 10))
    legal_before = world.case(waiting).legal_due
    suspended_before = world.case(suspended).legal_due

    admin = app.test_client()
    log_in_staff(admin, "admin")
    preview = admin.get(
        "/consola/cierres/nuevo", query_string={"dia": "2026-04-10", "motivo": "Traslado"}
    ).get_data(as_text=True)
    assert "Respuesta del ciudadano a la solicitud de información" in preview
    admin.post("/consola/cierres", data={"dia": "2026-04-10", "motivo": "Traslado"})
    assert world.case(waiting).info_due == end_of(date(2026, 4, 13))
    assert world.case(waiting).legal_due > legal_before
    assert world.case(suspended).legal_due == suspended_before  # its term ended on 1 April
    moved_waiting = world.case(waiting).legal_due
    admin.post("/consola/cierres", data={"dia": "2026-03-20", "motivo": "Traslado"})
    assert world.case(suspended).legal_due == end_of(date(2026, 4, 6))
    assert world.case(waiting).legal_due == moved_waiting  # its term is stopped on 20 March
    with app.app_context():
        instance = db.session.get(ProcessInstance, _instance_id(app, suspended))
        assert instance.status == "suspended"
        timers = [at for _id, at in world.engine().waiting_timers(instance)]
        assert datetime(2026, 3, 31, 8, tzinfo=BOGOTA) not in timers  # the old legal reminder
        assert datetime(2026, 4, 1, 8, tzinfo=BOGOTA) in timers


def _admin_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.username == "admin")).one()
