"""Attachments: accepted by content (PDF, JPG, PNG; 10 MB each), stored in the database,
served only to whoever may see their case."""

import hashlib
from dataclasses import dataclass

import filetype
from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from engine.models import Attachment, User
from engine.models.cases import CITIZEN_FILED, INTERNAL
from web.access import now
from web.extensions import db

ACCEPTED = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}


@dataclass
class Rejected(Exception):
    message: str


def _checked_content(upload: FileStorage) -> tuple[bytes, str]:
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    content = upload.stream.read(limit + 1)
    name = upload.filename or ""
    if len(content) > limit:
        raise Rejected(
            _("El archivo %(name)s supera el límite de %(mb)s MB.", name=name, mb=limit // 2**20)
        )
    if not content:
        raise Rejected(_("El archivo %(name)s está vacío.", name=name))
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ACCEPTED:
        raise Rejected(_("El archivo %(name)s no es un PDF, JPG o PNG válido.", name=name))
    return content, kind.mime


def _stored_name(original: str, mime: str) -> str:
    stem = secure_filename(original).rsplit(".", 1)[0] or "adjunto"
    return f"{stem[:120]}.{ACCEPTED[mime]}"


def store_uploads(
    uploads: list[FileStorage], uploader: User, step: str | None = None
) -> list[Attachment]:
    """Check every upload first, then add them all; raises Rejected on the first bad file.

    What a citizen uploads is theirs to see; what staff upload while working a case is
    internal until it is sent with the final answer (engine.cases.release_answer_files)."""
    uploads = [u for u in uploads if u and u.filename]
    maximum = current_app.config["MAX_ATTACHMENTS"]
    if len(uploads) > maximum:
        raise Rejected(_("Puede adjuntar como máximo %(n)s archivos.", n=maximum))
    checked = [(u, *_checked_content(u)) for u in uploads]
    stored = []
    for upload, content, mime in checked:
        attachment = Attachment(
            uploaded_by_id=uploader.id,
            filename=_stored_name(upload.filename or "", mime),
            content_type=mime,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_at=now(),
            visibility=CITIZEN_FILED if uploader.kind == "citizen" else INTERNAL,
            step=step,
        )
        db.session.add(attachment)
        stored.append(attachment)
    db.session.flush()
    return stored
