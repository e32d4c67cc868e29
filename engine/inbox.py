"""The inbox: ready human tasks a person may work on, searched, filtered, sorted, paged."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from engine.models import Case, HumanTask, User

COUNT_LIMIT = 1000  # beyond this the inbox says "más de …" instead of counting every row
SCOPES = ("mine", "group")
SORTS = ("due", "case", "step", "type", "received")
_ACTIVITY_CODE = re.compile(r"^\s*(\d+(?:\.\d+)*)\b")


@dataclass
class Page:
    items: list[HumanTask]
    total: int
    page: int
    per_page: int
    capped: bool = False  # more tasks than counted

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Count:
    total: int
    capped: bool = False  # more tasks than counted


def activity_key(name: str) -> tuple[tuple[int, ...], str]:
    """Procedure order of a step's name: its activity code read as numbers (5.2.6 before
    5.2.10), then the name; names without a code come last."""
    match = _ACTIVITY_CODE.match(name)
    if match is None:
        return ((10**9,), name)
    return (tuple(int(part) for part in match.group(1).split(".")), name)


def in_procedure_order(steps: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(bpmn id, name) pairs sorted as the procedure runs: 5.2.6 before 5.2.10."""
    return sorted(steps, key=lambda step: activity_key(step[1]))


def steps_for(
    user_tasks: Iterable[tuple[str, str]],
    candidate_groups: Mapping[str, str | None],
    groups: set[str],
    computed_group_member: bool,
) -> list[tuple[str, str]]:
    """The (bpmn id, name) of the steps that reach ``groups``, in procedure order.

    A step whose group the diagram computes (the escalation area) reaches whoever belongs to a
    group such a computation can choose: ``computed_group_member`` says whether this user does.
    """
    steps = [
        (bpmn_id, name)
        for bpmn_id, name in user_tasks
        if (
            candidate_groups.get(bpmn_id) in groups
            if candidate_groups.get(bpmn_id) is not None
            else computed_group_member
        )
    ]
    return in_procedure_order(steps)


def _query(user: User, scope: str) -> Select[tuple[HumanTask]]:
    query = select(HumanTask).where(HumanTask.state == "open")
    if scope == "mine":
        return query.where(HumanTask.assignee_id == user.id)
    return query.where(HumanTask.candidate_group.in_(user.group_codes))


def _matching(search: str) -> ColumnElement[bool]:
    """Tasks of the case with this radicado, or of the cases of the citizen with this
    document number (a citizen's user name is their document number)."""
    text = search.strip()
    by_radicado = select(Case.id).where(Case.radicado == text.upper())
    by_document = (
        select(Case.id)
        .join(User, User.id == Case.citizen_id)
        .where(User.username == text, User.kind == "citizen")
    )
    return or_(HumanTask.case_id.in_(by_radicado), HumanTask.case_id.in_(by_document))


def _capped_count(session: Session, query: Select[tuple[HumanTask]], limit: int) -> Count:
    # Counting a large group's whole backlog costs more than the page itself: count far
    # enough, and say "more than" beyond that.
    counted = select(func.count()).select_from(query.limit(limit + 1).subquery())
    total = session.scalar(counted) or 0
    return Count(min(total, limit), capped=total > limit)


def count_tasks(session: Session, user: User, scope: str) -> Count:
    """How many open tasks one tab of the inbox holds, before any filter."""
    return _capped_count(session, _query(user, scope), COUNT_LIMIT)


def _order(
    sort: str, descending: bool, step_order: Mapping[str, int]
) -> list[ColumnElement[object]]:
    columns: dict[str, ColumnElement[object]] = {
        "due": HumanTask.due_at,
        "case": HumanTask.business_key,
        "step": case(step_order, value=HumanTask.bpmn_id, else_=len(step_order))
        if step_order
        else HumanTask.name,
        "type": HumanTask.request_type,
        "received": HumanTask.created_at,
    }
    column = columns.get(sort, HumanTask.due_at)
    first = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return [first, HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id]


def list_tasks(
    session: Session,
    user: User,
    now: datetime,
    scope: str = "group",
    task: str | None = None,
    request_type: str | None = None,
    overdue: bool | None = None,
    due_before: datetime | None = None,
    search: str | None = None,
    sort: str = "due",
    descending: bool = False,
    step_order: Mapping[str, int] | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """One page of a tab. ``sort`` is one of SORTS; sorting by step follows ``step_order``
    (bpmn id -> position in the procedure), by name when none is given."""
    query = _query(user, scope)
    if task:
        query = query.where(HumanTask.bpmn_id == task)
    if request_type:
        query = query.where(HumanTask.request_type == request_type)
    if overdue is True:
        query = query.where(HumanTask.due_at < now)
    elif overdue is False:
        query = query.where((HumanTask.due_at >= now) | HumanTask.due_at.is_(None))
    if due_before is not None:
        query = query.where(HumanTask.due_at <= due_before)
    if search and search.strip():
        query = query.where(_matching(search))
    page = max(1, page)
    count = _capped_count(session, query, max(COUNT_LIMIT, (page + 5) * per_page))
    items = session.scalars(
        query.order_by(*_order(sort, descending, step_order or {}))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), count.total, page, per_page, capped=count.capped)


def next_step(session: Session, instance_id: int, user: User) -> HumanTask | None:
    """After ``user`` completed a step of an instance: its open step they carry on with
    (assigned to them, or unassigned in one of their groups: completing an unassigned task
    takes it), if any."""
    return session.scalars(
        select(HumanTask)
        .where(
            HumanTask.instance_id == instance_id,
            HumanTask.state == "open",
            HumanTask.candidate_group.in_(user.group_codes),
            or_(HumanTask.assignee_id == user.id, HumanTask.assignee_id.is_(None)),
        )
        .order_by(HumanTask.assignee_id.is_(None), HumanTask.created_at)
        .limit(1)
    ).first()
