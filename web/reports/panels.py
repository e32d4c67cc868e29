"""What a task page shows of the report its process is about (5.2.23–5.2.27 and the acta).

The panel is drawn from the same ``ReportDocument`` as the XLSX and the PDF, so the figures a
person judges are the figures that are sent."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.models import HumanTask, ProcessInstance, ReportFile
from engine.runtime import TaskView
from web.extensions import db
from workers.documents import monthly_report
from workers.documents.report_document import ReportDocument

MONTHLY_PROCESS = "informe_mensual"


@dataclass(frozen=True)
class MonthlyPanel:
    document: ReportDocument
    period: str
    changes: list[dict[str, Any]]
    compared: bool  # recomputed after a review: ``changes`` says what moved since
    files: list[ReportFile]  # every version, newest first
    delivery: dict[str, Any] | None


def texts_of(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "comentarios": data.get("comentarios_reportes"),
        "resumen": data.get("resumen_ejecutivo"),
        "conclusiones": data.get("conclusiones_informe") or data.get("conclusiones"),
    }


def kept_files(instance_id: int) -> list[ReportFile]:
    return list(
        db.session.scalars(
            select(ReportFile)
            .where(ReportFile.instance_id == instance_id)
            .order_by(ReportFile.version.desc(), ReportFile.format.desc())
        )
    )


def report_panel(task: HumanTask, view: TaskView) -> MonthlyPanel | None:
    instance = db.session.get(ProcessInstance, task.instance_id)
    if instance is None or instance.process_id != MONTHLY_PROCESS:
        return None
    result = view.data.get("reporte_mensual")
    if not isinstance(result, dict) or not isinstance(result.get("reporte"), dict):
        return None
    report = result["reporte"]
    return MonthlyPanel(
        document=monthly_report.document(report, texts_of(view.data)),
        period=monthly_report.month_name(str(report.get("periodo") or "")),
        changes=list(report.get("cambios") or []),
        compared=bool(report.get("comparado")),
        files=kept_files(instance.id),
        delivery=view.data.get("envio_informe"),
    )
