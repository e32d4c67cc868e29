"""Watching the service: the dashboard (open work, compliance by week, cases at risk,
workload, incidents, the outbox and the workers) and the heatmap on the diagram."""

from datetime import date, datetime, time, timedelta

from flask import abort, g, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from engine import dashboard as figures
from engine import definitions, heatmap
from engine.clock import BOGOTA
from engine.models import Deployment, ProcessInstance
from web.access import dashboard_groups, may_read_console, now, permitted
from web.admin import bp
from web.admin.charts import age_text, grouped_percentages, horizontal_counts, percent
from web.admin.views import OPERATION_LABELS, OVERDUE_LABELS, _group_names, _process_names
from web.extensions import db
from web.ops.health import heartbeats

MORE_OPERATIONS = {"account_mail": _l("Correos de cuentas")}
DEFAULT_DAYS = 30
AT_RISK_SHOWN = 50  # the rest are counted, not listed (hundreds at 10,000 open cases)
MAX_DAYS = 366


@bp.get("/tablero")
@permitted(may_read_console)
def dashboard() -> str:
    moment = now()
    session = db.session
    groups = _group_names()
    scope = dashboard_groups(g.user)
    work = figures.open_work(session, moment, scope)
    weeks = figures.weekly_compliance(session, moment, groups=scope)
    week_labels = [format_date(w.week, "d MMM") for w in weeks]
    compliance = grouped_percentages(
        _("Cumplimiento por semana"),
        week_labels,
        [(str(OVERDUE_LABELS[t]), [w.share(t) for w in weeks]) for t in figures.TERMS],
    )
    per_group: dict[str, int] = {}
    for load in work:
        name = groups.get(load.group, load.group)
        per_group[name] = per_group.get(name, 0) + load.open
    work_chart = horizontal_counts(
        _("Tareas abiertas por grupo"), sorted(per_group.items(), key=lambda p: -p[1])
    )
    incidents_total, incidents = figures.open_incidents(session, groups=scope)
    at_risk = figures.at_risk(session, moment, groups=scope)
    runs = figures.last_runs(session, moment, heartbeats())
    operations = {**OPERATION_LABELS, **MORE_OPERATIONS}
    return render_template(
        "admin/dashboard.html",
        work=work,
        groups=groups,
        weeks=weeks,
        week_labels=week_labels,
        terms=figures.TERMS,
        term_labels=OVERDUE_LABELS,
        compliance=compliance,
        work_chart=work_chart,
        per_group=per_group,
        at_risk=at_risk[:AT_RISK_SHOWN],
        at_risk_total=len(at_risk),
        workload=figures.workload(session, moment, scope),
        incidents_total=incidents_total,
        incidents=incidents,
        backlog=figures.outbox_backlog(session, scope),
        scope=sorted(str(groups.get(code, code)) for code in scope or ()),
        scoped=scope is not None,
        runs=runs,
        operations={op: str(operations.get(op, op)) for op in runs.by_operation},
        moment=moment,
        age=lambda since: age_text((moment - since).total_seconds() / 3600),
        hours=age_text,
        percent=percent,
    )


def _period() -> tuple[date, date]:
    today = now().astimezone(BOGOTA).date()
    try:
        end = date.fromisoformat(request.args.get("hasta") or today.isoformat())
        start = date.fromisoformat(
            request.args.get("desde") or (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        )
    except ValueError:
        abort(400)
    if start > end or (end - start).days >= MAX_DAYS:
        abort(400)
    return start, end


def _busiest(processes: dict[str, str]) -> str:
    """The process with the most instances: what the heatmap opens on."""
    counts = dict(
        db.session.execute(
            select(ProcessInstance.process_id, func.count()).group_by(ProcessInstance.process_id)
        ).all()
    )
    return max(sorted(processes), key=lambda p: counts.get(p, 0), default="")


def _diagram(process_id: str) -> str | None:
    """The newest deployed version's diagram file that holds ``process_id``."""
    bundle = definitions.latest_bundle(db.session)
    deployment = db.session.get(Deployment, bundle.deployment_id)
    for path, content in deployment.files.items():
        if path.endswith(".bpmn") and f'id="{process_id}"' in content:
            return content
    return None


@bp.get("/mapa-de-calor")
@permitted(may_read_console)
def heat() -> str | tuple[str, int]:
    processes = _process_names()
    process_id = request.args.get("proceso") or _busiest(processes)
    if process_id not in processes:
        abort(404)
    start, end = _period()
    xml = _diagram(process_id)
    if xml is None:
        abort(404)
    result = heatmap.compute(
        db.session,
        process_id,
        xml,
        datetime.combine(start, time(), tzinfo=BOGOTA),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=BOGOTA),
    )
    return render_template(
        "admin/heatmap.html",
        processes=processes,
        process_id=process_id,
        start=start,
        end=end,
        result=result,
        marks=_heat_marks(result),
        hours=age_text,
    )


def _heat_marks(result: heatmap.Heatmap) -> dict:
    """Badges for the viewer: each step's mean and p90 (coloured by how slow it is among the
    steps shown) and each flow's count."""
    badges = []
    means = sorted(step.mean for step in result.steps)
    for step in result.steps:
        rank = means.index(step.mean) / max(1, len(means) - 1)
        level = 3 if rank >= 0.75 else 2 if rank >= 0.4 else 1
        text = _("media %(mean)s\np90 %(p90)s", mean=age_text(step.mean), p90=age_text(step.p90))
        badges.append({"id": step.bpmn_id, "text": text, "kind": f"heat-{level}"})
    for flow, count in result.flows.items():
        badges.append({"id": flow, "text": str(count), "kind": "heat-flow"})
    slowest = [step.bpmn_id for step in result.steps[:1]]  # steps come slowest first
    return {"visited": {}, "badges": badges, "focus": slowest}


@bp.get("/mapa-de-calor/<process_id>.bpmn")
@permitted(may_read_console)
def heat_diagram(process_id: str) -> Response:
    xml = _diagram(process_id) if process_id in _process_names() else None
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml")
