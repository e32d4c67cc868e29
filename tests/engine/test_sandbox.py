from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from engine.sandbox import RestrictedEnvironment, SandboxViolation, check_source


def en_muestra(radicado: str, porcentaje: int) -> bool:
    """A stand-in for the engine's stateful draw (tests/engine/test_review_draw.py)."""
    return porcentaje >= 100


def environment(**caso: Any) -> RestrictedEnvironment:
    return RestrictedEnvironment({"caso": {"vence_legal": None, **caso}, "en_muestra": en_muestra})


def run(script: str, **data: Any) -> dict[str, Any]:
    environment().execute(script, data)
    return data


# Each payload would create the file named by `destino`, or bind `leak`, if it ran.
EXEC_ESCAPES = [
    ("__import__('os').system('touch ' + destino)", SandboxViolation),
    (
        "[c for c in ().__class__.__bases__[0].__subclasses__()"
        " if c.__name__ == 'BuiltinImporter'][0].load_module('os').system('touch ' + destino)",
        SandboxViolation,
    ),
    ("(lambda: 0).__globals__['__builtins__']['open'](destino, 'w')", SandboxViolation),
    ("leak = [].__class__.__mro__[1].__subclasses__()", SandboxViolation),
    ("getattr(en_muestra, '__globals__')['builtins'].open(destino, 'w')", SandboxViolation),
    ("import os\nos.system('touch ' + destino)", SandboxViolation),
    ("from os import system\nsystem('touch ' + destino)", SandboxViolation),
    ("exec(\"open(destino, 'w')\")", SandboxViolation),
    ("eval(\"open(destino, 'w')\")", SandboxViolation),
    ("open(destino, 'w').write('x')", SandboxViolation),
    ("leak = compile(\"open(destino, 'w')\", 'x', 'exec')", SandboxViolation),
    ("globals()['__builtins__']['open'](destino, 'w')", SandboxViolation),
    ("leak = locals()['__builtins__']", SandboxViolation),
    ("vars()['__builtins__']['open'](destino, 'w')", SandboxViolation),
    ("breakpoint()", SandboxViolation),
    ("help(open)", SandboxViolation),
    ("print(destino)", SandboxViolation),
    ("leak = '{0.__class__}'.format(1)", SandboxViolation),
    ("leak = '{f.__globals__}'.format_map({'f': en_muestra})", SandboxViolation),
    ("leak = str.format('{0.__globals__}', en_muestra)", SandboxViolation),
    ("(x for x in []).gi_frame.f_globals['__builtins__']['open'](destino, 'w')", SandboxViolation),
    ("leak = type(1).__subclasses__()", SandboxViolation),
    ("leak = str.mro()[1]", SandboxViolation),
    (
        "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    leak = e.__traceback__",
        SandboxViolation,
    ),
    ("class Leak:\n    pass", SandboxViolation),
    ("leak = bytearray(8)", NameError),
    ("raise SystemExit(1)", NameError),
    ("en_muestra.porcentaje = 100", TypeError),
]

EVAL_ESCAPES = [
    ("__import__('os').system('touch ' + destino)", SandboxViolation),
    ("open(destino, 'w')", SandboxViolation),
    ("().__class__.__bases__[0].__subclasses__()", SandboxViolation),
    ("'{0.__class__}'.format(1)", SandboxViolation),
    ("bytearray(8)", NameError),
]


@pytest.mark.parametrize(("payload", "expected"), EXEC_ESCAPES)
def test_a_script_cannot_escape_the_sandbox(
    payload: str, expected: type[Exception], tmp_path: Path
) -> None:
    sentinel = tmp_path / "pwned"
    data: dict[str, Any] = {"destino": str(sentinel)}
    with pytest.raises(expected):
        environment().execute(payload, data)
    assert not sentinel.exists()
    assert data == {"destino": str(sentinel)}


@pytest.mark.parametrize(("payload", "expected"), EVAL_ESCAPES)
def test_a_condition_cannot_escape_the_sandbox(
    payload: str, expected: type[Exception], tmp_path: Path
) -> None:
    sentinel = tmp_path / "pwned"
    with pytest.raises(expected):
        environment().evaluate(payload, {"destino": str(sentinel)})
    assert not sentinel.exists()


