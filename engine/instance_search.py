"""Finding instances for the administrators' console: by radicado, document or name, status,
process, current step, group, overdue term and dates; paginated and sorted in the database."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select, union
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from engine.clock import BOGOTA
from engine.models import Case, HumanTask, ProcessInstance, User

STATUSES = ("running", "suspended", "completed", "cancelled", "incident")
OVERDUE_TERMS = ("first_response", "legal", "area")
# What a radicado or business key starts with: letters, a hyphen, then more (AV-2026-0001…).
FEW = 500  # results up to this size are read in one query, without a count
KEY_PREFIX = re.compile(r"^[A-Za-z]{2,}-[A-Za-z0-9@:_.-]+$")
SORTS = {
    "started": ProcessInstance.started_at,
    "updated": ProcessInstance.updated_at,
    "key": ProcessInstance.business_key,
}


@dataclass
class InstanceFilter:
    # A radicado or business key (its beginning when it looks like one, e.g. "AV-2026-00";
    # else any part), document number, citizen name (part).
    text: str = ""
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


def _with_open_task(*conditions: Any, dialect: str = "") -> Any:
    """Instances with an open user task meeting ``conditions`` (read from the task index).

    ``id + 0`` keeps the planner from fetching each of thousands of instances by id and
    sorting them: it walks the order's index instead and stops at the page (SQLite).
    PostgreSQL turns an IN into a join over all 100,000s of instances; ``(IN) IS TRUE`` it
    keeps as a hashed set checked while walking the order's index."""
    tasks = select(HumanTask.instance_id).where(HumanTask.state == "open", *conditions)
    if dialect == "postgresql":
        return ProcessInstance.id.in_(tasks).is_(True)
    return (ProcessInstance.id + 0).in_(tasks)


def _count(session: Session, ids: Select[Any], f: InstanceFilter) -> int:
    """How many instances ``ids`` (the filter ``f``) finds. Filtered by step or group alone,
    they are the distinct instances of the matching open tasks: counted in the task index
    alone, not by reading 100,000s of instances."""
    if (f.step or f.group) and f == InstanceFilter(
        step=f.step, group=f.group, sort=f.sort, page=f.page
    ):
        conditions = [HumanTask.state == "open"]
        if f.step:
            conditions.append(HumanTask.bpmn_id == f.step)
        if f.group:
            conditions.append(HumanTask.candidate_group == f.group)
        if not (f.step and f.group):
            return (
                session.scalar(
                    select(func.count(HumanTask.instance_id.distinct())).where(*conditions)
                )
                or 0
            )
    return session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def _of_cases(*conditions: Any) -> Any:
    return ProcessInstance.case_id.in_(select(Case.id).where(*conditions))


def _contains(column: Any, like: str, dialect: str) -> Any:
    """``column`` contains the pattern, ignoring case. SQLite's LIKE already ignores (ASCII)
    case, as its lower() does: without lower() on every row the same scan costs half."""
    return column.like(like) if dialect == "sqlite" else column.ilike(like)


