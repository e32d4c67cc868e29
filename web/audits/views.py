"""Past audits, one audit's report (HTML and PDF) and starting an audit for a past week."""

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import audits
from engine.models import Group, HumanTask, ProcessInstance
from engine.runtime import INSTANCE_STATES
from web.access import may_read_audits, may_see_task, may_start_audit, now, permitted
from web.audits import bp, report
from web.downloads import file_download
from web.extensions import db
from web.formatting import BOGOTA
from web.input_rules import EARLIEST_DAY
from web.outbox import commit
from web.step_records import instance_records


@bp.get("/")
@permitted(may_read_audits)
def index() -> str:
    today = now().astimezone(BOGOTA).date()
    return render_template(
        "audits/index.html",
        rows=report.past_audits(),
        may_start=may_start_audit(g.user),
        today=today.isoformat(),
        status_label=INSTANCE_STATES.get,
    )


@bp.post("/iniciar")
@permitted(may_start_audit)
def start() -> Response:
    raw = request.form.get("semana", "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        flash(_("Elija un día de la semana que quiere auditar (AAAA-MM-DD)."), "error")
        return redirect(url_for("audits.index"))
    if day < EARLIEST_DAY:
        flash(_("Esa semana es anterior al inicio de las auditorías."), "error")
        return redirect(url_for("audits.index"))
    try:
        instance, started = audits.start_for_week(g.engine, day, g.user.id)
    except audits.AuditNotPossible as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for("audits.index"))
    commit()
    if started:
        flash(_("Se inició la auditoría; la muestra de casos se está tomando."), "success")
    else:
        flash(_("Esa semana ya tiene su auditoría."), "info")
    return redirect(url_for("audits.index", _anchor=f"auditoria-{instance.id}"))


def _instance(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or instance.process_id != audits.AUDIT_PROCESS:
        abort(404)
    return instance


@bp.get("/<id:instance_id>")
@permitted(may_read_audits)
def show(instance_id: int) -> str:
    instance = _instance(instance_id)
    audit = audits.audit_of_instance(db.session, instance.id)
    # Where the audit stands: its open steps, each with its group, and a link for who may open it.
    steps = db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
        .order_by(HumanTask.created_at)
    ).all()
    groups = dict(db.session.execute(select(Group.code, Group.name)).tuples().all())
    return render_template(
        "audits/show.html",
        instance=instance,
        steps=[
            (t, groups.get(t.candidate_group, t.candidate_group), may_see_task(g.user, t))
            for t in steps
        ],
        view=report.audit_view(audit) if audit is not None else None,
        records=instance_records(instance.id),
        status_label=INSTANCE_STATES.get,
    )


@bp.get("/<id:instance_id>/informe.pdf")
@permitted(may_read_audits)
def pdf(instance_id: int) -> Response:
    audit = audits.audit_of_instance(db.session, _instance(instance_id).id)
    if audit is None or audit.pdf is None:
        abort(404)
    day = audit.period_start.astimezone(BOGOTA).date().isoformat()
    return file_download(audit.pdf, "application/pdf", f"informe-auditoria-{day}.pdf")
