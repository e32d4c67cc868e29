"""The console's dashboard and heatmap, and who may use the watching and administering pages.

Figures are checked against what the case records say after real filings and task
completions on the real engine, with the clock moved by the test."""

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from engine import dashboard, definitions, heatmap
from engine.models import Closure, Deployment, User
from tests.web.conftest import app_config, log_in_citizen, log_in_staff
from tests.web.test_console import failed_case
from web import create_app
from web.demo import init_db
from web.extensions import db


def _claim(app: Flask, world, radicado: str, bpmn_id: str, username: str) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        world.engine().claim(world.open_task_id(radicado, bpmn_id), user)
        db.session.commit()


def test_dashboard_figures_come_from_the_case_records(app: Flask, world, clock) -> None:
    world.staff("asesor", "asesor")
    world.staff("admin", "administrador")
    on_time = world.file_case(world.citizen("1000000001"))
    late = world.file_case(world.citizen("1000000002"))
    clock.advance(timedelta(hours=2))
    world.escalate(on_time)  # the escalation notice is the first response, 2 h after filing
    _claim(app, world, late, "ut_5_2_6", "asesor")
    failed_case(app, world)  # a third case, whose acknowledgement e-mail failed

    client = app.test_client()
    log_in_staff(client, "admin")
    page = client.get("/consola/tablero").get_data(as_text=True)
    # The third case and the unanswered one are due within 24 h; the escalated one is not.
    assert late in page and on_time not in page.split('id="riesgo"')[1].split('id="carga"')[0]
    assert "Primera respuesta" in page and "Primera respuesta (24 h)" not in page
    assert "Asesor" in page.split('id="carga"')[1]  # holds the late case's review
    assert "SMTP 421" in page  # the open incident
    assert "<svg" in page and 'role="img"' in page and "tabla-cumplimiento" in page

    clock.advance(timedelta(hours=25))  # the other two cases' 24 h passed unanswered
    with app.app_context():
        now = clock.now()
        weeks = dashboard.weekly_compliance(db.session, now)
        this_week = weeks[-1]
        assert this_week.met["first_response"] == 1
        assert this_week.missed["first_response"] == 2
        assert round(this_week.share("first_response")) == 33
        assert [r.case.radicado for r in dashboard.at_risk(db.session, now)] == []
        work = {(w.group, w.step[:5]): w for w in dashboard.open_work(db.session, now)}
        assert work[("asesor", "5.2.6")].open == 2 and work[("asesor", "5.2.6")].unassigned == 1
        assert work[("area_fondos", "5.2.1")].open == 1
        assert [p.name for p in dashboard.workload(db.session, now)] == ["Asesor"]
        assert dashboard.open_incidents(db.session)[0] == 1
        runs = dashboard.last_runs(db.session, now)
        assert "legacy_lookup" in runs.by_operation
        # Without Redis the workers' and beat's last signs come from the database.
        assert runs.worker_seen == max(runs.by_operation.values()) and not runs.from_heartbeats
        assert runs.beat_swept == runs.timer_fired
    log_in_staff(client, "admin")  # the first session expired while the clock ran
    page = client.get("/consola/tablero").get_data(as_text=True)
    assert "33 %" in page and "1 de 3" in page


