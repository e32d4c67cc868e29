"""Validation of diagrams and forms (engine.validation) and the ``atencion validate`` command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.definitions import read_directory
from engine.validation import Problem, validate_files

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
BUNDLE = DATA / "bundle"
MINI = "bpmn/mini.bpmn"


@pytest.fixture
def bundle() -> dict[str, str]:
    return read_directory(BUNDLE)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def edit(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in files[name], old
    return {**files, name: files[name].replace(old, new)}


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def only_error(problems: list[Problem]) -> Problem:
    found = errors(problems)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


# --- valid bundles -----------------------------------------------------------------------------


def test_fixture_bundle_is_valid(bundle: dict[str, str]) -> None:
    assert validate_files(bundle) == []


@pytest.mark.skipif(not any((ROOT / "bpmn").glob("*.bpmn")), reason="bpmn/ not written yet")
def test_real_bundle_has_no_errors() -> None:
    problems = validate_files(read_directory(ROOT))
    assert errors(problems) == [], "\n".join(map(str, problems))


def test_problem_str_and_dict() -> None:
    problem = Problem("bpmn/a.bpmn", 12, "gw_1", "La condición no es válida.")
    assert str(problem) == "bpmn/a.bpmn:12: [gw_1] La condición no es válida."
    assert str(Problem("forms/a.json", None, None, "Mal.")) == "forms/a.json: Mal."
    assert problem.to_dict()["severity"] == "error"


# --- files that are not what they claim ----------------------------------------------------------


def test_malformed_xml_reports_line(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, '<bpmn:endEvent id="end_normal">', '<bpmn:endEvent id="end_normal"')
    problem = only_error(validate_files(files))
    assert problem.file == MINI
    assert problem.line == line_of(bundle[MINI], '<bpmn:endEvent id="end_normal">') + 1
    assert "XML bien formado" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Esto es un archivo de texto,\nno un diagrama.\n",
        "\x00\x01\x02garbage\xff\xfe",
        os.urandom(256).decode("latin-1"),
    ],
)
def test_not_xml_is_a_problem_not_an_exception(bundle: dict[str, str], text: str) -> None:
    problems = validate_files({**bundle, "bpmn/otro.bpmn": text})
    problem = only_error(problems)
    assert problem.file == "bpmn/otro.bpmn"
    assert problem.line == 1


def test_xml_that_is_not_bpmn(bundle: dict[str, str]) -> None:
    files = {**bundle, "bpmn/otro.bpmn": '<?xml version="1.0"?>\n<html><body /></html>\n'}
    problem = only_error(validate_files(files))
    assert (problem.file, problem.line) == ("bpmn/otro.bpmn", 2)
    assert "no es un diagrama BPMN" in problem.message


def test_dmn_that_is_not_dmn(bundle: dict[str, str]) -> None:
    files = {**bundle, "bpmn/otra.dmn": "<definitions xmlns='urn:otra-cosa' />"}
    assert "DMN" in only_error(validate_files(files)).message


def test_doctype_is_rejected_without_reading_entities(bundle: dict[str, str]) -> None:
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>'
    )
    problem = only_error(validate_files({**bundle, "bpmn/otro.bpmn": text}))
    assert "DOCTYPE" in problem.message
    assert "root:" not in problem.message


@pytest.mark.parametrize("files", [{}, {"bpmn/a.bpmn": None}, {"bpmn/a.bpmn": b"\xff"}, None])
def test_never_raises(files: object) -> None:
    problems = validate_files(files)  # type: ignore[arg-type]
    assert errors(problems)


def test_bundle_without_executable_process(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, 'isExecutable="true"', 'isExecutable="false"')
    problem = only_error(validate_files(files))
    assert "ejecutable" in problem.message


def test_schema_error_has_line(bundle: dict[str, str]) -> None:
    end = '<bpmn:endEvent id="end_normal">'
    files = edit(bundle, MINI, end, f'<bpmn:fooTask id="x" />\n    {end}')
    problem = only_error(validate_files(files))
    assert problem.line == line_of(files[MINI], "<bpmn:fooTask")
    assert "esquema BPMN" in problem.message and "fooTask" in problem.message


# --- elements and structure -------------------------------------------------------------------


def test_camunda_diagram_with_complex_gateway() -> None:
    text = (DATA / "camunda_complex.bpmn").read_text(encoding="utf-8")
    problems = validate_files({"bpmn/camunda.bpmn": text})
    by_id: dict[str | None, str] = {}
    for problem in errors(problems):
        by_id[problem.element_id] = by_id.get(problem.element_id, "") + problem.message
    gateway = next(p for p in problems if p.element_id == "Gateway_Complex")
    assert gateway.line == line_of(text, '<bpmn:complexGateway id="Gateway_Complex"')
    assert "complexGateway" in gateway.message
    assert "formJsonSchemaFilename" in by_id["Task_Revisar"]
    assert "candidateGroup" in by_id["Task_Revisar"]
    assert "serviceTaskOperator" in by_id["Task_Servicio"]
    warnings = {p.element_id for p in problems if p.severity == "warning"}
    assert {"Gateway_Complex", "Task_Servicio", "EndEvent_1"} <= warnings


def test_sequence_flow_to_missing_id(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, 'targetRef="end_normal"', 'targetRef="t_missing"')
    problem = only_error(validate_files(files))
    assert problem.element_id == "f_normal"
    assert problem.line == line_of(files[MINI], '<bpmn:sequenceFlow id="f_normal"')
    assert "t_missing" in problem.message


def test_spiff_parse_error_gets_line_and_id(bundle: dict[str, str]) -> None:
    """A problem only SpiffWorkflow finds (no line in its exception) still gets one."""
    files = edit(bundle, MINI, 'default="f_normal"', "")
    problem = only_error(validate_files(files))
    assert problem.element_id in {"f_urgente", "f_normal"}
    assert problem.line == line_of(files[MINI], f'<bpmn:sequenceFlow id="{problem.element_id}"')


def test_missing_decision_table(bundle: dict[str, str]) -> None:
    files = {k: v for k, v in bundle.items() if not k.endswith(".dmn")}
    problem = only_error(validate_files(files))
    assert problem.element_id == "br_area"
    assert "decidir_area" in problem.message


def test_missing_di_shape_is_only_a_warning(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, 'bpmnElement="sc_calcular"', 'bpmnElement="otro"')
    problems = validate_files(files)
    assert errors(problems) == []
    assert [(p.element_id, p.severity) for p in problems] == [("sc_calcular", "warning")]


# --- our conventions -----------------------------------------------------------------------------


def test_user_task_without_form(bundle: dict[str, str]) -> None:
    old = '<spiffworkflow:property name="formJsonSchemaFilename" value="revisar.json" />'
    problem = only_error(validate_files(edit(bundle, MINI, old, "")))
    assert problem.element_id == "ut_revisar"
    assert problem.line == line_of(bundle[MINI], '<bpmn:userTask id="ut_revisar"')
    assert "formulario" in problem.message


def test_user_task_with_a_form_that_is_missing(bundle: dict[str, str]) -> None:
    files = {k: v for k, v in bundle.items() if not k.endswith(".json")}
    problem = only_error(validate_files(files))
    assert problem.element_id == "ut_revisar"
    assert "revisar.json" in problem.message


def test_user_task_without_candidate_group(bundle: dict[str, str]) -> None:
    old = """<spiffworkflow:property name="candidateGroup" value="'asesor'" />"""
    problem = only_error(validate_files(edit(bundle, MINI, old, "")))
    assert "candidateGroup" in problem.message


def test_unknown_service_operator(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, 'serviceTaskOperator id="notify"', 'serviceTaskOperator id="shell"')
    problem = only_error(validate_files(files))
    assert problem.element_id == "st_avisar"
    assert "shell" in problem.message


def test_gateway_condition_with_import_is_rejected_and_never_run(
    bundle: dict[str, str], tmp_path: Path
) -> None:
    sentinel = tmp_path / "sentinel"
    condition = f"__import__('os').system('touch {sentinel}')"
    files = edit(bundle, MINI, "urgente and area != 'ninguna'", condition)
    problem = only_error(validate_files(files))
    assert problem.element_id == "f_urgente"
    assert problem.line == line_of(files[MINI], "<bpmn:conditionExpression")
    assert "__import__" in problem.message
    assert not sentinel.exists()


def test_script_with_import(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, "urgente = total &gt; 5", "import os")
    problem = only_error(validate_files(files))
    assert problem.element_id == "sc_calcular"
    assert problem.line == line_of(files[MINI], "import os")  # line 2 of the script
    assert "importar" in problem.message


def test_prescript_with_dunder(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, "intentos = 0", "intentos = radicado.__class__")
    assert only_error(validate_files(files)).element_id == "ut_revisar"


def test_timer_expression_with_dunder(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, '"PT24H"', "().__class__.__bases__[0]")
    problem = only_error(validate_files(files))
    assert problem.element_id == "tm_recordar"
    assert problem.line == line_of(files[MINI], "<bpmn:timeDuration")


def test_service_parameter_and_candidate_group_expressions(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, "value=\"'urgente'\"", "value=\"open('/etc/passwd').read()\"")
    files = edit(files, MINI, "value=\"'asesor'\"", 'value="_secreto"')
    found = {p.element_id for p in errors(validate_files(files))}
    assert found == {"st_avisar", "ut_revisar"}


def test_dmn_expression_with_import(bundle: dict[str, str]) -> None:
    dmn = "bpmn/decidir_area.dmn"
    files = edit(bundle, dmn, '"area_juridica"', "__import__('os').getcwd()")
    problem = only_error(validate_files(files))
    assert problem.file == dmn and problem.element_id == "r1_o0"


# --- forms ------------------------------------------------------------------------------------


def test_form_that_is_not_json(bundle: dict[str, str]) -> None:
    files = edit(bundle, "forms/revisar.json", '"Revisar",', '"Revisar"')
    problem = only_error(validate_files(files))
    assert problem.file == "forms/revisar.json"
    assert problem.line == line_of(files["forms/revisar.json"], '"type": "object"')


def test_form_that_is_not_a_json_schema(bundle: dict[str, str]) -> None:
    files = edit(bundle, "forms/revisar.json", '"type": "boolean"', '"type": "booleano"')
    problem = only_error(validate_files(files))
    assert "$.properties.cumple.type" in problem.message
    assert problem.line == line_of(files["forms/revisar.json"], '"cumple": {')


# --- the command line ---------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "engine.cli", "validate", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_cli_valid_directory_exits_0() -> None:
    result = run_cli(str(BUNDLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sin problemas en 3 archivos." in result.stdout


def test_cli_single_diagram_finds_its_forms_and_decisions() -> None:
    result = run_cli(str(BUNDLE / "bpmn" / "mini.bpmn"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_reports_errors_and_exits_1(tmp_path: Path) -> None:
    target = tmp_path / "camunda.bpmn"
    target.write_bytes((DATA / "camunda_complex.bpmn").read_bytes())
    result = run_cli(str(target))
    assert result.returncode == 1
    line = line_of(target.read_text(encoding="utf-8"), "<bpmn:complexGateway")
    assert f"{target}:{line}: [Gateway_Complex] " in result.stdout
    assert "no se puede desplegar" in result.stdout.splitlines()[-1]


def test_cli_warnings_do_not_fail(tmp_path: Path) -> None:
    (tmp_path / "bpmn").mkdir()
    (tmp_path / "forms").mkdir()
    for path in BUNDLE.glob("*/*"):
        (tmp_path / path.relative_to(BUNDLE)).write_bytes(path.read_bytes())
    mini = tmp_path / MINI
    text = mini.read_text(encoding="utf-8").replace('bpmnElement="sc_calcular"', 'bpmnElement="x"')
    mini.write_text(text, encoding="utf-8")
    result = run_cli(str(tmp_path / "bpmn"), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p["severity"] for p in json.loads(result.stdout)] == ["warning"]


def test_cli_json_output(tmp_path: Path) -> None:
    bad = tmp_path / "roto.bpmn"
    bad.write_text("<bpmn:definitions", encoding="utf-8")
    result = run_cli(str(bad), "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    assert problems and set(problems[0]) == {"file", "line", "element_id", "message", "severity"}
    assert any(p["file"] == str(bad) and p["line"] == 1 for p in problems)


BROKEN = {
    "vacio.bpmn": b"",
    "texto.bpmn": b"no soy xml\n",
    "binario.bpmn": bytes(range(256)),
    "html.bpmn": b"<html><body/></html>",
    "roto.dmn": b"<definitions",
    "roto.json": b"{'no': json}",
    "esquema.json": b'{"type": 12}',
    "lista.json": b"[]",
}


def test_cli_never_prints_a_traceback(tmp_path: Path) -> None:
    for name, data in BROKEN.items():
        (tmp_path / name).write_bytes(data)
    camunda = tmp_path / "camunda.bpmn"
    camunda.write_bytes((DATA / "camunda_complex.bpmn").read_bytes())
    paths = [str(tmp_path / name) for name in BROKEN] + [str(camunda), str(tmp_path / "no.bpmn")]
    result = run_cli(*paths)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    reported = {line.split(":")[0] for line in result.stdout.splitlines() if line.startswith("/")}
    assert reported == set(paths)
    for path in paths:
        single = run_cli(path, "--json")
        assert single.returncode == 1 and "Traceback" not in single.stderr
        assert json.loads(single.stdout)


def test_cli_missing_file_exits_1() -> None:
    result = run_cli("no/existe.bpmn")
    assert result.returncode == 1
    assert "no/existe.bpmn: No se puede leer el archivo" in result.stdout
    assert "Traceback" not in result.stderr
