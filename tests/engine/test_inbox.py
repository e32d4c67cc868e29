"""The inbox's queries: search by radicado or the citizen's document, the steps of one's
groups in procedure order, and the step a person carries on with after completing one."""

import pytest

from engine import inbox
from engine.definitions import latest_bundle
from tests import factories as f


@pytest.fixture
def desk(session, clock):
    return f.desk(
        session,
        clock,
        {
            "asesor": ("asesor", "asesor"),
            "fondos": ("fondos", "area_fondos"),
        },
        {"ana": "52000111", "luis": "79000222"},
    )


def test_search_finds_tasks_by_radicado_or_by_the_citizens_document(desk, clock):
    engine, people = desk
    of_ana = f.file_case(engine, people["ana"])
    of_luis = f.file_case(engine, people["luis"])

    def found(text: str) -> list[str]:
        page = inbox.list_tasks(engine.session, people["asesor"], clock.now(), search=text)
        return [t.business_key for t in page.items]

    assert found(of_ana.radicado.lower()) == [of_ana.radicado]
    assert found(" 79000222 ") == [of_luis.radicado]
    assert found("asesor") == []  # a staff user name is not a citizen's document
    assert found("AV-1999-000001") == []


def test_the_filter_offers_the_steps_of_ones_groups_in_procedure_order(desk):
    engine, _ = desk
    bundle = latest_bundle(engine.session)
    steps = inbox.steps_for(bundle.user_tasks, bundle.user_task_groups, {"asesor"}, False)
    codes = [name.split(" ")[0] for _, name in steps]
    assert codes[:3] == ["5.2.6", "5.2.7", "5.2.8"] and codes.index("5.2.10") < codes.index(
        "5.2.14"
    )
    area = inbox.steps_for(bundle.user_tasks, bundle.user_task_groups, {"area_fondos"}, True)
    assert [name.split(" ")[0] for _, name in area] == ["5.2.11", "5.2.12", "5.2.13"]
    assert bundle.user_task_groups["ut_5_2_11"] is None  # the matrix chooses the area
    assert bundle.user_task_groups["ut_5_2_6"] == "asesor"


def test_the_next_step_is_the_same_persons_only_in_their_groups(desk):
    engine, people = desk
    case = f.file_case(engine, people["ana"])
    task = f.open_task(engine.session, case.id, "ut_5_2_6")
    engine.complete_task(task.id, people["asesor"], {"es_felicitacion": False})
    following = inbox.next_step(engine.session, task.instance_id, people["asesor"])
    assert following is not None and following.bpmn_id == "ut_5_2_7"
    assert inbox.next_step(engine.session, task.instance_id, people["fondos"]) is None