def test_heatmap_times_and_flows_come_from_the_event_log(app: Flask, world, clock) -> None:
    world.staff("asesor", "asesor")
    world.staff("coordinador", "coordinador")
    radicados = [world.file_case(world.citizen(f"20000000{i}")) for i in range(2)]
    clock.advance(timedelta(hours=2))
    world.complete(radicados[0], "ut_5_2_6", "asesor", {"es_felicitacion": False})
    clock.advance(timedelta(hours=4))
    world.complete(radicados[1], "ut_5_2_6", "asesor", {"es_felicitacion": False})
    clock.advance(timedelta(hours=1))
    world.complete(
        radicados[0],
        "ut_5_2_7",
        "asesor",
        {"complejidad": "baja", "analisis": "Una consulta sencilla de saldo."},
    )
    with app.app_context():
        bundle = definitions.latest_bundle(db.session)
        files = db.session.get(Deployment, bundle.deployment_id).files
        xml = next(c for p, c in files.items() if 'id="caso_pqrs"' in c and p.endswith(".bpmn"))
        now = clock.now()
        result = heatmap.compute(
            db.session, "caso_pqrs", xml, now - timedelta(days=1), now + timedelta(minutes=1)
        )
        steps = {s.bpmn_id: s for s in result.steps}
        assert steps["ut_5_2_6"].count == 2
        assert steps["ut_5_2_6"].mean == 4.0  # 2 h and 6 h after filing
        assert steps["ut_5_2_6"].p90 == 6.0
        assert steps["ut_5_2_7"].hours == [5.0]  # ready when 5.2.6 was done, 5 h before
        graph = heatmap.Graph(xml, "caso_pqrs")
        into_review = [f for f, (_s, t) in graph.flows.items() if t == "ut_5_2_6"]
        assert sum(result.flows.get(f, 0) for f in into_review) == 2
        assert result.instances == 2 and not result.sampled
        one = heatmap.compute(
            db.session, "caso_pqrs", xml, now - timedelta(days=1), now, max_instances=1
        )
        assert one.sampled and one.instances == 1
        assert one.steps[0].bpmn_id == "ut_5_2_6"  # the most recently active case
        empty = heatmap.compute(
            db.session, "caso_pqrs", xml, now - timedelta(days=30), now - timedelta(days=20)
        )
        assert empty.steps == [] and empty.flows == {}

    client = app.test_client()
    log_in_staff(client, "coordinador")
    today = clock.now().date().isoformat()
    page = client.get(f"/consola/mapa-de-calor?proceso=caso_pqrs&desde={today}&hasta={today}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "5.2.6 Revisar" in text and "4 h" in text and "6 h" in text
    assert "heat-flow" in text and "media 4 h\\np90 6 h" in text
    assert client.get("/consola/mapa-de-calor?desde=ayer").status_code == 400
    assert client.get(f"/consola/mapa-de-calor?desde={today}&hasta=2020-01-01").status_code == 400
    assert client.get("/consola/mapa-de-calor?proceso=otro").status_code == 404
    diagram = client.get("/consola/mapa-de-calor/caso_pqrs.bpmn")
    assert diagram.mimetype == "application/xml"


NEW_ROUTES = (
    ("GET", "/consola/tablero", "read"),
    ("GET", "/consola/mapa-de-calor", "read"),
    ("GET", "/consola/mapa-de-calor/caso_pqrs.bpmn", "read"),
    ("GET", "/consola/personas", "admin"),
    ("GET", "/consola/personas/nueva", "admin"),
    ("GET", "/consola/grupos", "admin"),
    ("POST", "/consola/personas/nueva", "admin"),
    ("GET", "/consola/personas/{asesor}", "admin"),
    ("POST", "/consola/personas/{asesor}", "admin"),
    ("POST", "/consola/personas/{asesor}/restablecer", "admin"),
    ("POST", "/consola/personas/{asesor}/desactivar", "admin"),
    ("POST", "/consola/personas/{asesor}/reactivar", "admin"),
    ("GET", "/consola/cierres", "admin"),
    ("GET", "/consola/cierres/nuevo?dia=2026-03-20&motivo=Inventario", "admin"),
    ("POST", "/consola/cierres", "admin"),
    ("GET", "/consola/cierres/2026-04-17/retirar", "admin"),
    ("POST", "/consola/cierres/2026-04-17/retirar", "admin"),
)


def test_only_administrators_change_and_coordinators_read(app: Flask, world) -> None:
    asesor = world.staff("asesor", "asesor")
    world.staff("admin", "administrador")
    world.staff("coordinador", "coordinador")
    world.citizen("52999000")
    with app.app_context():
        db.session.add(Closure(day=date(2026, 4, 17), reason="Inventario anual"))
        db.session.commit()
    routes = [(m, u.format(asesor=asesor), need) for m, u, need in NEW_ROUTES]
    registered = {
        r.rule
        for r in app.url_map.iter_rules()
        if r.endpoint.split(".")[-1]
        in {
            "dashboard",
            "heat",
            "heat_diagram",
            "people",
            "person_new",
            "person",
            "person_update",
            "person_reset",
            "person_deactivate",
            "person_reactivate",
            "person_groups",
            "closures",
            "closure_preview",
            "closure_add",
            "closure_remove_preview",
            "closure_remove",
        }
    }
    listed = {
        url.split("?")[0]
        .replace("{asesor}", "<int:user_id>")
        .replace("2026-04-17", "<dia>")
        .replace("caso_pqrs.bpmn", "<process_id>.bpmn")
        for _m, url, _n in NEW_ROUTES
    }
    assert registered == listed  # every new route is checked below
    anonymous = app.test_client()
    for method, url, _need in routes:
        answer = anonymous.open(url, method=method)
        assert answer.status_code == 302 and "/cuenta/funcionarios" in answer.headers["Location"]
    citizen = app.test_client()
    log_in_citizen(citizen, "52999000")
    for username in ("asesor", "coordinador"):
        client = app.test_client()
        log_in_staff(client, username)
        for method, url, need in routes:
            allowed = username == "coordinador" and need == "read"
            answer = client.open(url, method=method, data={})
            assert answer.status_code == (200 if allowed else 403), (username, method, url)
            assert citizen.open(url, method=method).status_code == 403, url
    admin = app.test_client()
    log_in_staff(admin, "admin")
    for method, url, _need in routes:
        if method == "GET":
            assert admin.get(url).status_code == 200, url


def test_the_new_writes_need_the_csrf_token(database_url: str, session_factory, clock) -> None:
    app = create_app(app_config(database_url, clock, WTF_CSRF_ENABLED=True))
    init_db(app)
    try:
        from tests.web.conftest import PASSWORD, World

        World(app).staff("admin", "administrador")
        asesor = World(app).staff("asesor", "asesor")
        client = app.test_client()
        login = client.get("/cuenta/funcionarios").get_data(as_text=True)
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/cuenta/funcionarios",
            data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        )
        for url in (
            "/consola/personas/nueva",
            f"/consola/personas/{asesor}/desactivar",
            f"/consola/personas/{asesor}/restablecer",
            "/consola/cierres",
        ):
            assert (
                client.post(url, data={"dia": "2026-03-20", "motivo": "x" * 10}).status_code == 400
            )
        with app.app_context():
            assert db.session.get(User, asesor).active
            assert db.session.scalars(select(Closure)).all() == []
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_week_boundaries_are_mondays_in_bogota() -> None:
    sunday_night = datetime(2026, 3, 16, 4, 30, tzinfo=UTC)  # Sunday 23:30 in Bogotá
    assert dashboard._monday(sunday_night) == date(2026, 3, 9)