def _filtered(
    query: Select[Any],
    f: InstanceFilter,
    now: datetime,
    dialect: str = "",
) -> Select[Any]:
    """``query`` (any select over ``process_instances``) narrowed to the filter. Conditions on
    cases, citizens and tasks are subqueries, so the query needs no join to use them."""
    text = f.text.strip()
    if KEY_PREFIX.match(text):
        # A radicado or business key, whole or its beginning: a range of the key's index.
        upper = text.upper()
        escaped = upper.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(ProcessInstance.business_key.like(f"{escaped}%", escape="\\"))
        if dialect == "sqlite":  # binary order: the prefix is also a range of the index
            query = query.where(
                ProcessInstance.business_key >= upper,
                ProcessInstance.business_key < upper + "\x7f",
            )
    elif text:
        like = f"%{text}%"
        # Unions of indexed sets, not ORs (which make PostgreSQL test every instance): the
        # citizens by document (its index) or by name (trigram index on PostgreSQL), then
        # the keys that contain the text and the instances of those citizens' cases.
        citizens = union(
            select(User.id).where(User.document_number == text),
            select(User.id).where(_contains(User.full_name, like, dialect)),
        )
        keyed, theirs = aliased(ProcessInstance), aliased(ProcessInstance)
        query = query.where(
            ProcessInstance.id.in_(
                union(
                    select(keyed.id).where(_contains(keyed.business_key, like, dialect)),
                    select(theirs.id).where(
                        theirs.case_id.in_(select(Case.id).where(Case.citizen_id.in_(citizens)))
                    ),
                )
            )
        )
    if f.status == "incident":
        query = query.where(ProcessInstance.has_incident.is_(True))
    elif f.status in STATUSES:
        query = query.where(ProcessInstance.status == f.status)
    if f.process:
        query = query.where(ProcessInstance.process_id == f.process)
    if f.step:
        query = query.where(_with_open_task(HumanTask.bpmn_id == f.step, dialect=dialect))
    if f.group:
        query = query.where(_with_open_task(HumanTask.candidate_group == f.group, dialect=dialect))
    if f.overdue == "first_response":
        query = query.where(
            _of_cases(Case.first_response_at.is_(None), Case.first_response_due < now)
        )
    elif f.overdue == "legal":
        query = query.where(_of_cases(Case.answered_at.is_(None), Case.legal_due < now))
    elif f.overdue == "area":
        query = query.where(_of_cases(Case.status == "escalado", Case.area_due < now))
    if f.overdue in OVERDUE_TERMS:
        query = query.where(ProcessInstance.status.in_(("running", "suspended")))
    if f.started_from:
        query = query.where(ProcessInstance.started_at >= _start_of(f.started_from))
    if f.started_to:
        query = query.where(
            ProcessInstance.started_at < _start_of(f.started_to + timedelta(days=1))
        )
    return query


# The groups that have tasks, one index probe each (a skip scan): DISTINCT would read every
# task of every closed case.
_GROUPS = sql_text(
    "WITH RECURSIVE g(code) AS ("
    " SELECT MIN(candidate_group) FROM human_tasks"
    " UNION ALL SELECT (SELECT MIN(candidate_group) FROM human_tasks"
    " WHERE candidate_group > g.code) FROM g WHERE g.code IS NOT NULL"
    ") SELECT code FROM g WHERE code IS NOT NULL"
)


def task_groups(session: Session) -> list[str]:
    """The candidate groups of all tasks, sorted."""
    return sorted(session.scalars(_GROUPS))


def search(session: Session, f: InstanceFilter, now: datetime, per_page: int = 25) -> Page:
    """One page of the filter's instances, newest first unless ``f.sort`` says otherwise.

    Two steps keep it fast at 100,000s of instances: the filter, count and order run on
    instance ids alone (the indexes of migration 0007 serve the orders and the status), then
    only the page's rows are loaded with their case and citizen."""
    dialect = session.get_bind().dialect.name
    ids = _filtered(select(ProcessInstance.id), f, now, dialect)
    column = SORTS.get(f.sort.lstrip("-"), ProcessInstance.started_at)
    descending = f.sort.startswith("-")
    order = (
        (column.desc(), ProcessInstance.id.desc())
        if descending
        else (column.asc(), ProcessInstance.id.asc())
    )
    # Most searches find few instances: one query gives them all (and their number); a
    # larger result is counted, and its first FEW rows still serve the first pages.
    head = session.scalars(ids.order_by(*order).limit(FEW + 1)).all()
    total = len(head) if len(head) <= FEW else _count(session, ids, f)
    pages = max(1, -(-total // per_page))
    page = min(max(f.page, 1), pages)
    if page * per_page <= len(head) or len(head) <= FEW:
        page_ids = head[(page - 1) * per_page : page * per_page]
    else:
        page_ids = session.scalars(
            ids.order_by(*order).limit(per_page).offset((page - 1) * per_page)
        ).all()
    if not page_ids:
        return Page([], total, page, pages)
    results = session.execute(
        select(ProcessInstance, Case, User.full_name)
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .outerjoin(User, User.id == Case.citizen_id)
        .where(ProcessInstance.id.in_(page_ids))
    ).all()
    position = {instance_id: n for n, instance_id in enumerate(page_ids)}
    rows = sorted(
        (Row(instance, case, citizen) for instance, case, citizen in results),
        key=lambda row: position[row.instance.id],
    )
    by_id = {row.instance.id: row for row in rows}
    tasks = session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id.in_(by_id), HumanTask.state == "open")
        .order_by(HumanTask.created_at)
    )
    for task in tasks:
        by_id[task.instance_id].open_tasks.append(task)
    return Page(rows, total, page, pages)
