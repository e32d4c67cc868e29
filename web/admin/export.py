"""The console's search result exported whole, as CSV or as an Excel workbook (XLSX)."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from werkzeug.wrappers import Response

from engine.clock import BOGOTA
from engine.instance_search import InstanceFilter, search
from web.access import now
from web.extensions import db
from web.formatting import format_moment

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 500


def _header() -> list[str]:
    return [
        _("Radicado o clave"),
        _("Proceso"),
        _("Estado"),
        _("Incidente"),
        _("Pasos abiertos"),
        _("Inicio"),
    ]


def _rows(
    criteria: InstanceFilter, process_names: dict[str, str], status_labels: dict[str, Any]
) -> Iterator[list[Any]]:
    """Every row of the filter (all pages), the start as an aware datetime."""
    criteria.page = 1
    while True:
        page = search(db.session, criteria, now(), per_page=BATCH)
        for row in page.rows:
            instance = row.instance
            yield [
                row.case.radicado if row.case else instance.business_key,
                process_names.get(instance.process_id, instance.process_id),
                str(status_labels.get(instance.status, instance.status)),
                _("Sí") if instance.has_incident else _("No"),
                "; ".join(t.name for t in row.open_tasks),
                instance.started_at,
            ]
        if page.page >= page.pages:
            return
        criteria.page += 1


def _csv(rows: Iterator[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_header())
    for row in rows:
        writer.writerow([*row[:-1], format_moment(row[-1])])
    return ("\ufeff" + out.getvalue()).encode()


def _xlsx(rows: Iterator[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Instancias"))
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["E"].width = 50
    sheet.column_dimensions["F"].width = 18
    sheet.append(_header())
    for row in rows:
        started = WriteOnlyCell(sheet, value=_local(row[-1]))
        started.number_format = "dd/mm/yyyy hh:mm"
        sheet.append([*row[:-1], started])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _local(moment: datetime) -> datetime:
    """Bogotá wall time without offset: spreadsheets hold no time zones."""
    return moment.astimezone(BOGOTA).replace(tzinfo=None)


def export(
    criteria: InstanceFilter,
    fmt: str,
    process_names: dict[str, str],
    status_labels: dict[str, Any],
) -> Response:
    rows = _rows(criteria, process_names, status_labels)
    body, mimetype = (_xlsx(rows), XLSX) if fmt == "xlsx" else (_csv(rows), "text/csv")
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=instancias.{fmt}"},
    )
