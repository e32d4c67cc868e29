"""Report pages and files: a kept file's download, and the months with their reports."""

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort, g, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import failure_report, legal_reports
from engine.cases import CHANNELS
from engine.failure_report import COORDINATOR
from engine.models import Group, ReportFile
from web.access import (
    AREA_PREFIX,
    failure_leaders,
    may_read_failures,
    may_read_reports,
    now,
    permitted,
)
from web.case_labels import status_label
from web.downloads import file_download
from web.extensions import db
from web.formatting import BOGOTA
from web.input_rules import query_day
from web.reports import bp
from workers.documents import charts
from workers.documents import failure_report as failure_document
from workers.documents import legal_reports as legal_documents
from workers.documents.monthly_report import month_name
from workers.documents.report_document import PDF_TYPE, XLSX_TYPE, cell_text, pdf, xlsx
from workers.labels import Labels


@bp.app_template_global()
def chart_svg(chart: charts.Chart, element_id: str) -> Markup:
    """A chart as inline SVG; every text in it is escaped by ``charts.svg``."""
    return Markup(charts.svg(chart, element_id=element_id))


@bp.app_template_filter("celda")
def cell_filter(value: object, percent: bool = False) -> str:
    return cell_text(value, percent)  # type: ignore[arg-type]


@bp.app_template_filter("canal")
def channel_filter(code: str | None) -> str:
    return CHANNELS.get(code or "portal", code or "")


@bp.app_template_filter("mes")
def month_filter(period: str) -> str:
    return month_name(period)


@bp.get("/archivos/<int:file_id>")
@permitted(may_read_reports)
def report_file(file_id: int) -> Response:
    row = db.session.get(ReportFile, file_id)
    if row is None:
        abort(404)
    return file_download(row.content, row.content_type, row.filename)


@bp.get("/mensual")
@permitted(may_read_reports)
def monthly_index() -> str:
    rows = db.session.execute(
        select(
            ReportFile.id,
            ReportFile.period,
            ReportFile.version,
            ReportFile.format,
            ReportFile.filename,
            ReportFile.size,
            ReportFile.created_at,
        )
        .where(ReportFile.report == "informe_mensual")
        .order_by(ReportFile.period.desc(), ReportFile.version.desc(), ReportFile.format.desc())
    ).all()
    months: dict[str, list] = {}
    for row in rows:
        months.setdefault(row.period, []).append(row)
    return render_template("reports/monthly_index.html", months=months, user=g.user)


def _failure_filters() -> dict[str, Any]:
    today = now().astimezone(BOGOTA).date()
    last_monday = failure_report.week_of(today)[0].date() - timedelta(days=7)
    start = query_day("desde") or last_monday
    end = query_day("hasta") or (last_monday + timedelta(days=6))
    if end < start:
        abort(400, _("La fecha final es anterior a la inicial."))
    term = request.args.get("termino") or None
    if term is not None and term not in failure_report.TERMS:
        abort(400, _("El filtro no es válido."))
    leader = request.args.get("lider") or None
    if leader is not None and len(leader) > 60:
        abort(400, _("El filtro no es válido."))
    return {"start": start, "end": end, "term": term, "leader": leader}


@bp.get("/fallas")
@permitted(may_read_failures)
def failures() -> str | Response:
    chosen = _failure_filters()
    allowed = failure_leaders(g.user)
    moment = now()
    start = datetime.combine(chosen["start"], time(), BOGOTA)
    end = datetime.combine(chosen["end"] + timedelta(days=1), time(), BOGOTA)
    found = [
        f
        for f in failure_report.failures(
            db.session, start, end, moment, term=chosen["term"], leader=chosen["leader"]
        )
        if allowed is None or f.leader in allowed
    ]
    labels = Labels(db.session)
    built = failure_document.document(
        found, start, end, moment, labels.group, status_label, leader=chosen["leader"]
    )
    if request.args.get("formato") == "xlsx":
        return file_download(xlsx(built), XLSX_TYPE, f"{built.filename}.xlsx")
    leaders = sorted(
        {COORDINATOR, *(c for c in labels_groups() if c.startswith(AREA_PREFIX))}
        if allowed is None
        else allowed,
        key=labels.group,
    )
    query = {k: v for k, v in request.args.items() if v and k != "formato"}
    return render_template(
        "reports/failures.html",
        document=built,
        chosen=chosen,
        leaders=[(code, labels.group(code)) for code in leaders],
        terms=[(t, failure_document.TERM_NAMES[t]) for t in failure_report.TERMS],
        query=query,
        count=len(found),
    )


def labels_groups() -> list[str]:
    return list(db.session.scalars(select(Group.code)))


@bp.get("/")
@permitted(may_read_failures)
def index() -> str:
    return render_template("reports/index.html")


def _legal_range() -> tuple[str, date, date]:
    kind = request.args.get("informe", "pqrs")
    if kind not in legal_documents.KINDS:
        abort(400, _("El filtro no es válido."))
    today = now().astimezone(BOGOTA).date()
    # By default the last complete semester (art. 76 asks for one every six months).
    half_start = date(today.year, 1 if today.month <= 6 else 7, 1)
    previous = date(half_start.year - (half_start.month == 1), 7 if half_start.month == 1 else 1, 1)
    start = query_day("desde") or previous
    end = query_day("hasta") or (half_start - timedelta(days=1))
    if end < start:
        abort(400, _("La fecha final es anterior a la inicial."))
    return kind, start, end


@bp.get("/ley")
@permitted(may_read_reports)
def legal() -> str | Response:
    kind, first, last = _legal_range()
    start = datetime.combine(first, time(), BOGOTA)
    end = datetime.combine(last + timedelta(days=1), time(), BOGOTA)
    moment = now()
    labels = Labels(db.session)
    if kind == "pqrs":
        figures = legal_reports.pqrs_report(db.session, start, end, moment)
        built = legal_documents.pqrs_document(figures, start, end, moment, labels.of, labels.group)
    else:
        figures = legal_reports.information_report(db.session, start, end, moment)
        built = legal_documents.information_document(figures, start, end, moment)
    fmt = request.args.get("formato")
    if fmt == "xlsx":
        return file_download(xlsx(built), XLSX_TYPE, f"{built.filename}.xlsx")
    if fmt == "pdf":
        return file_download(pdf(built), PDF_TYPE, f"{built.filename}.pdf")
    query = {"informe": kind, "desde": first.isoformat(), "hasta": last.isoformat()}
    return render_template(
        "reports/legal.html",
        document=built,
        kind=kind,
        kinds=legal_documents.KINDS,
        first=first,
        last=last,
        query=query,
    )
