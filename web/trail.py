"""The citizen's way into the portal (5.2.1–5.2.4), kept in the session until filing.

Only the step and its time are kept: never a password or any other secret.
"""

from flask import session

from web.access import now

ENTERED = "5.2.1"
REGISTERED = "5.2.2"
LOGGED_IN = "5.2.3"
DATA_UPDATED = "5.2.4"

_KEY = "trail"


def record(step: str) -> None:
    steps = list(session.get(_KEY, []))
    if step == ENTERED and any(s["actividad"] == ENTERED for s in steps):
        return
    steps.append({"actividad": step, "en": now().isoformat()})
    session[_KEY] = steps


def current() -> list[dict[str, str]]:
    return list(session.get(_KEY, []))


def keep_across_login() -> list[dict[str, str]]:
    """The steps so far; logging in clears the session, so the caller puts them back."""
    return current()


def restore(steps: list[dict[str, str]]) -> None:
    session[_KEY] = steps
