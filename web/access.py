"""Who is logged in, and what they may see: every check runs on every request."""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import exists, select

from engine import audits, lookup_codes
from engine.models import Attachment, Case, HumanTask, User
from engine.models.cases import CITIZEN_VISIBLE
from web import sessions
from web.extensions import db

SUPERVISOR_GROUPS = frozenset({"administrador", "coordinador"})
ADMIN_GROUP = "administrador"
OWNER_GROUP = "dueno_proceso"
# The weekly audit's lanes (5.2.18–5.2.22) read its reports; the OCM (and administrators)
# start one for a past week. They read, never change, the cases drawn for an audit.
AUDIT_GROUPS = frozenset({"profesional_ocm", "jefe_ocm", "gerente_outsourcing", "comite_calidad"})
AUDIT_STARTERS = frozenset({"profesional_ocm", "jefe_ocm", ADMIN_GROUP})

F = TypeVar("F", bound=Callable[..., Any])


def now() -> datetime:
    return current_app.extensions["clock"].now()


def log_in(user: User) -> None:
    """Start a new server-side session (a new cookie) for ``user``; the caller commits.

    Whatever the browser carried before is revoked, so a session fixed in advance by
    someone else never becomes a logged-in one."""
    moment = now()
    if previous := session.get("sid"):
        sessions.revoke(previous, moment)
    token = sessions.issue(user, moment)
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["seen"] = moment.isoformat()


def log_out() -> None:
    """Revoke the session on the server (the caller commits) and forget the cookie."""
    if token := session.get("sid"):
        sessions.revoke(token, now())
    session.clear()


def load_current_user() -> None:
    """Before each request: the session's row decides who is logged in.

    Refused: no live row (logged out, past its absolute lifetime, a deactivated user) or an
    idle gap longer than the idle lifetime. A row issued for other privileges than the
    user's present ones is replaced by a new one (a new cookie) in its own transaction."""
    g.user = None
    token = session.get("sid")
    if token is None:
        return
    moment = now()
    seen = session.get("seen")
    lifetime = current_app.permanent_session_lifetime
    if seen is None or moment - datetime.fromisoformat(seen) > lifetime:
        session.clear()
        flash(_("Su sesión expiró por inactividad. Ingrese de nuevo."), "info")
        return
    row = sessions.find(token, moment)
    if row is None:
        session.clear()
        flash(_("Su sesión terminó. Ingrese de nuevo."), "info")
        return
    user = row.user
    if row.privileges != sessions.privileges_of(user):
        row.revoked_at = moment
        session["sid"] = sessions.issue(user, moment)
        db.session.commit()
    session["seen"] = moment.isoformat()
    g.user = user


