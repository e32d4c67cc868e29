"""A coordinador's dashboard counts only the work of their groups (web/access.py
``dashboard_groups``); an administrator's counts everything."""

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from engine import dashboard
from engine.models import User
from tests.web.conftest import log_in_staff
from tests.web.test_console import failed_case
from web.access import dashboard_groups
from web.extensions import db


def test_a_coordinadors_dashboard_shows_only_their_groups_work(app: Flask, world, clock) -> None:
    world.staff("asesor", "asesor")
    world.staff("admin", "administrador")
    world.staff("coord.fondos", "coordinador", "area_fondos")
    world.staff("coord.solo", "coordinador")
    escalated = world.file_case(world.citizen("1100000001"))
    waiting = world.file_case(world.citizen("1100000002"))
    clock.advance(timedelta(hours=2))
    world.escalate(escalated)  # now at the area's 5.2.11; the other waits at the Asesor's 5.2.6
    failed_case(app, world)  # an incident on a case that never reached the area

    with app.app_context():
        users = {
            u.username: u
            for u in db.session.scalars(select(User).where(User.username.like("coord%")))
        }
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        assert dashboard_groups(admin) is None
        scope = dashboard_groups(users["coord.fondos"])
        assert scope == frozenset({"area_fondos"})
        assert dashboard_groups(users["coord.solo"]) == frozenset()
        now = clock.now()
        work = dashboard.open_work(db.session, now, scope)
        assert [(w.group, w.step[:6]) for w in work] == [("area_fondos", "5.2.11")]
        assert {w.group for w in dashboard.open_work(db.session, now)} == {"asesor", "area_fondos"}
        assert dashboard.open_incidents(db.session, groups=scope)[0] == 0
        assert dashboard.open_incidents(db.session)[0] == 1
        assert dashboard.at_risk(db.session, now, groups=scope) == []
        assert len(dashboard.at_risk(db.session, now)) == 2  # the two cases still at 5.2.6
        assert dashboard.outbox_backlog(db.session, scope).failed == 0
        assert dashboard.outbox_backlog(db.session).failed == 1
        # The escalated case's first response (the escalation notice) counts for the area's
        # coordinador; the other two cases never reached the area.
        clock.advance(timedelta(hours=25))
        later = clock.now()
        mine = dashboard.weekly_compliance(db.session, later, groups=scope)[-1]
        everyone = dashboard.weekly_compliance(db.session, later)[-1]
        assert (mine.met["first_response"], mine.missed["first_response"]) == (1, 0)
        assert (everyone.met["first_response"], everyone.missed["first_response"]) == (1, 2)
        assert dashboard.open_work(db.session, later, frozenset()) == []

    coordinador = app.test_client()
    log_in_staff(coordinador, "coord.fondos")
    page = coordinador.get("/consola/tablero").get_data(as_text=True)
    assert "Solo el trabajo de sus grupos (Vicepresidencia de Fondos en Administración)" in page
    assert "SMTP 421" not in page and waiting not in page
    assert "5.2.11" in page and "5.2.6 " not in page
    administrator = app.test_client()
    log_in_staff(administrator, "admin")
    full = administrator.get("/consola/tablero").get_data(as_text=True)
    assert "SMTP 421" in full and "5.2.6 " in full and "Solo el trabajo de sus grupos" not in full
    alone = app.test_client()
    log_in_staff(alone, "coord.solo")
    empty = alone.get("/consola/tablero").get_data(as_text=True)
    assert "no tiene casos ni tareas que mostrarle" in empty
