"""The inbox: ready human tasks a person may work on, filtered, sorted by due date, paged."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, User

COUNT_LIMIT = 1000  # beyond this the inbox says "más de …" instead of counting every row


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


def _query(user: User, scope: str) -> Select[tuple[HumanTask]]:
    query = select(HumanTask).where(HumanTask.state == "open")
    if scope == "mine":
        return query.where(HumanTask.assignee_id == user.id)
    return query.where(HumanTask.candidate_group.in_(user.group_codes))


def list_tasks(
    session: Session,
    user: User,
    now: datetime,
    scope: str = "group",
    task: str | None = None,
    request_type: str | None = None,
    overdue: bool | None = None,
    due_before: datetime | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
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
    page = max(1, page)
    # Counting a large group's whole backlog costs more than the page itself: count far
    # enough to cover this page and a few after it, and say "more than" beyond that.
    limit = max(COUNT_LIMIT, (page + 5) * per_page)
    counted = select(func.count()).select_from(query.limit(limit + 1).subquery())
    total = session.scalar(counted) or 0
    items = session.scalars(
        query.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), min(total, limit), page, per_page, capped=total > limit)
