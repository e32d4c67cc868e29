"""A job's e-mail, rendered and sent at most once: the path every mail operator takes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workers.errors import PermanentFailure
from workers.mail import delivery, smtp
from workers.mail.message import MailFile, build_message
from workers.mail.rendering import RenderedMail, UnknownTemplate, render

if TYPE_CHECKING:
    from workers.jobs import Job


@dataclass(frozen=True)
class Sent:
    mail: RenderedMail
    message_id: str
    at: datetime
    now: bool  # False: an earlier attempt of the same job had already sent it


def send(
    job: "Job",
    template: str,
    context: dict[str, Any],
    recipients: list[str],
    files: Sequence[MailFile] = (),
) -> Sent:
    """Render ``template`` and send it once for this job (``delivery.send_once``)."""
    try:
        mail = render(template, context)
    except UnknownTemplate as exc:
        raise PermanentFailure(str(exc)) from exc
    settings = job.ctx.settings.smtp
    now = job.ctx.clock.now()
    message = build_message(job.key, mail, settings.mail_from, recipients, now, files)
    sent_now = delivery.send_once(
        job.ctx.db_engine,
        job.key,
        message,
        recipients,
        now,
        lambda msg, rcpts, accepted: smtp.send(msg, rcpts, settings, accepted),
        job.ctx.redis,
        job.ctx.settings.mail_send_lease,
    )
    return Sent(mail, message["Message-ID"], now, sent_now)
