"""Each e-mail is sent once per outbox key: a record, in its own transactions, around the send.

Before the SMTP conversation the key is recorded as ``sending`` and committed. As soon as the
server has accepted the message, and *before* the conversation ends (QUIT), it is marked
``sent`` and committed: a sender that dies after the server accepted a message has either
recorded it, or died with the conversation still open. A redelivered job that finds ``sent``
does not send again; one that finds ``sending`` sends again with the same Message-ID (the
crash fell inside the SMTP exchange, so the server may or may not have the message).

While one process sends, it holds a lease in Redis for as long as a job may live (the hard
time limit), so a second delivery of the same job waits for it instead of sending in
parallel; a sender killed mid-conversation leaves a lease that expires on its own.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from email.message import EmailMessage

import redis
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from engine.database import start_writing
from engine.models import MailDelivery
from web.ops.metrics import EMAILS
from workers.errors import HeldElsewhere, TransientFailure

LEASE_PREFIX = "av:mail:sending:"
mail_deliveries = MailDelivery.__table__

# transport(message, recipients, on_accepted): sends, calling on_accepted() once the server
# has accepted the message and before it ends the conversation.
Transport = Callable[[EmailMessage, list[str], Callable[[], None]], None]
# Recording ``sent`` waits for a busy database this many times before giving up.
RECORD_TRIES = 5


@contextmanager
def _writing(engine: SqlEngine) -> Iterator[Session]:
    """One short write transaction, holding SQLite's write lock from its start."""
    with Session(engine) as session, session.begin():
        start_writing(session)
        yield session


def send_once(
    engine: SqlEngine,
    key: str,
    message: EmailMessage,
    recipients: list[str],
    now: datetime,
    transport: Transport,
    leases: redis.Redis,
    lease_seconds: int,
) -> bool:
    """Send ``message`` unless the key was already sent; True when it was sent now."""
    if was_sent(engine, key):
        return False
    lease = f"{LEASE_PREFIX}{key}"
    try:
        taken = leases.set(lease, 1, nx=True, ex=lease_seconds)
        remaining = None if taken else leases.pttl(lease)
    except (redis.RedisError, OSError) as exc:
        raise TransientFailure(f"Redis no está disponible: {exc}") from exc
    if not taken:
        # Look again when the lease ends, or sooner: the holder usually finishes first.
        left = remaining / 1000 if remaining and remaining > 0 else 0.1
        wait = min(left, max(0.5, lease_seconds / 10))
        raise HeldElsewhere("El mismo correo se está enviando en otro proceso.", wait)
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
    transport: Transport,
) -> bool:
    if not _claim(engine, key, message, recipients, now):
        return False
    accepted = False

    def record_sent() -> None:
        nonlocal accepted
        accepted = True
        EMAILS.labels(outcome="sent").inc()
        for tries_left in range(RECORD_TRIES - 1, -1, -1):
            try:
                with _writing(engine) as session:
                    session.execute(
                        update(mail_deliveries)
                        .where(mail_deliveries.c.outbox_key == key)
                        .values(status="sent", sent_at=now, last_error=None)
                    )
                return
            except OperationalError:
                if not tries_left:
                    raise

    try:
        transport(message, recipients, record_sent)
    except Exception as exc:
        if not accepted:  # (if even this cannot be written, ``sending`` allows a resend)
            EMAILS.labels(outcome="failed").inc()
            with suppress(OperationalError), _writing(engine) as session:
                session.execute(
                    update(mail_deliveries)
                    .where(mail_deliveries.c.outbox_key == key)
                    .values(status="failed", last_error=str(exc)[:2000])
                )
        raise
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
    try:
        with _writing(engine) as session:
            row = session.execute(
                select(mail_deliveries.c.status, mail_deliveries.c.attempts).where(
                    mail_deliveries.c.outbox_key == key
                )
            ).first()
            if row is not None and row.status == "sent":
                return False
            if row is None:
                session.execute(
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
            else:
                session.execute(
                    update(mail_deliveries)
                    .where(mail_deliveries.c.outbox_key == key)
                    .values(status="sending", attempts=row.attempts + 1, started_at=now)
                )
    except IntegrityError as exc:
        # Another delivery of the same job claimed it a moment ago.
        raise HeldElsewhere("El mismo correo se está enviando en otro proceso.", 0.5) from exc
    except OperationalError as exc:  # the database stayed busy: nothing was sent yet
        raise TransientFailure(f"La base de datos está ocupada: {exc.orig}") from exc
    return True
