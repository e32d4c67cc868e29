"""The final-answer e-mail, through the real worker and the SMTP server on loopback: it
carries the answer as a PDF letter and the files sent with it (never an internal one), and
links to the case in the portal; once sent, those files become the citizen's to download."""

import io

from pypdf import PdfReader
from sqlalchemy import select

from engine import configuration
from engine.models import Attachment, Case, User
from engine.models.cases import ANSWER, INTERNAL
from tests.web.conftest import PDF
from tests.workers.harness import wait_for


def staff_file(desk, case_id: int, username: str, name: str, step: str) -> int:
    """A file as the task page stores it: internal, with who attached it at which step."""

    def add(engine, session) -> int:
        person = session.scalars(select(User).where(User.username == username)).one()
        item = Attachment(
            case_id=case_id,
            uploaded_by_id=person.id,
            filename=name,
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            content=PDF,
            uploaded_at=engine.clock.now(),
            visibility=INTERNAL,
            step=step,
        )
        session.add(item)
        session.flush()
        return item.id

    return desk.act(add)


def test_the_final_answer_e_mail_carries_the_letter_the_files_and_the_portal_link(stack, desk):
    stack.worker.start()
    desk.act(lambda engine, s: configuration.set_review_share(s, 100, None, engine.clock.now()))
    case = desk.file_case(tipo="felicitacion")
    wait_for(lambda: desk.outbox(status="done"), what="the acuse to be sent and recorded")
    desk.complete(case.id, "ut_5_2_6", "asesor", es_felicitacion=True)
    staff_file(desk, case.id, "asesor", "nota-interna.pdf", "5.2.6 Revisar")
    sent = staff_file(desk, case.id, "asesor", "certificado.pdf", "5.2.14 Elaborar")
    answer = "Agradecemos su felicitación; la compartimos con el equipo que lo atendió."
    desk.complete(
        case.id, "ut_5_2_14", "asesor",
        plantilla="agradecimiento_felicitacion", respuesta=answer, adjuntos_respuesta=[str(sent)],
    )  # fmt: skip
    desk.complete(
        case.id, "ut_5_2_15", "calidad",
        acorde=True, clara=True, sin_errores_forma=True, cumple=True,
    )  # fmt: skip
    desk.complete(case.id, "ut_5_2_16", "calidad", tipificacion="informacion_general")

    mails = wait_for(lambda: stack.smtp.with_subject("Respuesta a su"), what="the answer e-mail")
    assert len(mails) == 1
    message = mails[0]
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {f"respuesta-{case.radicado}.pdf", "certificado.pdf"}
    assert files["certificado.pdf"] == PDF
    letter = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(files[f"respuesta-{case.radicado}.pdf"])).pages
    )
    assert f"Radicado: {case.radicado}" in letter and "de 2026" in letter
    assert "compartimos con el equipo" in letter and "certificado.pdf" in letter
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/mis-casos/{case.radicado}" in body and "certificado.pdf" in body
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'/mis-casos/{case.radicado}"' in html

    def released() -> bool:
        return desk.read(lambda s: s.get(Case, case.id).answered_at is not None)

    wait_for(released, what="5.2.17 to complete")
    visibility = desk.read(
        lambda s: dict(s.execute(select(Attachment.filename, Attachment.visibility)).all())
    )
    assert visibility == {"certificado.pdf": ANSWER, "nota-interna.pdf": INTERNAL}
