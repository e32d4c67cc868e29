"""The look-up code of a case: with its radicado, it lets the citizen follow the case without
logging in (a read-only page). Generated at filing, stored only as a hash; the code itself
travels once, in the acknowledgement e-mail's outbox row.
"""

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Case, OutboxMessage

# No 0/O, 1/I/L: read from an e-mail and typed by hand. 8 characters: 40 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
PARAM = "codigo_consulta"


def new_code() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code[:4]}-{code[4:]}"


def normalized(code: str) -> str:
    """What the citizen typed, as stored: capitals, without spaces or dashes."""
    return "".join(code.split()).replace("-", "").upper()


def code_hash(radicado: str, code: str) -> str:
    return hashlib.sha256(f"{radicado}:{normalized(code)}".encode()).hexdigest()


def assign(session: Session, case: Case, instance_id: int) -> str:
    """Give ``case`` a new code and hand it to the e-mails to the citizen that the filing
    queued (the acknowledgement), in the caller's transaction."""
    code = new_code()
    case.lookup_code_hash = code_hash(case.radicado, code)
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.instance_id == instance_id,
            OutboxMessage.status == "pending",
            OutboxMessage.operation == "notify",
        )
    )
    for row in rows:
        targets = {t.strip() for t in str(row.params.get("destino") or "").split(",")}
        if "ciudadano" in targets:
            row.params = {**row.params, PARAM: code}
    return code


def matches(case: Case, code: str) -> bool:
    """Constant-time comparison; a case without a code matches nothing."""
    if case.lookup_code_hash is None or not code:
        return False
    return secrets.compare_digest(case.lookup_code_hash, code_hash(case.radicado, code))
