"""No diagram script or condition can stall the service: each evaluation runs within a budget of
steps, time and memory, and a case whose code exceeds it gets an incident, not a hang."""

from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Case, Event, Incident, ProcessInstance
from engine.runtime import Engine, Settings
from engine.sandbox import RestrictedEnvironment
from engine.script_limits import ScriptLimitExceeded, ScriptLimits
from tests import factories as f

# Counted limits only: the wall-time limit is far away, so these stop the same way every run.
STEPS = ScriptLimits(seconds=600, steps=20_000, length=10_000, int_bits=10_000, memory=2**22)


def evaluate(expression: str, limits: ScriptLimits = STEPS, **data: Any) -> Any:
    return RestrictedEnvironment({}, limits).evaluate(expression, data)


def execute(script: str, limits: ScriptLimits = STEPS, **data: Any) -> dict[str, Any]:
    RestrictedEnvironment({}, limits).execute(script, data)
    return data


BOMB_CONDITIONS = [
    ("any(i < 0 for i in range(10**18)) or registrado", "elementos"),
    ("any(i < 0 for i in range(9999) for j in range(9999))", "pasos"),
    ("10**10**10", "bits"),
    ("1 << 10**9", "bits"),
    ("(2**9000) * (2**9000)", "bits"),
    ("'a' * 10**10", "elementos"),
    ("[0] * 10**9", "elementos"),
    ("sum(range(10**18))", "elementos"),
    ("sum([[1] * 9000] * 9000, [])", "elementos"),
    ("''.join(['a' * 9000] * 9000)", "elementos"),
    ("'ab'.replace('', 'x' * 9000)", "elementos"),
    ("'x'.ljust(10**9)", "elementos"),
    ("'x'.zfill(10**9)", "elementos"),
    ("'\\t\\t'.expandtabs(10**9)", "elementos"),
    ("(1).to_bytes(10**9, 'big')", "elementos"),
    ("f'{1:>1000000000}'", "elementos"),
    ("'%1000000000d' % 1", "elementos"),
    ("'%*d' % (10**9, 1)", "elementos"),
    ("str([['a' * 9000] * 9000])", "elementos"),
    ("f'{[[1] * 9000] * 9000}'", "elementos"),
    ("list(range(10**7))", "elementos"),
    ("sorted(range(10**7))", "elementos"),
    ("len([[j for j in range(9000)] for i in range(9000)])", "pasos"),
    ("(lambda f: f(f, 0))(lambda f, n: n if n > 10**6 else f(f, n + 1) and f(f, n + 1))", ""),
]


@pytest.mark.parametrize(("condition", "what"), BOMB_CONDITIONS)
def test_a_runaway_condition_is_stopped_with_a_spanish_reason(condition: str, what: str) -> None:
    with pytest.raises((ScriptLimitExceeded, RecursionError)) as raised:
        evaluate(condition, registrado=True)
    if raised.type is ScriptLimitExceeded:
        assert "superó su límite" in str(raised.value) and what in str(raised.value)


BOMB_SCRIPTS = [
    "n = 0\nwhile True:\n    n = n + 1",
    "while 1:\n    pass",
    "s = 'a'\nwhile True:\n    s = s + s",
    "s = 'a'\nwhile True:\n    s += s",
    "x = [1]\nwhile True:\n    x = x * 2",
    "def f(n):\n    while True:\n        n = n + 1\nf(0)",
    "partes = []\nfor i in range(9000):\n    partes.append('a' * 9000)",
]


@pytest.mark.parametrize("script", BOMB_SCRIPTS)
def test_a_runaway_script_is_stopped(script: str) -> None:
    with pytest.raises(ScriptLimitExceeded):
        execute(script)


def test_a_script_that_catches_the_limit_cannot_go_on() -> None:
    script = "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nsiguio = True"
    data: dict[str, Any] = {}
    with pytest.raises(ScriptLimitExceeded):
        RestrictedEnvironment({}, STEPS).execute(script, data)
    assert "siguio" not in data


def test_wall_time_stops_code_whose_steps_are_within_budget() -> None:
    slow = ScriptLimits(seconds=0.01, steps=10**12)
    with pytest.raises(ScriptLimitExceeded, match=r"0,01 s"):
        execute("while True:\n    pass", slow)


def test_the_memory_meter_counts_what_the_guarded_operations_build() -> None:
    small = ScriptLimits(memory=2**20)
    with pytest.raises(ScriptLimitExceeded, match="MB de memoria"):
        execute("partes = [('a' * 9000) for i in range(1000)]", small)
    assert execute("partes = [('a' * 90) for i in range(1000)]", small)["partes"][0] == "a" * 90


def test_each_evaluation_starts_with_a_full_budget() -> None:
    environment = RestrictedEnvironment({}, ScriptLimits(steps=1_000))
    for _ in range(5):  # 600 steps each: only a budget carried over would run out
        assert environment.evaluate("sum(1 for i in range(600))", {}) == 600


def test_ordinary_business_rules_still_work() -> None:
    data = execute(
        "total = 0\nfor monto in montos:\n    total += monto\n"
        "etiquetas = sorted({str(m) for m in montos}, key=lambda t: -len(t))\n"
        "resumen = f'{total:>8,} | {etiquetas!r}'\n"
        "linea = '%-6s%5.1f' % ('total', total / 3)\n"
        "es_lista = isinstance(montos, list) and isinstance(resumen, str)\n"
        "copia = list(montos) + [0] * 2\n"
        "texto = ', '.join(etiquetas).replace(', ', '; ').ljust(20)\n"
        "grande = 2 ** 64 * 3 << 2",
        montos=[1000, 250, 30],
    )
    assert data["total"] == 1280
    assert data["etiquetas"] == ["1000", "250", "30"]
    assert data["resumen"] == "   1,280 | ['1000', '250', '30']"
    assert data["linea"] == "total 426.7"
    assert data["es_lista"] is True
    assert data["copia"] == [1000, 250, 30, 0, 0]
    assert data["texto"] == "1000; 250; 30".ljust(20)
    assert data["grande"] == 2**64 * 3 << 2


