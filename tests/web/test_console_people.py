"""Staff accounts in the console: create (the person sets the password through a single-use
link), change groups, reset the password, deactivate after handing over the open tasks."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import Event, HumanTask, OutboxMessage, User
from tests.web.conftest import log_in_staff
from web.extensions import db
from workers.mail.rendering import RenderedMail, render
from workers.operators import account_mail

NEW_PASSWORD = "Clave-nueva-2026"


def _admin(app: Flask, world) -> FlaskClient:
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    return client


def _last_link(app: Flask, recipient: str) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.operation == "account_mail")
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message.params["para"] == recipient
        assert message.params["plantilla"] == "clave_funcionario"
        return re.sub(r"^https?://[^/]+", "", message.params["enlace"])


def _rendered(app: Flask) -> RenderedMail:
    """The last account e-mail as the workers render it."""
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.operation == "account_mail")
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message.params["plantilla"] in account_mail.TEMPLATES
        context = {k: v for k, v in message.params.items() if k not in {"plantilla", "para"}}
        return render(message.params["plantilla"], context)


def _user(app: Flask, username: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        db.session.expunge(user)
        return user


def _events(app: Flask, kind: str) -> list[Event]:
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.kind == kind)))


def test_an_administrator_creates_an_account_and_the_person_sets_the_password(
    app: Flask, world
) -> None:
    admin = _admin(app, world)
    form = {
        "usuario": "ana.perez",
        "nombre": "Ana Pérez",
        "correo": "ana.perez@icetex.example",
        "grupos": ["asesor", "area_fondos"],
    }
    created = admin.post("/consola/personas/nueva", data=form)
    assert created.status_code == 302
    page = admin.get(created.headers["Location"]).get_data(as_text=True)
    assert "Cuenta creada" in page and "Ana Pérez" in page
    user = _user(app, "ana.perez")
    assert user.kind == "staff" and user.active
    with app.app_context():
        assert db.session.get(User, user.id).group_codes == {"asesor", "area_fondos"}
    assert [e.data for e in _events(app, "staff_created")] == [
        {"grupos": ["area_fondos", "asesor"]}
    ]

    link = _last_link(app, "ana.perez@icetex.example")
    mail = _rendered(app)
    assert mail.subject == "Su cuenta de funcionario en Atención Virtual"
    assert "ana.perez" in mail.text and link in mail.text and "48 horas" in mail.text
    person = app.test_client()
    assert "Elegir su contraseña" in person.get(link).get_data(as_text=True)
    short = person.post(link, data={"password": "corta", "password2": "corta"})
    assert short.status_code == 400 and "al menos 10 caracteres" in short.get_data(as_text=True)
    other = person.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert "no coinciden" in other.get_data(as_text=True)
    done = person.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/cuenta/funcionarios")
    login = person.post(
        "/cuenta/funcionarios", data={"username": "ana.perez", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    assert [e.label for e in _events(app, "staff_password_set")] == ["ana.perez"]
    again = app.test_client().get(link)
    assert again.status_code == 410 and "una sola vez" in again.get_data(as_text=True)


def test_bad_input_is_refused_in_spanish(app: Flask, world) -> None:
    admin = _admin(app, world)
    world.staff("asesor", "asesor")
    for form, message in (
        ({"usuario": "Ana Pérez", "nombre": "A", "correo": "a@b.co"}, "sin espacios"),
        ({"usuario": "asesor", "nombre": "A", "correo": "a@b.co"}, "Ese usuario ya existe"),
        ({"usuario": "nuevo", "nombre": "", "correo": "a@b.co"}, "nombre completo"),
        ({"usuario": "nuevo", "nombre": "N", "correo": "no-es-correo"}, "correo electrónico"),
        ({"usuario": "nuevo", "nombre": "N", "correo": "a@b.co", "grupos": "raiz"}, "no existe"),
    ):
        answer = admin.post("/consola/personas/nueva", data=form)
        assert answer.status_code == 400, form
        assert message in answer.get_data(as_text=True), form
    assert admin.get("/consola/personas/999999").status_code == 404
    assert app.test_client().get("/cuenta/funcionarios/clave/inventado").status_code == 410


def test_group_changes_and_resets_are_logged_and_old_links_stop_working(app: Flask, world) -> None:
    admin = _admin(app, world)
    asesor = world.staff("asesor", "asesor")
    admin.post(f"/consola/personas/{asesor}/restablecer")
    first = _last_link(app, "asesor@icetex.example")
    admin.post(f"/consola/personas/{asesor}/restablecer")
    second = _last_link(app, "asesor@icetex.example")
    assert first != second
    assert _rendered(app).subject == "Restablezca su contraseña de Atención Virtual"
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200
    assert len(_events(app, "staff_password_reset")) == 2

    admin.post(
        f"/consola/personas/{asesor}",
        data={
            "nombre": "Ana Asesora",
            "correo": "ana@icetex.example",
            "grupos": ["asesor", "coordinador"],
        },
    )
    (changed,) = _events(app, "staff_changed")
    assert changed.data["grupos_antes"] == ["asesor"]
    assert changed.data["grupos_despues"] == ["asesor", "coordinador"]
    assert changed.data["nombre_despues"] == "Ana Asesora"
    admin_id = _user(app, "admin").id
    refused = admin.post(
        f"/consola/personas/{admin_id}",
        data={"nombre": "Admin", "correo": "admin@icetex.example", "grupos": ["asesor"]},
        follow_redirects=True,
    )
    assert "No puede quitarse a sí mismo" in refused.get_data(as_text=True)
    assert "administrador" in {g.code for g in _user(app, "admin").groups}


def test_deactivating_shows_the_tasks_held_and_hands_them_over(app: Flask, world) -> None:
    admin = _admin(app, world)
    leaving = world.staff("saliente", "asesor")
    heir = world.staff("heredera", "asesor")
    fondos = world.staff("fondos", "area_fondos")
    radicado = world.file_case(world.citizen())
    with app.app_context():
        user = db.session.get(User, leaving)
        world.engine().claim(world.open_task_id(radicado, "ut_5_2_6"), user)
        db.session.commit()

    person = admin.get(f"/consola/personas/{leaving}").get_data(as_text=True)
    assert "Atención: tiene 1 tarea tomada." in person and radicado in person
    assert "Heredera" in person and "Fondos" not in person.split('id="heredero"')[1]
    assert "1</td>" in admin.get("/consola/personas").get_data(as_text=True)
    groups = admin.get("/consola/grupos").get_data(as_text=True)
    asesores = groups.split("Asesor de Servicio al Cliente</td>")[1].split("</tr>")[0]
    assert "Heredera" in asesores and "Saliente" in asesores
    assert '"Tareas abiertas">1</td>' in asesores
    assert "sus tareas no tienen quién las tome" not in groups

    wrong = admin.post(
        f"/consola/personas/{leaving}/desactivar",
        data={"heredero": str(fondos)},
        follow_redirects=True,
    )
    assert "no pertenece al grupo de la tarea" in wrong.get_data(as_text=True)
    assert _user(app, "saliente").active  # nothing changed
    session = app.test_client()
    log_in_staff(session, "saliente")
    done = admin.post(f"/consola/personas/{leaving}/desactivar", data={"heredero": str(heir)})
    page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "pasaron a Heredera" in page
    with app.app_context():
        task = db.session.get(HumanTask, world.open_task_id(radicado, "ut_5_2_6"))
        assert task.assignee_id == heir
        assert not db.session.get(User, leaving).active
        reassigned = db.session.scalars(select(Event).where(Event.kind == "reassigned")).one()
        assert reassigned.data == {"asignado_a": "heredera"} and reassigned.case_id is not None
    (deactivated,) = _events(app, "staff_deactivated")
    assert deactivated.data == {"tareas": 1, "entregadas_a": "heredera"}
    assert session.get("/bandeja/").status_code == 302  # the open session ended
    assert (
        app.test_client()
        .post("/cuenta/funcionarios", data={"username": "saliente", "password": "Demo2026!seguro"})
        .status_code
        == 401
    )
    refused = admin.post(f"/consola/personas/{leaving}/restablecer", follow_redirects=True)
    assert "Reactive la cuenta" in refused.get_data(as_text=True)

    admin.post(f"/consola/personas/{leaving}/reactivar")
    assert _user(app, "saliente").active
    assert len(_events(app, "staff_reactivated")) == 1


def test_deactivating_without_an_heir_gives_the_tasks_back_to_the_group(app: Flask, world) -> None:
    admin = _admin(app, world)
    leaving = world.staff("saliente", "asesor")
    radicado = world.file_case(world.citizen())
    with app.app_context():
        world.engine().claim(
            world.open_task_id(radicado, "ut_5_2_6"), db.session.get(User, leaving)
        )
        db.session.commit()
    admin.post(f"/consola/personas/{leaving}/desactivar", data={"heredero": ""})
    with app.app_context():
        task = db.session.get(HumanTask, world.open_task_id(radicado, "ut_5_2_6"))
        assert task.assignee_id is None
    assert len(_events(app, "released")) == 1
    admin_id = _user(app, "admin").id
    own = admin.post(f"/consola/personas/{admin_id}/desactivar", follow_redirects=True)
    assert "No puede desactivar su propia cuenta" in own.get_data(as_text=True)
    assert _user(app, "admin").active
