"""Inbox and task pages. Group membership is checked here and again by the engine."""

from datetime import datetime, time, timedelta
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import load_only
from werkzeug.wrappers import Response

from engine import forms as engine_forms
from engine import inbox as engine_inbox
from engine.deadlines import MIN_EXTENSION_REASONS
from engine.errors import EngineError, FormInvalid, NotAllowed, NotFound, TaskConflict
from engine.models import Case, HumanTask, User, membership
from web import answer_templates
from web.access import (
    is_supervisor,
    may_reassign,
    may_see_task,
    now,
    staff_may_see_case,
    staff_required,
)
from web.attachments import Rejected, store_uploads
from web.audits import report as audit_report
from web.case_file import load_case_file
from web.case_labels import status_label
from web.extensions import db
from web.filing import (
    choice_titles,
    filing_schema,
    latest_bundle,
    task_schema,
    user_task_names,
)
from web.formatting import BOGOTA
from web.forms import build_fields, file_fields, parse_submission
from web.input_rules import (
    MAX_ROW_ID,
    bounded_int,
    column_length,
    query_day,
    query_page,
    text_error,
)
from web.legacy_panel import legacy_panel, looked_up_since
from web.outbox import commit
from web.reports.panels import report_panel
from web.step_records import records_before
from web.tasks import bp
from web.tasks.handoff import after_completion

# The inbox's query string, in Spanish: ?orden=<column>&sentido=desc
SORTS = {
    "vence": "due",
    "radicado": "case",
    "tarea": "step",
    "tipo": "type",
    "recibida": "received",
}
# The protocol template that informs the date of the answer: its date starts at the legal term.
INTERIM_TEMPLATE = "informar_fecha_respuesta"
# The weekly audit: the F182 step opens its sampled case; the later steps read the report.
F182_STEP = "ut_5_2_18"
AUDIT_REPORT_STEPS = frozenset({"ut_5_2_19", "ut_5_2_20", "ut_5_2_21", "ut_5_2_22"})
MAX_SEARCH = 40  # a radicado or a document number is far shorter


def _filters() -> dict[str, Any]:
    args = request.args
    overdue = {"si": True, "no": False}.get(args.get("vencidas", ""))
    for name, column in (("tarea", HumanTask.bpmn_id), ("tipo", HumanTask.request_type)):
        if len(args.get(name, "")) > column_length(column):
            abort(400, _("El filtro no es válido."))
    search = args.get("buscar", "").strip()
    if len(search) > MAX_SEARCH or text_error(search, MAX_SEARCH):
        abort(400, _("Escriba un radicado o un número de documento."))
    day = query_day("vence_antes")
    due_before = datetime.combine(day + timedelta(days=1), time(), BOGOTA) if day else None
    return {
        "task": args.get("tarea") or None,
        "request_type": args.get("tipo") or None,
        "overdue": overdue,
        "due_before": due_before,
        "search": search or None,
    }


def _procedure_steps() -> list[tuple[str, str]]:
    """Every user task of the newest version, in procedure order (5.2.6 before 5.2.10)."""
    return engine_inbox.in_procedure_order(user_task_names())


def _my_steps() -> list[tuple[str, str]]:
    """The "Tarea" filter: the steps that reach the user's groups, in procedure order. The
    steps routed by the escalation matrix reach the members of an area group."""
    bundle = latest_bundle()
    in_an_area = any(group.kind == "area" for group in g.user.groups)
    return engine_inbox.steps_for(
        bundle.user_tasks, bundle.user_task_groups, g.user.group_codes, in_an_area
    )


@bp.get("/")
@staff_required
def inbox() -> str:
    counts = {
        scope: engine_inbox.count_tasks(db.session, g.user, scope) for scope in engine_inbox.SCOPES
    }
    scope = request.args.get("vista")
    if scope not in engine_inbox.SCOPES:
        # Nothing of one's own yet: open on the group's tasks rather than on an empty tab.
        scope = "mine" if counts["mine"].total else "group"
    sort = request.args.get("orden", "vence")
    if sort not in SORTS:
        sort = "vence"
    descending = request.args.get("sentido") == "desc"
    page_number = query_page()
    filters = _filters()
    current = now()
    page = engine_inbox.list_tasks(
        db.session,
        g.user,
        now=current,
        scope=scope,
        sort=SORTS[sort],
        descending=descending,
        step_order={bpmn_id: i for i, (bpmn_id, _name) in enumerate(_procedure_steps())},
        page=page_number,
        per_page=current_app.config["INBOX_PAGE_SIZE"],
        **filters,
    )
    query = {k: v for k, v in request.args.items() if k != "pagina" and v}
    query["vista"] = scope
    if filters["search"]:
        query["buscar"] = filters["search"]  # shown and linked as understood: trimmed
    else:
        query.pop("buscar", None)
    return render_template(
        "tasks/inbox.html",
        page=page,
        scope=scope,
        counts=counts,
        cases=_cases_of(page.items),
        assignees=_assignees_of(page.items) if is_supervisor(g.user) else {},
        now=current,
        soon=current + timedelta(hours=current_app.config["INBOX_DUE_SOON_HOURS"]),
        query=query,
        sort=sort,
        descending=descending,
        task_choices=_my_steps(),
        types=choice_titles(filing_schema(), "tipo"),
        status_label=status_label,
    )


