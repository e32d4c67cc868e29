"""Filing (5.2.5) with attachments, the portal trail and "Mis casos"."""

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import Attachment, Case, Event
from tests.web.conftest import PDF, PNG, filing_token, log_in_citizen, upload
from web.extensions import db

FILING = {
    "tipo": "solicitud",
    "modalidad": "documentos",
    "servicio": "certificados_y_documentos",
    "asunto": "Certificado de deuda",
    "descripcion": "Solicito el certificado de deuda actualizado de mi crédito educativo.",
}


def _cases(app: Flask) -> list[Case]:
    with app.app_context():
        return list(db.session.scalars(select(Case)))


def test_home_shows_the_service_menu(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Crédito educativo" in page and "Fondos en administración" in page


def test_filing_form_is_rendered_from_the_schema(client: FlaskClient, world) -> None:
    world.citizen()
    log_in_citizen(client)
    page = client.get("/radicar?servicio=credito_educativo").get_data(as_text=True)
    assert 'name="tipo"' in page and 'type="radio"' in page
    assert 'name="adjuntos"' in page and 'type="file"' in page
    assert '<option value="credito_educativo" selected>' in page


def test_a_citizen_files_a_case_with_attachments_and_the_trail(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    client.get("/")  # 5.2.1
    log_in_citizen(client)  # 5.2.3
    data = {
        **FILING,
        "formulario": filing_token(client),
        "adjuntos": [upload(PDF, "soporte.pdf"), upload(PNG, "foto.png")],
    }
    response = client.post("/radicar", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    [case] = _cases(app)
    assert case.radicado.startswith("AV-2026-")
    assert response.headers["Location"].endswith(f"/mis-casos/{case.radicado}")
    with app.app_context():
        files = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
        assert sorted(a.content_type for a in files) == ["application/pdf", "image/png"]
        labels = db.session.scalars(select(Event.label).where(Event.case_id == case.id)).all()
        steps = {label.split(" ")[0] for label in labels if label}
        assert {"5.2.1", "5.2.3", "5.2.4", "5.2.5"} <= steps
        assert "5.2.2" not in steps  # logged in, not registered
        data_logged = [e.data for e in db.session.scalars(select(Event))]
        assert "password" not in repr(data_logged)
    page = client.get(f"/mis-casos/{case.radicado}").get_data(as_text=True)
    assert case.radicado in page and "soporte.pdf" in page
    assert "Recibimos su caso" in page


def test_an_attachment_is_checked_by_content_not_by_name(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    fake = b"MZ\x90\x00 this is a windows executable"
    data = {**FILING, "formulario": filing_token(client), "adjuntos": [upload(fake, "factura.pdf")]}
    response = client.post("/radicar", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "no es un PDF, JPG o PNG válido" in response.get_data(as_text=True)
    assert _cases(app) == []


def test_an_attachment_over_ten_megabytes_is_refused(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    big = PDF + b"0" * (10 * 1024 * 1024)
    data = {**FILING, "formulario": filing_token(client), "adjuntos": [upload(big, "grande.pdf")]}
    response = client.post("/radicar", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "supera el límite de 10 MB" in response.get_data(as_text=True)
    assert _cases(app) == []


def test_invalid_filing_shows_spanish_errors_next_to_fields(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    response = client.post(
        "/radicar",
        data={**FILING, "formulario": filing_token(client), "asunto": "x", "modalidad": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Hay problemas en el formulario" in page
    assert 'id="error-asunto"' in page and 'aria-describedby="ayuda-asunto error-asunto"' in page
    assert 'id="error-modalidad"' in page
    assert _cases(app) == []


def test_the_answer_is_readable_and_downloadable(app: Flask, client: FlaskClient, world) -> None:
    citizen = world.citizen()
    world.staff("asesor", "asesor")
    world.staff("calidad", "agente_calidad")
    radicado = world.file_case(
        citizen,
        tipo="felicitacion",
        servicio="credito_educativo",
        asunto="Gracias",
        descripcion="Excelente atención en mi crédito.",
    )
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": True})
    world.complete(
        radicado,
        "ut_5_2_14",
        "asesor",
        {
            "plantilla": "agradecimiento_felicitacion",
            "respuesta": "Gracias por su felicitación; la compartimos con el equipo.",
        },
    )
    world.complete(
        radicado,
        "ut_5_2_15",
        "calidad",
        {"acorde": True, "clara": True, "sin_errores_forma": True, "cumple": True},
    )
    world.complete(radicado, "ut_5_2_16", "calidad", {"tipificacion": "informacion_general"})
    log_in_citizen(client)
    page = client.get(f"/mis-casos/{radicado}").get_data(as_text=True)
    assert "Gracias por su felicitación; la compartimos con el equipo." in page
    assert "Respondido" in page
    download = client.get(f"/mis-casos/{radicado}/respuesta.txt")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "la compartimos con el equipo" in download.get_data(as_text=True)
