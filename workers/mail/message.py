"""An e-mail built from a rendered template, with a Message-ID derived from its outbox key."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from workers.mail.rendering import RenderedMail


def message_id_for(key: str, mail_from: str) -> str:
    """The same outbox key always gives the same Message-ID, so a resend is recognisable."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "atencion-virtual.local"
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


@dataclass(frozen=True)
class MailFile:
    filename: str
    content_type: str
    content: bytes


def build_message(
    key: str,
    mail: RenderedMail,
    mail_from: str,
    recipients: list[str],
    sent_at: datetime,
    files: Sequence[MailFile] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = mail_from
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id_for(key, mail_from)
    message["X-Atencion-Key"] = key
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for item in files:
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(item.content, maintype, subtype, filename=item.filename)
    return message