def test_area_compliance_counts_the_areas_answer_against_its_term(app: Flask, world, clock) -> None:
    """Two cases escalated on Tuesday 10 March with 5 business days (until the 17th): the area
    answers one on the 12th; the other is still unanswered on the 18th."""
    world.staff("asesor", "asesor")
    world.staff("funcionario.fondos", "area_fondos")
    answered, forgotten = (world.file_case(world.citizen(f"40000000{i}")) for i in range(2))
    world.escalate(answered)
    world.escalate(forgotten)
    clock.advance(timedelta(days=2))
    world.complete(answered, "ut_5_2_11", "funcionario.fondos", {"es_de_mi_area": True})
    world.complete(
        answered, "ut_5_2_12", "funcionario.fondos", {"hallazgos": "El giro salió el 2 de marzo."}
    )
    world.complete(
        answered,
        "ut_5_2_13",
        "funcionario.fondos",
        {"informacion_area": "El giro se aplicó a la matrícula del semestre."},
    )
    clock.advance(timedelta(days=6))  # Wednesday 18 March
    with app.app_context():
        weeks = dashboard.weekly_compliance(db.session, clock.now())
        by_monday = {w.week: w for w in weeks}
        assert by_monday[date(2026, 3, 9)].met["area"] == 1  # answered on Thursday the 12th
        assert by_monday[date(2026, 3, 16)].missed["area"] == 1  # expired on the 17th
        assert by_monday[date(2026, 3, 9)].share("legal") is None  # no legal term decided yet
