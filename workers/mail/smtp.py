"""Sending over SMTP (plain, STARTTLS or SSL), telling transient failures from permanent ones."""

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage

from workers.errors import PermanentFailure, TransientFailure
from workers.settings import SmtpSettings


def send(
    message: EmailMessage,
    recipients: list[str],
    settings: SmtpSettings,
    on_accepted: Callable[[], None] = lambda: None,
) -> None:
    """Send one message; ``on_accepted`` runs once the server accepted it, before QUIT, so
    the sender records it while the exchange is still open. What goes wrong after the
    acceptance (a lost QUIT reply) does not make the message unsent."""
    try:
        client = _connect(settings)
        try:
            if settings.user:
                client.login(settings.user, settings.password or "")
            refused = client.send_message(message, to_addrs=recipients)
            on_accepted()
        finally:
            _quit(client)
    except smtplib.SMTPResponseException as exc:
        # 4xx replies are the server's "try again later"; 5xx are final.
        error = TransientFailure if 400 <= exc.smtp_code < 500 else PermanentFailure
        raise error(
            f"El servidor de correo respondió {exc.smtp_code}: {_text(exc.smtp_error)}"
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(
            f"El servidor de correo rechazó a {', '.join(exc.recipients)}"
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        # Connection refused or reset, timeouts, a server that hung up: try again later.
        raise TransientFailure(
            f"No fue posible entregar el correo a {settings.host}:{settings.port}: {exc}"
        ) from exc
    if refused:
        raise PermanentFailure(f"El servidor de correo rechazó a {', '.join(refused)}")


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout,
            context=ssl.create_default_context(),
        )  # fmt: skip
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.tls == "starttls":
        client.starttls(context=ssl.create_default_context())
    elif settings.tls != "none":
        client.close()
        raise PermanentFailure(f"SMTP_TLS='{settings.tls}' no es válido (starttls, ssl o none)")
    return client


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
