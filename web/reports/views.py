"""Report pages and files: a kept file's download, and the months with their reports."""

from flask import abort, g, render_template
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.models import ReportFile
from web.access import may_read_reports, permitted
from web.downloads import file_download
from web.extensions import db
from web.reports import bp
from workers.documents import charts
from workers.documents.monthly_report import month_name
from workers.documents.report_document import cell_text


@bp.app_template_global()
def chart_svg(chart: charts.Chart, element_id: str) -> Markup:
    """A chart as inline SVG; every text in it is escaped by ``charts.svg``."""
    return Markup(charts.svg(chart, element_id=element_id))


@bp.app_template_filter("celda")
def cell_filter(value: object, percent: bool = False) -> str:
    return cell_text(value, percent)  # type: ignore[arg-type]


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
