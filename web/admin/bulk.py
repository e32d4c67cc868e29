"""Bulk actions on a selection of the search or on the whole filter result: a preview (how
many, which), then a job in the workers (engine/bulk_actions.py, workers/bulk.py) whose page
shows the progress (it reloads itself while the job runs) and each instance that failed."""

import logging

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import bulk_actions
from engine.errors import EngineError, FormInvalid
from engine.instance_search import search
from engine.models import BulkJob, ProcessInstance, User
from engine.runtime import Engine
from web.access import may_run_bulk_actions, now, permitted
from web.admin import bp
from web.admin.views import MIN_REASON, STATUS_LABELS, _filter, _reason
from web.extensions import db
from web.outbox import commit

log = logging.getLogger(__name__)
MAX_INSTANCES = 10_000
PREVIEW_ROWS = 200
PREVIEW_MAX_AGE = 3600  # seconds a preview can be confirmed
CHUNK = 500
FILTER_KEYS = ("q", "estado", "proceso", "paso", "grupo", "vencido", "desde", "hasta", "orden")


def _chosen_ids() -> list[int]:
    """The selection (``instancia``) or, with ``alcance=filtro``, every row of the filter."""
    source = request.values
    if source.get("alcance") == "filtro":
        criteria = _filter_from(source)
        ids: list[int] = []
        criteria.page = 1
        while True:
            page = search(db.session, criteria, now(), per_page=500)
            ids += [row.instance.id for row in page.rows]
            if page.page >= page.pages or len(ids) >= MAX_INSTANCES:
                return ids[:MAX_INSTANCES]
            criteria.page += 1
    chosen = [int(v) for v in source.getlist("instancia") if v.isdigit()]
    return list(dict.fromkeys(chosen))[:MAX_INSTANCES]


def _states(ids: list[int]) -> dict[int, str]:
    """Each instance's state as the preview shows it (status, open incident)."""
    states: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        for instance in db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.id.in_(ids[start : start + CHUNK]))
        ):
            states[instance.id] = bulk_actions.state_of(instance)
    return states


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="consola-masivo-vista-previa")


def _pin(code: str, ids: list[int], states: dict[int, str]) -> str:
    """The preview's instances and their states, signed: the confirmation acts on exactly
    these, whatever the filter matches by then."""
    return _signer().dumps({"u": g.user.id, "a": code, "i": ids, "s": [states[i] for i in ids]})


def _pinned(code: str) -> tuple[list[int], dict[int, str]]:
    try:
        data = _signer().loads(request.form.get("vista", ""), max_age=PREVIEW_MAX_AGE)
    except SignatureExpired:
        raise EngineError(
            _("La vista previa venció; ábrala de nuevo antes de confirmar.")
        ) from None
    except BadSignature:
        raise EngineError(_("Abra la vista previa antes de confirmar la acción.")) from None
    if data.get("u") != g.user.id or data.get("a") != code:
        raise EngineError(_("Abra la vista previa antes de confirmar la acción."))
    ids = [int(i) for i in data["i"]]
    return ids, dict(zip(ids, data["s"], strict=True))


def _filter_from(source):  # type: ignore[no-untyped-def]
    # The search's own parser reads request.args; the confirmation posts the same fields.
    with current_app.test_request_context(
        query_string={k: source.get(k, "") for k in FILTER_KEYS if source.get(k)}
    ):
        return _filter()


def _filter_fields() -> dict[str, str]:
    return {k: request.values[k] for k in FILTER_KEYS if request.values.get(k)}


@bp.context_processor
def _bulk_offer() -> dict[str, object]:
    """The search page offers the bulk actions to whoever may run them."""
    offered = bulk_actions.ACTIONS if may_run_bulk_actions(g.get("user")) else {}
    return {"bulk_offer": offered, "bulk_filter_keys": FILTER_KEYS}


@bp.get("/masivo/vista-previa")
@permitted(may_run_bulk_actions)
def bulk_preview() -> str | Response:
    action = bulk_actions.ACTIONS.get(request.args.get("accion", ""))
    if action is None:
        abort(400)
    ids = _chosen_ids()
    if not ids:
        flash(_("Marque al menos una instancia o elija «todo el resultado»."), "error")
        return redirect(url_for("admin.instances", **_filter_fields()))
    states = _states(ids)
    ids = [i for i in ids if i in states]
    rows = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.id.in_(ids[:PREVIEW_ROWS]))
    ).all()
    people = []
    if action.needs_assignee:
        people = db.session.execute(
            select(User.id, User.full_name)
            .where(User.kind == "staff", User.active.is_(True))
            .order_by(User.full_name)
        ).all()
    return render_template(
        "admin/bulk_preview.html",
        action=action,
        ids=ids,
        pin=_pin(action.code, ids, states),
        rows=rows,
        shown=PREVIEW_ROWS,
        people=people,
        scope=request.args.get("alcance", "seleccion"),
        filter_fields=_filter_fields(),
        status_labels=STATUS_LABELS,
        min_reason=MIN_REASON,
    )


@bp.post("/masivo")
@permitted(may_run_bulk_actions)
def bulk_start() -> Response:
    code = request.form.get("accion", "")
    action = bulk_actions.ACTIONS.get(code)
    try:
        if action is None:
            raise EngineError(_("Elija una de las acciones masivas."))
        reason = _reason()
        params = {}
        if action.needs_assignee:
            params["asignado"] = request.form.get("persona", type=int)
            if not params["asignado"]:
                raise EngineError(_("Elija la persona a quien reasignar."))
        ids, shown = _pinned(code)
        job = bulk_actions.create(db.session, code, ids, g.user, reason, params, now(), shown)
        commit()
    except (FormInvalid, EngineError) as error:
        db.session.rollback()
        message = next(iter(error.errors.values())) if isinstance(error, FormInvalid) else error
        flash(str(message), "error")
        return redirect(url_for("admin.instances", **_filter_fields()))
    _launch(job.id)
    return redirect(url_for("admin.bulk_job", job_id=job.id))


def _launch(job_id: int) -> None:
    """In a worker when the app has them; otherwise (tests, a desk without Redis) here."""
    celery = current_app.extensions.get("celery")
    if celery is not None:
        try:
            celery.send_task("workers.run_bulk", (job_id,))
        except Exception as exc:  # redis-py's or kombu's errors: the broker is not there
            # The job is saved: beat's sweep (workers.sweep_bulk) sends it once it is silent.
            log.warning("bulk job %s not enqueued (%s); the sweep sends it", job_id, exc)
        return
    clock, settings = current_app.extensions["clock"], current_app.config.get("ENGINE_SETTINGS")
    bulk_actions.run(
        job_id,
        lambda: Session(db.engine),
        lambda session: Engine(session, clock, settings),
        lambda session: session.commit(),
    )


@bp.get("/masivo/<int:job_id>")
@permitted(may_run_bulk_actions)
def bulk_job(job_id: int) -> str:
    job = db.session.get(BulkJob, job_id) or abort(404)
    return render_template(
        "admin/bulk_job.html",
        job=job,
        action=bulk_actions.ACTIONS.get(job.action),
        people=dict(candidates_all()),
    )


def candidates_all() -> list[tuple[int, str]]:
    return list(db.session.execute(select(User.id, User.full_name).where(User.kind == "staff")))
