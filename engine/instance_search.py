"""Finding instances for the administrators' console: by radicado, document or name, status,
process, current step, group, overdue term and dates; paginated and sorted in the database."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from engine.clock import BOGOTA
from engine.models import Case, HumanTask, ProcessInstance, User

STATUSES = ("running", "suspended", "completed", "cancelled", "incident")
OVERDUE_TERMS = ("first_response", "legal", "area")
SORTS = {
    "started": ProcessInstance.started_at,
    "updated": ProcessInstance.updated_at,
    "key": ProcessInstance.business_key,
}


@dataclass
class InstanceFilter:
    text: str = ""  # radicado or business key (part), document number, citizen name (part)
    status: str = ""
    process: str = ""
    step: str = ""  # bpmn id of an open task
    group: str = ""  # candidate group of an open task
    overdue: str = ""  # one of OVERDUE_TERMS
    started_from: date | None = None
    started_to: date | None = None
    sort: str = "-started"
    page: int = 1


@dataclass
class Row:
    instance: ProcessInstance
    case: Case | None
    citizen: str | None
    open_tasks: list[HumanTask] = field(default_factory=list)


@dataclass
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=BOGOTA)


def _open_task(*conditions: Any) -> Any:
    return exists().where(
        HumanTask.instance_id == ProcessInstance.id, HumanTask.state == "open", *conditions
    )


def _filtered(query: Select[Any], f: InstanceFilter, now: datetime) -> Select[Any]:
    if text := f.text.strip():
        like = f"%{text}%"
        query = query.where(
            or_(
                ProcessInstance.business_key.ilike(like),
                User.document_number == text,
                User.full_name.ilike(like),
            )
        )
    if f.status == "incident":
        query = query.where(ProcessInstance.has_incident.is_(True))
    elif f.status in STATUSES:
        query = query.where(ProcessInstance.status == f.status)
    if f.process:
        query = query.where(ProcessInstance.process_id == f.process)
    if f.step:
        query = query.where(_open_task(HumanTask.bpmn_id == f.step))
    if f.group:
        query = query.where(_open_task(HumanTask.candidate_group == f.group))
    if f.overdue == "first_response":
        query = query.where(Case.first_response_at.is_(None), Case.first_response_due < now)
    elif f.overdue == "legal":
        query = query.where(Case.answered_at.is_(None), Case.legal_due < now)
    elif f.overdue == "area":
        query = query.where(Case.status == "escalado", Case.area_due < now)
    if f.overdue in OVERDUE_TERMS:
        query = query.where(ProcessInstance.status.in_(("running", "suspended")))
    if f.started_from:
        query = query.where(ProcessInstance.started_at >= _start_of(f.started_from))
    if f.started_to:
        query = query.where(
            ProcessInstance.started_at < _start_of(f.started_to + timedelta(days=1))
        )
    return query


def search(session: Session, f: InstanceFilter, now: datetime, per_page: int = 25) -> Page:
    base = (
        select(ProcessInstance, Case, User.full_name)
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .outerjoin(User, and_(User.id == Case.citizen_id))
    )
    query = _filtered(base, f, now)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-(total or 0) // per_page))
    page = min(max(f.page, 1), pages)
    column = SORTS.get(f.sort.lstrip("-"), ProcessInstance.started_at)
    order = column.desc() if f.sort.startswith("-") else column.asc()
    results = session.execute(
        query.order_by(order, ProcessInstance.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    rows = [Row(instance, case, citizen) for instance, case, citizen in results]
    by_id = {row.instance.id: row for row in rows}
    if by_id:
        tasks = session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id.in_(by_id), HumanTask.state == "open")
            .order_by(HumanTask.created_at)
        )
        for task in tasks:
            by_id[task.instance_id].open_tasks.append(task)
    return Page(rows, total or 0, page, pages)
