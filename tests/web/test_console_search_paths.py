"""Console search: every faster path (first pages from the head query, counts in the task
index, unions for text, skip scan for groups) finds exactly what a plain reading of all
instances finds, in the same order, on every page."""

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from engine import instance_search
from engine.instance_search import InstanceFilter, search, task_groups
from engine.models import Case, HumanTask, ProcessInstance, User
from web.access import now
from web.extensions import db


def _expected(f: InstanceFilter, moment) -> list[int]:
    """The filter applied by hand to every instance, newest first."""
    rows = db.session.execute(
        select(ProcessInstance, Case, User)
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .outerjoin(User, User.id == Case.citizen_id)
    ).all()
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.state == "open")).all()
    found = []
    for instance, case, citizen in rows:
        mine = [t for t in tasks if t.instance_id == instance.id]
        if f.text:
            text = f.text.lower()
            if not (
                text in instance.business_key.lower()
                or (citizen and citizen.document_number == f.text)
                or (citizen and text in (citizen.full_name or "").lower())
            ):
                continue
        if f.step and not any(t.bpmn_id == f.step for t in mine):
            continue
        if f.group and not any(t.candidate_group == f.group for t in mine):
            continue
        if f.overdue == "legal" and not (
            case
            and case.answered_at is None
            and case.legal_due is not None
            and case.legal_due.replace(tzinfo=moment.tzinfo) < moment
            and instance.status in ("running", "suspended")
        ):
            continue
        found.append(instance)
    found.sort(key=lambda i: (i.started_at, i.id), reverse=True)
    return [i.id for i in found]


def _all_pages(f: InstanceFilter, moment, per_page: int) -> tuple[int, list[int]]:
    first = search(db.session, f, moment, per_page)
    ids = [row.instance.id for row in first.rows]
    for number in range(2, first.pages + 1):
        f.page = number
        ids += [row.instance.id for row in search(db.session, f, moment, per_page).rows]
    f.page = 1
    return first.total, ids


def test_every_search_path_finds_what_a_plain_reading_finds(app: Flask, world, monkeypatch) -> None:
    marta = world.citizen("80111222", full_name="Marta Gómez")
    luis = world.citizen("79333444", full_name="Luis Martínez")
    radicados = [world.file_case(person) for person in (marta, luis, marta, luis, marta)]
    with app.test_request_context():
        open_task = db.session.scalars(select(HumanTask).where(HumanTask.state == "open")).first()
        later = now() + timedelta(days=90)  # every unanswered case is past its legal term
        filters = [
            InstanceFilter(text="mart"),  # both citizens' names
            InstanceFilter(text="80111222"),  # a document
            InstanceFilter(text=radicados[1][-3:]),  # part of a radicado
            InstanceFilter(step=open_task.bpmn_id),
            InstanceFilter(group=open_task.candidate_group),
            InstanceFilter(step=open_task.bpmn_id, text="gómez"),
            InstanceFilter(overdue="legal"),
        ]
        for f in filters:
            expected = _expected(f, later)
            assert expected, f
            for few in (500, 1):  # one query; or head, count and pages
                monkeypatch.setattr(instance_search, "FEW", few)
                for per_page in (2, 25):
                    assert _all_pages(f, later, per_page) == (len(expected), expected), (
                        f,
                        few,
                        per_page,
                    )
        groups = sorted(set(db.session.scalars(select(HumanTask.candidate_group))))
        assert task_groups(db.session) == groups