def _cases_of(tasks: list[HumanTask]) -> dict[int, Case]:
    ids = {t.case_id for t in tasks if t.case_id is not None}
    if not ids:
        return {}
    # The inbox shows only the subject: not the description or the answer of each case.
    query = select(Case).options(load_only(Case.subject)).where(Case.id.in_(ids))
    return {c.id: c for c in db.session.scalars(query)}


def _assignees_of(tasks: list[HumanTask]) -> dict[int, str]:
    """Who has each assigned task of the page: supervisors see names."""
    ids = {t.assignee_id for t in tasks if t.assignee_id is not None}
    if not ids:
        return {}
    query = select(User.id, User.full_name).where(User.id.in_(ids))
    return dict(db.session.execute(query).tuples().all())


def _visible_task(task_id: str) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None or not may_see_task(g.user, task):
        abort(404)
    return task


def _group_members(group: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(membership, membership.c.user_id == User.id)
            .where(membership.c.group_code == group, User.active.is_(True))
            .order_by(User.full_name)
        )
    )


def _render_task(
    task_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> str:
    task = _visible_task(task_id)
    view = g.engine.task_view(task_id, g.user)
    submitted = values is not None  # a refused submission keeps what the person wrote
    proposed = engine_forms.suggestions(view.schema, view.data)
    values = dict(values if submitted else _with_suggestions(view.schema, view.prefill, proposed))
    if submitted:  # what the record says is shown again as it was (it is never submitted)
        fields_of_form = view.schema.get("properties", {})
        read_only = {k: v for k, v in view.prefill.items() if fields_of_form[k].get("readOnly")}
        values = {**read_only, **values}
    chosen = request.args.get("plantilla")
    fields_of_form = view.schema.get("properties", {})
    if chosen and not submitted and view.case is not None and "plantilla" in fields_of_form:
        citizen = db.session.get(User, view.case.citizen_id)
        text = answer_templates.render(chosen, view.case, citizen)
        if text is not None:
            values["plantilla"] = chosen
            values["respuesta"] = text
            if chosen == INTERIM_TEMPLATE and "fecha_respuesta" in view.schema["properties"]:
                values["fecha_respuesta"] = (
                    view.case.legal_due.astimezone(BOGOTA).date().isoformat()
                )
    notes = {name: s.text for name, s in proposed.items()}
    fields = build_fields(view.schema, values, errors, notes)
    case_file = load_case_file(view.case, with_records=False) if view.case is not None else None
    earlier = records_before(task)
    schema = filing_schema()
    return render_template(
        "tasks/task.html",
        task=task,
        view=view,
        fields=fields,
        errors=errors or {},
        case_file=case_file,
        legacy=legacy_panel(view.data.get("consulta_legado")),
        audit=audit_report.for_instance(task.instance_id)
        if task.bpmn_id in AUDIT_REPORT_STEPS
        else None,
        audited_case=view.data.get("radicado") if task.bpmn_id == F182_STEP else None,
        legacy_is_new=looked_up_since(
            view.data.get("consulta_legado"), earlier[0].at if earlier else None
        ),
        earlier=earlier,
        report=report_panel(task, view),
        members=_group_members(task.candidate_group) if may_reassign(g.user, task) else [],
        supervisor=may_reassign(g.user, task),
        assignee=db.session.get(User, task.assignee_id) if task.assignee_id else None,
        templates=_template_choices(view.schema),
        services=choice_titles(schema, "servicio"),
        types=choice_titles(schema, "tipo"),
        status_label=status_label,
        now=now(),
        soon=now() + timedelta(hours=current_app.config["INBOX_DUE_SOON_HOURS"]),
    )


def _with_suggestions(
    schema: dict[str, Any], prefill: dict[str, Any], proposed: dict[str, engine_forms.Suggestion]
) -> dict[str, Any]:
    """A field with a suggestion opens with the suggestion, or empty when there is none (after
    a return, the area that returned the case is not chosen again)."""
    suggested = set(engine_forms.suggested_fields(schema))
    values = {name: value for name, value in prefill.items() if name not in suggested}
    values.update({name: s.value for name, s in proposed.items()})
    return values


def _template_choices(schema: dict[str, Any]) -> list[tuple[str, str]]:
    prop = schema.get("properties", {}).get("plantilla")
    if not prop or "respuesta" not in schema.get("properties", {}):
        return []
    return [(c["const"], c.get("title", c["const"])) for c in prop.get("oneOf", [])]


@bp.get("/tareas/<task_id>")
@staff_required
def task_page(task_id: str) -> str:
    return _render_task(task_id)


@bp.post("/tareas/<task_id>")
@staff_required
def complete(task_id: str) -> str | Response | tuple[str, int]:
    task = _visible_task(task_id)
    schema = task_schema(task)
    values = parse_submission(schema, request.form)
    try:
        for name in file_fields(schema):
            stored = store_uploads(request.files.getlist(name), g.user, step=task.name)
            for attachment in stored:
                attachment.case_id = task.case_id
            values[name] = [str(a.id) for a in stored]
        g.engine.complete_task(task_id, g.user, values)
        # Read in the step's own transaction: it sees the rows the step wrote, and the task and
        # the user are not reloaded, as they would be once the commit has expired them.
        handoff = after_completion(task, g.user)
        commit()
    except Rejected as rejection:
        db.session.rollback()
        return _render_task(
            task_id, values, {name: rejection.message for name in file_fields(schema)}
        ), 400
    except FormInvalid as invalid:
        db.session.rollback()
        return _render_task(task_id, values, invalid.errors), 400
    flash(handoff.message, "success")
    if handoff.next_task_id is not None:
        return redirect(url_for("tasks.task_page", task_id=handoff.next_task_id))
    return redirect(url_for("tasks.inbox"))


@bp.post("/tareas/<task_id>/tomar")
@staff_required
def claim(task_id: str) -> Response:
    _visible_task(task_id)
    g.engine.claim(task_id, g.user)
    commit()
    flash(_("Tomó la tarea. Ahora aparece en «Mis tareas»."), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id))