def test_a_violation_names_the_offending_construct_in_spanish() -> None:
    with pytest.raises(SandboxViolation) as raised:
        run("import os")
    assert "construcciones no permitidas" in str(raised.value)
    assert raised.value.problems == ["Line 1: no se permite importar módulos (import os)"]


def test_the_read_only_case_record_cannot_be_written() -> None:
    env = RestrictedEnvironment({"caso": MappingProxyType({"estado": "radicado"})})
    with pytest.raises(TypeError):
        env.execute("caso['estado'] = 'cerrado'", {})


def test_check_source_accepts_ordinary_scripts_and_conditions() -> None:
    assert check_source("total = sum(montos)\nnotas.append('ok')", "exec") == []
    assert check_source("tipo == 'queja' and not requiere_funcionario", "eval") == []


def test_check_source_lists_every_problem_with_its_line() -> None:
    problems = check_source("x = 1\nimport os\ny = ().__class__", "exec")
    assert problems[0] == "Line 2: no se permite importar módulos (import os)"
    assert problems[1].startswith('Line 3: "__class__" is an invalid attribute name')


def test_check_source_reports_syntax_errors() -> None:
    assert check_source("monto >", "eval") == ["Line 1: error de sintaxis: invalid syntax"]


def test_arithmetic_and_comparisons_work() -> None:
    assert run("total = monto * 2 + 1\nalto = total > 100", monto=60) == {
        "monto": 60,
        "total": 121,
        "alto": True,
    }


def test_a_script_mutates_its_own_dicts_and_lists() -> None:
    data = run(
        "ficha['estado'] = 'cerrado'\ndel ficha['borrador']\nadjuntos.append('c.pdf')\n"
        "adjuntos[0] = 'a2.pdf'\ncontador += 1",
        ficha={"estado": "abierto", "borrador": "x"},
        adjuntos=["a.pdf"],
        contador=1,
    )
    assert data["ficha"] == {"estado": "cerrado"}
    assert data["adjuntos"] == ["a2.pdf", "c.pdf"]
    assert data["contador"] == 2


def test_comprehensions_loops_and_unpacking_work() -> None:
    data = run(
        "pares = [n for n in numeros if n % 2 == 0]\n"
        "por_tipo = {t: len(t) for t in ('queja', 'reclamo')}\n"
        "suma = 0\n"
        "for i, (a, b) in enumerate(zip(numeros, numeros[1:])):\n"
        "    suma += a * b\n",
        numeros=[1, 2, 3, 4],
    )
    assert data["pares"] == [2, 4]
    assert data["por_tipo"] == {"queja": 5, "reclamo": 7}
    assert data["suma"] == 2 + 6 + 12


def test_the_allowed_builtins_work() -> None:
    condition = (
        "len(xs) == 3 and min(xs) == 1 and max(xs) == 3 and sum(xs) == 6"
        " and sorted(xs, reverse=True) == [3, 2, 1] and round(2.567, 2) == 2.57"
        " and abs(-1) == 1 and any(xs) and all(xs) and dict(a=1) == {'a': 1}"
        " and list(range(3)) == [0, 1, 2] and set(xs) == {1, 2, 3} and tuple(xs) == (1, 2, 3)"
        " and str(1) == '1' and int('2') == 2 and float('1.5') == 1.5 and bool(0) is False"
        " and isinstance(xs, list) and f'{xs[0]:03d}' == '001'"
        " and ', '.join(str(x) for x in xs).upper() == '1, 2, 3'"
    )
    assert environment().evaluate(condition, {"xs": [1, 2, 3]}) is True


def test_a_condition_reads_the_case_record() -> None:
    condition = "caso['vence_legal'] is None"
    assert environment().evaluate(condition, {}) is True
    assert environment(vence_legal="2026-02-23T23:59:59-05:00").evaluate(condition, {}) is False