# --- in the engine: an incident on that case, nothing lost -------------------------------------

# Built at run time, so the validator's static checks (engine.script_checks) let it deploy.
LOOPING_REGISTRATION = "any(i &lt; 0 for i in range(int('1' + '0' * 18))) or registrado"


@pytest.fixture
def people(session, clock):
    now = clock.now()
    return {
        "citizen": f.user(session, "52000111", "usuario", now=now, kind="citizen"),
        "ana": f.user(session, "ana", "asesor", now=now),
        "admin": f.user(session, "admin", "administrador", now=now),
    }


def deploy_with(engine: Engine, original: str, replacement: str) -> None:
    files = f.bundle_files()
    assert original in files["bpmn/caso_pqrs.bpmn"]
    files["bpmn/caso_pqrs.bpmn"] = files["bpmn/caso_pqrs.bpmn"].replace(original, replacement, 1)
    engine.deploy(files)


def test_a_looping_condition_while_filing_keeps_the_case_and_raises_an_incident(
    session, clock, people
) -> None:
    engine = Engine(session, clock)
    deploy_with(
        engine,
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">registrado<',
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{LOOPING_REGISTRATION}<',
    )
    case = f.file_case(engine, people["citizen"])
    session.commit()

    stored = session.scalars(select(Case)).one()
    assert stored.radicado == case.radicado and stored.subject == f.FILING["asunto"]
    instance = session.scalars(select(ProcessInstance)).one()
    incident = session.scalars(select(Incident)).one()
    assert instance.has_incident and instance.status == "running"
    assert incident.instance_id == instance.id and incident.bpmn_id == "gw_registrado"
    assert "¿Usuario registrado?" in incident.error and "superó su límite" in incident.error
    logged = session.scalars(select(Event).where(Event.kind == "incident")).one()
    assert logged.bpmn_id == "gw_registrado"


def test_a_script_incident_is_retried_by_an_administrator_and_the_case_moves_on(
    session, clock, people
) -> None:
    # A condition that needs 600 steps: over a tight budget, within the default one.
    slow_compliment = "any(i &lt; 0 for i in range(600)) or es_felicitacion"
    tight = Engine(session, clock, Settings(script_limits=ScriptLimits(steps=500)))
    deploy_with(tight, ">es_felicitacion<", f">{slow_compliment}<")
    case = f.file_case(tight, people["citizen"])
    review = f.open_task(session, case.id, "ut_5_2_6")
    tight.complete_task(review.id, people["ana"], {"es_felicitacion": False})

    incident = session.scalars(select(Incident)).one()
    assert "500 pasos" in incident.error
    assert f.open_tasks(session, case.id) == []  # 5.2.6 is done; the path waits at the gateway

    with pytest.raises(Exception, match="administrador"):
        tight.retry_incident(incident.id, people["ana"])
    roomy = Engine(session, clock)
    roomy.retry_incident(incident.id, people["admin"])
    assert incident.resolution == "retried"
    assert f.open_tasks(session, case.id) == ["ut_5_2_7"]
    assert not session.get(ProcessInstance, incident.instance_id).has_incident


def test_a_retry_that_fails_again_opens_a_new_incident(session, clock, people) -> None:
    engine = Engine(session, clock)
    deploy_with(engine, ">es_felicitacion<", ">es_felicitacion and 10**int('1' + '0' * 10)<")
    case = f.file_case(engine, people["citizen"])
    review = f.open_task(session, case.id, "ut_5_2_6")
    engine.complete_task(review.id, people["ana"], {"es_felicitacion": True})
    first = session.scalars(select(Incident)).one()
    engine.retry_incident(first.id, people["admin"])
    second = session.scalars(select(Incident).where(Incident.resolved_at.is_(None))).one()
    assert second.id != first.id and second.bpmn_id == first.bpmn_id
    assert "bits" in second.error
    assert session.get(ProcessInstance, second.instance_id).has_incident


def test_a_diagram_cycle_with_no_wait_stops_with_an_incident(session, clock, people) -> None:
    # The compliment gateway loops back to itself through the review when it is not one.
    engine = Engine(session, clock, Settings(max_automatic_steps=50))
    files = f.bundle_files()
    bpmn = files["bpmn/caso_pqrs.bpmn"]
    start = bpmn.index('<bpmn:sequenceFlow id="f_felicitacion_no"')
    end = bpmn.index("/>", start) + 2
    flow = bpmn[start:end]
    assert 'targetRef="ut_5_2_7"' in flow
    loop = flow.replace('targetRef="ut_5_2_7"', 'targetRef="gw_felicitacion"')
    files["bpmn/caso_pqrs.bpmn"] = bpmn.replace(flow, loop)
    engine.deploy(files)
    case = f.file_case(engine, people["citizen"])
    review = f.open_task(session, case.id, "ut_5_2_6")
    engine.complete_task(review.id, people["ana"], {"es_felicitacion": False})
    incident = session.scalars(select(Incident)).one()
    assert "ciclo sin salida" in incident.error