def citizen_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.citizen_login", next=request.full_path))
        if g.user.kind != "citizen":
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def verified_citizen_required(view: F) -> F:
    """A citizen whose e-mail address is verified (filing needs it)."""

    @wraps(view)
    @citizen_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user.email_verified_at is None:
            return redirect(url_for("auth.verification_pending"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def staff_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.staff_login", next=request.full_path))
        if g.user.kind != "staff":
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def is_admin(user: User) -> bool:
    return ADMIN_GROUP in user.group_codes


def is_supervisor(user: User) -> bool:
    return bool(SUPERVISOR_GROUPS & user.group_codes)


def may_edit_definitions(user: User | None) -> bool:
    """Process owners edit, validate and deploy the diagrams, decision tables and forms."""
    return user is not None and user.kind == "staff" and OWNER_GROUP in user.group_codes


def may_read_definitions(user: User | None) -> bool:
    """Administrators read the studio (versions, diagrams, downloads) without changing it."""
    return may_edit_definitions(user) or (
        user is not None and user.kind == "staff" and is_admin(user)
    )


def may_read_console(user: User | None) -> bool:
    """Administrators and coordinators find instances and read them in the console."""
    return user is not None and user.kind == "staff" and is_supervisor(user)


def dashboard_groups(user: User) -> frozenset[str] | None:
    """Whose work the dashboard counts: everything for administrators (None); for a
    coordinador, the tasks of their own groups and the cases that have or had one."""
    if is_admin(user):
        return None
    return frozenset(user.group_codes - SUPERVISOR_GROUPS)


def may_act_on_instances(user: User | None) -> bool:
    """Only administrators retry, skip, suspend, resume or cancel."""
    return user is not None and user.kind == "staff" and is_admin(user)


def may_edit_process_data(user: User | None) -> bool:
    """Only administrators change an instance's process data (audited before/after)."""
    return may_act_on_instances(user)


def may_run_bulk_actions(user: User | None) -> bool:
    """Only administrators retry, cancel or reassign many instances at once."""
    return may_act_on_instances(user)


def may_reassign_in_console(user: User | None, task: HumanTask | None = None) -> bool:
    """From the console: administrators reassign any task, coordinators the tasks of their
    groups (without a task: whether the console offers reassigning at all)."""
    if not may_read_console(user):
        return False
    return task is None or may_reassign(user, task)


def may_administer(user: User | None) -> bool:
    """Only administrators manage staff, groups and office closures; coordinators read the
    dashboard and the heatmap (``may_read_console``) but change none of this."""
    return user is not None and user.kind == "staff" and is_admin(user)


def may_change_settings(user: User | None) -> bool:
    """Only administrators change the run-time settings; coordinators read them."""
    return may_administer(user)


# The people of the monthly report's chain (5.2.23–5.2.27 and the acta) and the supervisors.
REPORT_GROUPS = frozenset(
    {"agente_calidad", "gerente_outsourcing", "interventoria", "coordinador", ADMIN_GROUP}
)


def may_read_reports(user: User | None) -> bool:
    """The contract report's chain and the supervisors read the reports and their files."""
    return user is not None and user.kind == "staff" and bool(REPORT_GROUPS & user.group_codes)


AREA_PREFIX = "area_"


def failure_leaders(user: User | None) -> set[str] | None:
    """Whose failures ``user`` reads: every leader's (None) for the report's people and the
    supervisors, their own areas' for an area's staff, nobody's (empty) for anyone else."""
    if user is None or user.kind != "staff":
        return set()
    if may_read_reports(user):
        return None
    return {code for code in user.group_codes if code.startswith(AREA_PREFIX)}


def may_read_failures(user: User | None) -> bool:
    return failure_leaders(user) != set()


FILING_FOR_CITIZEN_GROUPS = frozenset({"asesor", "coordinador", ADMIN_GROUP})


def may_file_for_citizen(user: User | None) -> bool:
    """Asesores (and supervisors) file the requests that come by other channels."""
    return (
        user is not None
        and user.kind == "staff"
        and bool(FILING_FOR_CITIZEN_GROUPS & user.group_codes)
    )


def permitted(rule: Callable[[User | None], bool]) -> Callable[[F], F]:
    """A staff view that ``rule`` allows for the logged-in user (403 otherwise)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @staff_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not rule(g.user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def may_read_audits(user: User | None) -> bool:
    """The audit's lanes and administrators list and read the weekly audits and their PDFs."""
    return (
        user is not None
        and user.kind == "staff"
        and bool(user.group_codes & (AUDIT_GROUPS | {ADMIN_GROUP}))
    )


def may_start_audit(user: User | None) -> bool:
    """The OCM (Profesional and Jefe) and administrators start an audit for a past week."""
    return user is not None and user.kind == "staff" and bool(user.group_codes & AUDIT_STARTERS)


def may_see_task(user: User, task: HumanTask) -> bool:
    """Staff see (and work on) the tasks of their own groups."""
    return task.candidate_group in user.group_codes


def may_reassign(user: User, task: HumanTask) -> bool:
    """Administrators reassign any task; a coordinator only the tasks they may see."""
    return is_admin(user) or (is_supervisor(user) and may_see_task(user, task))


def staff_may_see_case(user: User, case_id: int) -> bool:
    """Staff see a case when it has or had a task in one of their groups (admins see all);
    the audit's lanes see the cases drawn for an audit."""
    if is_admin(user):
        return True
    groups = user.group_codes
    if not groups:
        return False
    query = select(
        exists().where(HumanTask.case_id == case_id, HumanTask.candidate_group.in_(groups))
    )
    if db.session.scalar(query):
        return True
    # The audit's lanes read the cases drawn for an audit (read-only: no task of theirs).
    return bool(groups & AUDIT_GROUPS) and audits.sampled_for_audit(db.session, case_id)


def may_see_case(user: User | None, case: Case) -> bool:
    if user is None:
        return False
    if user.kind == "citizen":
        return case.citizen_id == user.id
    return staff_may_see_case(user, case.id)


def may_look_up(case: Case | None, code: str) -> bool:
    """Anyone holding the case's look-up code (from the acknowledgement e-mail) may read its
    state, dates and answer, read-only and without logging in."""
    return case is not None and lookup_codes.matches(case, code)


# --- files ---------------------------------------------------------------------------
# The citizen sees what they filed and what was sent with the final answer; staff who may see
# the case see every file of it, labelled with who attached it at which step.


def may_download(user: User | None, attachment: Attachment) -> bool:
    if user is None:
        return False
    if attachment.case_id is None:
        # Uploaded but not yet filed: only its uploader.
        return attachment.uploaded_by_id == user.id
    case = db.session.get(Case, attachment.case_id)
    if case is None or not may_see_case(user, case):
        return False
    return user.kind == "staff" or attachment.citizen_visible


def visible_attachments(user: User, case: Case) -> list[Attachment]:
    """The case's files this user may see and download, in the order they were attached."""
    if not may_see_case(user, case):
        return []
    query = select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    if user.kind != "staff":
        query = query.where(Attachment.visibility.in_(CITIZEN_VISIBLE))
    return list(db.session.scalars(query))


def may_read_answer(user: User | None, case: Case) -> bool:
    """The final answer (and its letter) once it was sent, to whoever may see the case."""
    return user is not None and case.answered_at is not None and may_see_case(user, case)