def test_a_missing_attribute_raises_instead_of_returning_none() -> None:
    with pytest.raises(AttributeError):
        environment().evaluate("caso.no_existe", {})


def test_scripts_can_catch_ordinary_exceptions() -> None:
    data = run("try:\n    valor = int(texto)\nexcept ValueError:\n    valor = 0", texto="abc")
    assert data["valor"] == 0


def test_functions_and_globals_are_not_copied_into_task_data() -> None:
    data = run(
        "def doble(x):\n    return 2 * x\n"
        "resultado = doble(21)\nmuestra = en_muestra(radicado, 100)\nvence = caso['vence_legal']",
        radicado="AV-2026-000001",
    )
    assert data == {"radicado": "AV-2026-000001", "resultado": 42, "muestra": True, "vence": None}


def test_task_data_cannot_shadow_a_global() -> None:
    with pytest.raises(ValueError, match="overwrites a predefined"):
        run("x = 1", caso={})


PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="prueba" isExecutable="true">
    <bpmn:startEvent id="inicio"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calcular" name="Calcular">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw" default="f_baja">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f_alta</bpmn:outgoing><bpmn:outgoing>f_baja</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:scriptTask id="alta"><bpmn:incoming>f_alta</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>ruta = 'alta'</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="baja"><bpmn:incoming>f_baja</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing><bpmn:script>ruta = 'baja'</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="fin_alta"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="fin_baja"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="calcular"/>
    <bpmn:sequenceFlow id="f2" sourceRef="calcular" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_alta" sourceRef="gw" targetRef="alta">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        >{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_baja" sourceRef="gw" targetRef="baja"/>
    <bpmn:sequenceFlow id="f3" sourceRef="alta" targetRef="fin_alta"/>
    <bpmn:sequenceFlow id="f4" sourceRef="baja" targetRef="fin_baja"/>
  </bpmn:process>
</bpmn:definitions>
"""


def workflow(script: str, condition: str, **data: Any) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(PROCESS.format(script=script, condition=condition).encode())
    engine = PythonScriptEngine(environment=environment())
    wf = BpmnWorkflow(parser.get_spec("prueba"), script_engine=engine)
    wf.task_tree.data.update(data)
    return wf


def test_a_workflow_runs_its_script_and_gateway_through_the_sandbox() -> None:
    wf = workflow(
        "total = monto * 2\nnotas.append('calculado')",
        "total &gt; 100 and caso['vence_legal'] is None and en_muestra(radicado, 100)",
        monto=60,
        notas=[],
        radicado="AV-2026-000001",
    )
    wf.do_engine_steps()
    assert wf.is_completed()
    assert wf.data["ruta"] == "alta"
    assert wf.data["notas"] == ["calculado"]
    assert "caso" not in wf.data and "en_muestra" not in wf.data


def test_a_workflow_takes_the_default_flow_when_the_condition_is_false() -> None:
    wf = workflow("total = monto * 2", "total &gt; 100", monto=10)
    wf.do_engine_steps()
    assert wf.data["ruta"] == "baja"


def test_a_forbidden_script_in_a_workflow_fails_as_a_task_error(tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    wf = workflow("().__class__", "True", destino=str(sentinel))
    with pytest.raises(WorkflowTaskException) as raised:
        wf.do_engine_steps()
    assert raised.value.error_type == "SandboxViolation"
    assert not sentinel.exists()


def test_a_forbidden_gateway_condition_fails_as_a_task_error(tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    wf = workflow("total = 1", "open(destino, 'w')", destino=str(sentinel))
    with pytest.raises(WorkflowTaskException) as raised:
        wf.do_engine_steps()
    assert raised.value.error_type == "SandboxViolation"
    assert not sentinel.exists()


def test_a_runtime_error_in_a_workflow_script_keeps_its_line_number() -> None:
    wf = workflow("total = 1\ntotal = total / cero", "True", cero=0)
    with pytest.raises(WorkflowTaskException) as raised:
        wf.do_engine_steps()
    assert raised.value.line_number == 2
    assert raised.value.error_type == "ZeroDivisionError"
