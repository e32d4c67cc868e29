"""Every console route and action, walked as each kind of person: only the administrator
acts; the coordinator reads (and reassigns within its groups, tests/web/test_console_actions);
staff of other groups and citizens are refused; every write needs the CSRF token."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.bulk_actions import create
from engine.models import User
from tests.web.conftest import PASSWORD, app_config, log_in_citizen, log_in_staff
from tests.web.test_console import failed_case
from web import create_app
from web.extensions import db

READ = {"admin.instances", "admin.instance", "admin.instance_diagram"}
MINE = READ | {
    "admin.change_status",
    "admin.retry",
    "admin.skip",
    "admin.move_back",
    "admin.move_forward",
    "admin.edit_data",
    "admin.reassign",
    "admin.bulk_preview",
    "admin.bulk_start",
    "admin.bulk_job",
}


def console_routes(app: Flask, ids: dict[str, str]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every console rule, its placeholders filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids.get(m.group(1), "1"), rule.rule)
        if rule.endpoint == "admin.bulk_preview":
            url += f"?accion=cancelar&instancia={ids['instance_id']}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def _ids(app: Flask, world) -> dict[str, str]:
    _, instance_id, incident_id = failed_case(app, world)
    admin_id = world.staff("admin", "administrador")
    with app.app_context():
        from engine.models import HumanTask

        task_id = db.session.scalars(
            select(HumanTask.id).where(HumanTask.instance_id == instance_id)
        ).first()
        admin = db.session.get(User, admin_id)
        now = app.extensions["clock"].now()
        job = create(db.session, "cancelar", [instance_id], admin, "Prueba de permisos", {}, now)
        db.session.commit()
        job_id = job.id
    return {
        "instance_id": str(instance_id),
        "incident_id": str(incident_id),
        "task_id": task_id,
        "job_id": str(job_id),
        "accion": "suspender",
    }


def _call(client: FlaskClient, method: str, url: str):  # type: ignore[no-untyped-def]
    return client.get(url) if method == "GET" else client.post(url, data={})


def test_every_console_route_and_action_by_role(app: Flask, world) -> None:
    ids = _ids(app, world)
    world.staff("coordinador", "coordinador")
    world.staff("asesor", "asesor")
    world.citizen("52999000")
    routes = console_routes(app, ids)
    assert {endpoint for endpoint, _, _ in routes} >= MINE

    anonymous = app.test_client()
    for _endpoint, method, url in routes:
        response = _call(anonymous, method, url)
        assert response.status_code == 302 and "/cuenta/" in response.headers["Location"], url
    citizen = app.test_client()
    log_in_citizen(citizen, "52999000")
    asesor = app.test_client()
    log_in_staff(asesor, "asesor")
    coordinator = app.test_client()
    log_in_staff(coordinator, "coordinador")
    for endpoint, method, url in routes:
        assert _call(citizen, method, url).status_code == 403, (endpoint, url)
        assert _call(asesor, method, url).status_code == 403, (endpoint, url)
        if endpoint in MINE:  # other helpers' pages have their own tests
            expected = 200 if method == "GET" and endpoint in READ else 403
            assert _call(coordinator, method, url).status_code == expected, (endpoint, url)

    admin = app.test_client()
    log_in_staff(admin, "admin")
    for endpoint, method, url in routes:
        if endpoint not in MINE:
            continue
        response = _call(admin, method, url)
        # Pages open; an action without its reason goes back with the error, never a 500.
        assert response.status_code == (200 if method == "GET" else 302), (endpoint, url)


def test_every_console_action_needs_the_csrf_token(app: Flask, world, database_url, clock) -> None:
    ids = _ids(app, world)
    guarded = create_app(app_config(database_url, clock, WTF_CSRF_ENABLED=True))
    client = guarded.test_client()
    page = client.get("/cuenta/funcionarios").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/cuenta/funcionarios",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    posts = [(e, u) for e, m, u in console_routes(guarded, ids) if m == "POST"]
    assert len(posts) >= 8
    reason = {"motivo": "Un motivo suficientemente largo"}
    for endpoint, url in posts:
        assert client.post(url, data=reason).status_code == 400, endpoint
    with guarded.app_context():
        db.session.remove()
        db.engine.dispose()
