"""An Asesor files a request that came by phone, e-mail, in person or chat on the citizen's
behalf: the citizen's record is found or created, consent is recorded, and the case gets the
same radicado, terms and acuse as a portal filing, with its channel."""

from sqlalchemy import select

from engine.models import Case, Event, OutboxMessage, User
from tests.web.conftest import log_in_citizen, log_in_staff
from web.extensions import db

FILING = {
    "tipo": "reclamo",
    "servicio": "credito_educativo",
    "asunto": "Cobro doble de la cuota",
    "descripcion": "Llamó para decir que le cobraron dos veces la cuota de marzo.",
}


def test_an_asesor_files_a_phone_request_for_a_new_citizen(app, client, world):
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    search = client.get("/bandeja/radicar?tipo_documento=CC&documento=79000111")
    assert "No hay un registro con ese documento" in search.get_data(as_text=True)

    refused = client.post(
        "/bandeja/radicar",
        data={"tipo_documento": "CC", "documento": "79000111", "canal": "telefono", **FILING},
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Registre la autorización del ciudadano" in page
    assert "Escriba sus nombres y apellidos." in page

    done = client.post(
        "/bandeja/radicar",
        data={
            "tipo_documento": "CC",
            "documento": "79000111",
            "canal": "telefono",
            "consentimiento": "true",
            "nombre": "Pedro Gómez",
            "email": "pedro@example.com",
            "telefono": "3005550000",
            "direccion": "Carrera 7 # 1-2",
            **FILING,
        },
    )
    assert done.status_code == 302
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        citizen = db.session.get(User, case.citizen_id)
        assert (case.channel, case.request_type, citizen.full_name) == (
            "telefono",
            "reclamo",
            "Pedro Gómez",
        )
        assert case.radicado.startswith("AV-2026-") and case.legal_due > case.filed_at
        assert citizen.consent_at is not None
        event = db.session.scalars(select(Event).where(Event.kind == "filed_on_behalf")).one()
        assert event.data["canal"] == "telefono" and event.data["consentimiento"] is True
        acuse = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.operation == "notify")
        ).first()
        assert acuse.params["plantilla"] == "acuse"
    case_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Teléfono" in case_page


def test_an_existing_citizen_is_found_and_others_may_not_file(app, client, world):
    world.citizen("1012345678")
    world.staff("asesor", "asesor")
    world.staff("calidad", "agente_calidad")
    log_in_staff(client, "asesor")
    found = client.get("/bandeja/radicar?tipo_documento=CC&documento=1012345678")
    assert "Registro encontrado: Ciudadano 1012345678" in found.get_data(as_text=True)
    done = client.post(
        "/bandeja/radicar",
        data={
            "tipo_documento": "CC",
            "documento": "1012345678",
            "canal": "correo",
            "consentimiento": "true",
            **FILING,
        },
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(User).where(User.kind == "citizen")).all().__len__() == 1
        assert db.session.scalars(select(Case.channel)).one() == "correo"
    client.post("/cuenta/salir")
    log_in_staff(client, "calidad")
    assert client.get("/bandeja/radicar").status_code == 403
    client.post("/cuenta/salir")
    log_in_citizen(client, "1012345678")
    assert client.get("/bandeja/radicar").status_code in (302, 403)
