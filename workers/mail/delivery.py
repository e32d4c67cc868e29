"""Each e-mail is sent once per outbox key: a record, in its own transactions, around the send.

Before the SMTP conversation the key is recorded as ``sending`` and committed; after the
server accepts the message it is marked ``sent`` and committed. A redelivered job that finds
``sent`` does not send again. While one process sends, it holds a short lease in Redis, so
a second delivery of the same job waits (retries later) instead of sending in parallel. A
job that died mid-conversation leaves ``sending`` and an expiring lease: the resend carries
the same Message-ID, so a receiving server or mail client can still recognise it.
"""

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from email.message import EmailMessage

import redis
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.models import MailDelivery
from workers.errors import TransientFailure

LEASE_PREFIX = "av:mail:sending:"
mail_deliveries = MailDelivery.__table__


def send_once(
    engine: SqlEngine,
    key: str,
    message: EmailMessage,
    recipients: list[str],
    now: datetime,
    transport: Callable[[EmailMessage, list[str]], None],
    leases: redis.Redis,
    lease_seconds: int,
) -> bool:
    """Send ``message`` unless the key was already sent; True when it was sent now."""
    if was_sent(engine, key):
        return False
    lease = f"{LEASE_PREFIX}{key}"
    try:
        taken = leases.set(lease, 1, nx=True, ex=lease_seconds)
    except (redis.RedisError, OSError) as exc:
        raise TransientFailure(f"Redis no está disponible: {exc}") from exc
    if not taken:
        raise TransientFailure("El mismo correo se está enviando en otro proceso.")
    try:
        return _send(engine, key, message, recipients, now, transport)
    finally:
        with suppress(redis.RedisError, OSError):  # the lease expires on its own
            leases.delete(lease)


def _send(
    engine: SqlEngine,
    key: str,
    message: EmailMessage,
    recipients: list[str],
    now: datetime,
    transport: Callable[[EmailMessage, list[str]], None],
) -> bool:
    if not _claim(engine, key, message, recipients, now):
        return False
    try:
        transport(message, recipients)
    except Exception as exc:
        with engine.begin() as conn:
            conn.execute(
                update(mail_deliveries)
                .where(mail_deliveries.c.outbox_key == key)
                .values(status="failed", last_error=str(exc)[:2000])
            )
        raise
    with engine.begin() as conn:
        conn.execute(
            update(mail_deliveries)
            .where(mail_deliveries.c.outbox_key == key)
            .values(status="sent", sent_at=now, last_error=None)
        )
    return True


def was_sent(engine: SqlEngine, key: str) -> bool:
    with engine.connect() as conn:
        status = conn.scalar(
            select(mail_deliveries.c.status).where(mail_deliveries.c.outbox_key == key)
        )
    return status == "sent"


def _claim(
    engine: SqlEngine, key: str, message: EmailMessage, recipients: list[str], now: datetime
) -> bool:
    with engine.begin() as conn:
        row = conn.execute(
            select(mail_deliveries.c.status, mail_deliveries.c.attempts).where(
                mail_deliveries.c.outbox_key == key
            )
        ).first()
        if row is not None and row.status == "sent":
            return False
        if row is None:
            try:
                conn.execute(
                    insert(mail_deliveries).values(
                        outbox_key=key,
                        message_id=message["Message-ID"],
                        recipients=", ".join(recipients),
                        subject=str(message["Subject"])[:300],
                        status="sending",
                        attempts=1,
                        started_at=now,
                    )
                )
            except IntegrityError as exc:
                # Another delivery of the same job claimed it a moment ago.
                raise TransientFailure("El mismo correo se está enviando en otro proceso.") from exc
        else:
            conn.execute(
                update(mail_deliveries)
                .where(mail_deliveries.c.outbox_key == key)
                .values(status="sending", attempts=row.attempts + 1, started_at=now)
            )
    return True