@bp.post("/tareas/<task_id>/liberar")
@staff_required
def release(task_id: str) -> Response:
    _visible_task(task_id)
    g.engine.release(task_id, g.user)
    commit()
    flash(_("Liberó la tarea; vuelve a la bandeja del grupo."), "info")
    return redirect(url_for("tasks.inbox", vista="group"))


@bp.post("/tareas/<task_id>/reasignar")
@staff_required
def reassign(task_id: str) -> Response:
    if not is_supervisor(g.user):
        abort(403)
    task = db.session.get(HumanTask, task_id)
    if task is None or not may_reassign(g.user, task):
        abort(404)
    assignee_id = bounded_int(request.form.get("asignado"), 1, MAX_ROW_ID)
    if assignee_id is None:
        flash(_("Seleccione a quién reasignar la tarea."), "error")
        return redirect(url_for("tasks.task_page", task_id=task_id))
    g.engine.reassign(task_id, g.user, assignee_id)
    commit()
    flash(_("Tarea reasignada."), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id))


@bp.get("/casos/<radicado>")
@staff_required
def case_page(radicado: str) -> str:
    case = db.session.scalars(select(Case).where(Case.radicado == radicado)).first()
    if case is None or not staff_may_see_case(g.user, case.id):
        abort(404)
    schema = filing_schema()
    return render_template(
        "tasks/case.html",
        may_extend=case.answered_at is None
        and case.extended_at is None
        and case.info_requested_at is None
        and case.withdrawn_at is None
        and bool(g.user.group_codes & {"asesor", "coordinador", "administrador"}),
        case_file=load_case_file(case),
        reasons_min=MIN_EXTENSION_REASONS,
        reasons_max=column_length(Case.extension_reasons),
        services=choice_titles(schema, "servicio"),
        types=choice_titles(schema, "tipo"),
        status_label=status_label,
    )


@bp.post("/casos/<radicado>/prorroga")
@staff_required
def extend_deadline(radicado: str) -> Response:
    """Prórroga: the Asesor extends the legal term once, with reasons (the engine decides)."""
    case = db.session.scalars(select(Case).where(Case.radicado == radicado)).first()
    if case is None or not staff_may_see_case(g.user, case.id):
        abort(404)
    days = bounded_int(request.form.get("dias"), 0, MAX_ROW_ID)  # the engine checks the term
    if days is None:
        flash(_("Indique cuántos días hábiles amplía el término."), "error")
        return redirect(url_for("tasks.case_page", radicado=radicado))
    reasons = request.form.get("motivos", "").strip()
    problem = text_error(reasons, column_length(Case.extension_reasons), multiline=True)
    if problem:
        flash(problem, "error")
        return redirect(url_for("tasks.case_page", radicado=radicado))
    g.engine.extend_deadline(case.id, g.user, days, reasons)
    commit()
    flash(_("Término prorrogado; se informó al ciudadano."), "success")
    return redirect(url_for("tasks.case_page", radicado=radicado))


# Engine refusals become a page in Spanish with the engine's own message; nothing is kept.
_ENGINE_ERRORS = {
    NotFound: (_l("No encontrado"), 404),
    NotAllowed: (_l("Acceso no permitido"), 403),
    TaskConflict: (_l("La tarea cambió"), 409),
    EngineError: (_l("No fue posible"), 409),
}


def _engine_error(error: EngineError) -> tuple[str, int]:
    db.session.rollback()
    title, status = next(v for k, v in _ENGINE_ERRORS.items() if isinstance(error, k))
    return render_template("error.html", title=str(title), message=str(error)), status


for _error in _ENGINE_ERRORS:
    bp.register_error_handler(_error, _engine_error)
