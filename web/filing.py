"""Forms as deployed: the filing form (forms/radicar.json) and its one-time token, task
forms, their labels."""

import secrets
from typing import Any

from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from engine import definitions
from engine.models import Case, FilingToken, HumanTask, ProcessInstance, User
from web.extensions import db

FILING_FORM = "radicar.json"
FILING_TOKEN_FIELD = "formulario"


def latest_bundle() -> definitions.Bundle:
    """The parsed newest version, looked up once per request."""
    if "latest_bundle" not in g:
        g.latest_bundle = definitions.latest_bundle(db.session)
    return g.latest_bundle


def filing_schema() -> dict[str, Any]:
    """The filing form of the newest deployed version: what the engine will validate against."""
    return latest_bundle().forms[FILING_FORM]


def choice_titles(schema: dict[str, Any], name: str) -> dict[str, str]:
    prop = schema.get("properties", {}).get(name, {})
    return {c["const"]: c.get("title", c["const"]) for c in prop.get("oneOf", []) if "const" in c}


def task_schema(task: HumanTask) -> dict[str, Any]:
    """The form of a task, from the version its instance runs (no instance load needed)."""
    deployment_id = db.session.scalar(
        select(ProcessInstance.deployment_id).where(ProcessInstance.id == task.instance_id)
    )
    return definitions.bundle_for(db.session, deployment_id).forms[task.form]


def user_task_names() -> list[tuple[str, str]]:
    """(bpmn id, name) of every user task of the newest version: the inbox's task filter."""
    return latest_bundle().user_tasks


# --- the filing form's one-time token ------------------------------------------------------
# Each rendering of the filing form carries a fresh token, signed for the citizen it was
# issued to. Filing writes the token's row in the same transaction as the case: of two
# submissions of one form (a double click, a retried request) the first files, the second
# waits on that row, finds it taken and shows the case the first one filed.


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="radicacion")


def issue_filing_token(citizen: User) -> str:
    return _signer().dumps({"c": citizen.id, "n": secrets.token_urlsafe(24)})


def filing_nonce(signed: str | None, citizen: User) -> str | None:
    """The token's key when ``signed`` is a token this app issued to this citizen, else None."""
    try:
        payload = _signer().loads(signed or "")
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("c") != citizen.id:
        return None
    nonce = payload.get("n")
    return nonce if isinstance(nonce, str) and 0 < len(nonce) <= 64 else None


def case_filed_with(nonce: str) -> Case | None:
    """The case a used token filed, or None when the token was not used yet."""
    token = db.session.get(FilingToken, nonce)
    if token is None or token.case_id is None:
        return None
    return db.session.get(Case, token.case_id)


def take_filing_token(nonce: str, citizen: User) -> FilingToken:
    """Write the token's row in the current transaction (IntegrityError when it is taken)."""
    token = FilingToken(
        token=nonce, citizen_id=citizen.id, used_at=current_app.extensions["clock"].now()
    )
    db.session.add(token)
    db.session.flush()
    return token
