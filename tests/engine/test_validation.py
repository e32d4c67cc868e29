"""Validation of diagrams and forms (engine.validation) and the ``atencion validate`` command."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.definitions import read_directory
from engine.validation import Problem, _from_exception, validate_files

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
        "x" + os.urandom(256).decode("latin-1"),  # never starting with a newline
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


# --- refused at save time: what would stall the service (issue 12, section 1) -------------------

# Where a diagram carries Python: (element id, text replaced in mini.bpmn, its line's marker).
CARRIERS = {
    "condition": ("f_urgente", "urgente and area != 'ninguna'", "<bpmn:conditionExpression"),
    "timer": ("tm_recordar", '"PT24H"', "<bpmn:timeDuration"),
    "parameter": ("st_avisar", "value=\"'urgente'\"", '<spiffworkflow:parameter id="plantilla"'),
    "script": ("sc_calcular", "total = len(radicado)\nurgente = total &gt; 5", "<bpmn:script>"),
    "prescript": ("ut_revisar", "intentos = 0", "<spiffworkflow:preScript>"),
}


def with_code(bundle: dict[str, str], carrier: str, code: str) -> dict[str, str]:
    _, old, _ = CARRIERS[carrier]
    new = f"value={quoteattr(code)}" if carrier == "parameter" else escape(code)
    return edit(bundle, MINI, old, new)


def refused(bundle: dict[str, str], carrier: str, code: str) -> Problem:
    """The single error for ``code`` placed in ``carrier``, checked to be on its element/line."""
    files = with_code(bundle, carrier, code)
    problem = only_error(validate_files(files))
    element_id, _, marker = CARRIERS[carrier]
    assert problem.element_id == element_id
    assert problem.line == line_of(files[MINI], marker)
    assert "no se puede ejecutar" in problem.message
    return problem


def test_script_loop_with_no_exit_is_refused_on_its_line(bundle: dict[str, str]) -> None:
    files = with_code(bundle, "script", "n = 0\nwhile True:\n    n = n + 1")
    problem = only_error(validate_files(files))
    assert problem.element_id == "sc_calcular"
    assert problem.line == line_of(files[MINI], "while True:")
    assert "«while True:» no tiene salida" in problem.message


@pytest.mark.parametrize(
    "code",
    [
        "while 1:\n    pass",
        "while not False:\n    n = 1",
        "while True:\n    for x in lista:\n        break",  # that break leaves only the for
        "while True:\n    if False:\n        break",
    ],
)
def test_every_loop_without_a_reachable_exit_is_refused(bundle: dict[str, str], code: str) -> None:
    assert "no tiene salida" in refused(bundle, "script", code).message


@pytest.mark.parametrize(
    "code",
    [
        "n = 0\nwhile True:\n    n = n + 1\n    if n > 3:\n        break",
        "def f():\n    while 1:\n        return 2\nx = f()",
        "while True:\n    raise ValueError('fin')",
        "while n < 3:\n    n = n + 1",
    ],
)
def test_loops_that_can_end_are_accepted(bundle: dict[str, str], code: str) -> None:
    assert errors(validate_files(with_code(bundle, "script", code))) == []


@pytest.mark.parametrize(
    ("carrier", "code", "expected"),
    [
        ("condition", "10**10**10 > 0", "bits"),
        ("condition", "any(i < 0 for i in range(10**18)) or urgente", "«range(10 ** 18)» recorre"),
        ("script", "total = sum(range(10**18))", "recorre más de 10^17 valores"),
        ("parameter", "'a' * 10**10", "crearía 10.000.000.000 caracteres"),
        ("parameter", "[radicado] * 10**9", "crearía 1.000.000.000"),
        ("timer", "1 << 10**9", "1.000.000.001 bits"),
        ("prescript", "intentos = 0x" + "f" * 30_000, "el número escrito tiene 120.000 bits"),
        ("parameter", "radicado.ljust(10**9)", "un texto de 1.000.000.000 caracteres"),
    ],
)
def test_huge_constants_powers_and_ranges_are_refused(
    bundle: dict[str, str], carrier: str, code: str, expected: str
) -> None:
    assert expected in refused(bundle, carrier, code).message


@pytest.mark.parametrize(
    ("carrier", "code", "expected"),
    [
        ("parameter", "'{0.__class__}'.format(radicado)", "lee atributos"),
        ("parameter", "'{0[clave]}'.format(caso)", "lee atributos o elementos"),
        ("condition", "str.format('{0.__class__}', urgente) != ''", "lee atributos"),
        ("parameter", "'{radicado}'.format(radicado=radicado)", "«.format()» no está permitido"),
        ("parameter", "'{r}'.format_map(caso)", "«.format_map()» no está permitido"),
        ("parameter", "'%1000000000d' % 5", "ancho o una precisión de 1.000.000.000"),
        ("parameter", "'%*d' % (10**9, 5)", "ancho o una precisión de 1.000.000.000"),
        ("timer", 'f"{radicado:>1000000000}"', "ancho o una precisión de 1.000.000.000"),
        ("script", "texto = f'{total:.20000f}'", "ancho o una precisión de 20.000"),
    ],
)
def test_format_strings_reading_attributes_or_with_huge_widths_are_refused(
    bundle: dict[str, str], carrier: str, code: str, expected: str
) -> None:
    assert expected in refused(bundle, carrier, code).message


@pytest.mark.parametrize(
    ("carrier", "code"),
    [
        ("condition", "2**100 > total and total in range(1000)"),
        ("parameter", "f'{radicado:>20}' + '%5.2f' % 3.1 + 'ab' * 40"),
        ("timer", "f'PT{24 * 2}H'"),
        ("script", "lista = [0] * 1000\nbits = 1 << 64\nn = (-2) ** 60"),
    ],
)
def test_ordinary_business_rules_pass_the_static_checks(
    bundle: dict[str, str], carrier: str, code: str
) -> None:
    assert errors(validate_files(with_code(bundle, carrier, code))) == []


def test_dmn_entry_with_a_huge_range_is_refused(bundle: dict[str, str]) -> None:
    dmn = "bpmn/decidir_area.dmn"
    text = bundle[dmn]
    entry = re.search(r"<inputEntry id=\"(\w+)\">\s*<text>([^<]+)</text>", text)
    assert entry is not None
    files = {
        **bundle,
        dmn: text.replace(
            entry.group(0), entry.group(0).replace(entry.group(2), "? in range(10**18)")
        ),
    }
    problem = only_error(validate_files(files))
    assert problem.element_id == entry.group(1) and "recorre" in problem.message


# --- every problem in Spanish, on its file, line and element (issue 12, section 5) --------------

ENGLISH = re.compile(
    r"\b(?:the|is|are|not|with|found|missing|expected|Expected|Element|Cannot|support|"
    r"Line|statement|must|allowed|invalid)\b|0x[0-9a-f]{6,}|<Element|\{http"
)


def spanish(problem: Problem) -> Problem:
    assert not ENGLISH.search(problem.message), problem.message
    assert problem.file, problem
    return problem


END = '<bpmn:endEvent id="end_normal">'


def insert_before_end(bundle: dict[str, str], xml: str, via: str | None = None) -> dict[str, str]:
    """``xml`` placed before end_normal; with ``via``, the normal flow passes through that id."""
    files = edit(bundle, MINI, END, f"{xml}\n    {END}")
    if via:
        files = edit(files, MINI, 'targetRef="end_normal"', f'targetRef="{via}"')
        flow = f'<bpmn:sequenceFlow id="f_via" sourceRef="{via}" targetRef="end_normal" />'
        files = edit(files, MINI, "</bpmn:process>", f"{flow}\n  </bpmn:process>")
    return files


@pytest.mark.parametrize(
    ("xml", "element_id", "expected"),
    [
        (
            '<bpmn:intermediateCatchEvent id="ev"><bpmn:messageEventDefinition id="d" '
            'messageRef="m_nada" /></bpmn:intermediateCatchEvent>',
            "ev",
            "usa el mensaje «m_nada», que no existe",
        ),
        (
            '<bpmn:intermediateCatchEvent id="ev"><bpmn:signalEventDefinition id="d" '
            'signalRef="s_nada" /></bpmn:intermediateCatchEvent>',
            "ev",
            "usa la señal «s_nada», que no existe",
        ),
        (
            '<bpmn:intermediateThrowEvent id="ev"><bpmn:escalationEventDefinition id="d" '
            'escalationRef="e_nada" /></bpmn:intermediateThrowEvent>',
            "ev",
            "usa el escalamiento «e_nada»",
        ),
        (
            '<bpmn:intermediateCatchEvent id="ev"><bpmn:timerEventDefinition id="d" />'
            "</bpmn:intermediateCatchEvent>",
            "ev",
            "el temporizador no tiene expresión",
        ),
        (
            '<bpmn:subProcess id="ev"><bpmn:endEvent id="sp_fin" /></bpmn:subProcess>',
            "ev",
            "debe tener exactamente un evento de inicio y tiene 0",
        ),
        (
            '<bpmn:subProcess id="ev"><bpmn:startEvent id="sp_ini" /></bpmn:subProcess>',
            "ev",
            "el subproceso no tiene evento de fin",
        ),
    ],
)
def test_engine_messages_about_an_element_are_in_spanish(
    bundle: dict[str, str], xml: str, element_id: str, expected: str
) -> None:
    files = insert_before_end(bundle, xml, via="ev")
    problem = spanish(only_error(validate_files(files)))
    assert (problem.file, problem.element_id) == (MINI, element_id)
    assert problem.line == line_of(files[MINI], f'id="{element_id}"')
    assert expected in problem.message


def test_error_end_event_with_unknown_error_is_in_spanish(bundle: dict[str, str]) -> None:
    xml = (
        '<bpmn:endEvent id="ev"><bpmn:errorEventDefinition id="d" errorRef="x_nada" />'
        "</bpmn:endEvent>"
    )
    files = edit(insert_before_end(bundle, xml), MINI, 'targetRef="end_normal"', 'targetRef="ev"')
    files = edit(files, MINI, "<bpmn:incoming>f_normal</bpmn:incoming>", "")
    found = [spanish(p) for p in errors(validate_files(files))]
    assert any(p.element_id == "ev" and "usa el error «x_nada»" in p.message for p in found)


def test_data_store_without_implementation_is_in_spanish(bundle: dict[str, str]) -> None:
    process = '<bpmn:process id="mini"'
    files = edit(
        bundle, MINI, process, f'<bpmn:dataStore id="ds_archivo" name="Archivo" />\n  {process}'
    )
    problem = spanish(only_error(validate_files(files)))
    assert problem.element_id == "ds_archivo"
    assert problem.line == line_of(files[MINI], '<bpmn:dataStore id="ds_archivo"')
    assert "almacenes de datos: «Archivo» no tiene implementación" in problem.message


def test_unresolved_data_association_names_the_missing_reference(bundle: dict[str, str]) -> None:
    old = "<bpmn:incoming>f3</bpmn:incoming>\n      <bpmn:outgoing>f4</bpmn:outgoing>"
    association = (
        '<bpmn:dataOutputAssociation id="doa"><bpmn:targetRef>dato_nada</bpmn:targetRef>'
        "</bpmn:dataOutputAssociation>"
    )
    files = edit(bundle, MINI, old, f"{old}\n      {association}")
    problem = spanish(only_error(validate_files(files)))
    assert problem.element_id == "sc_calcular"
    assert problem.line == line_of(files[MINI], '<bpmn:scriptTask id="sc_calcular"')
    assert "apunta a «dato_nada», que no es un objeto ni un almacén de datos" in problem.message


def test_process_without_start_event_is_in_spanish(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, '<bpmn:startEvent id="start">', '<bpmn:task id="start">')
    files = edit(files, MINI, "</bpmn:startEvent>", "</bpmn:task>")
    problem = spanish(only_error(validate_files(files)))
    assert problem.element_id == "mini" and problem.line == line_of(files[MINI], "<bpmn:process")
    assert "el proceso no tiene evento de inicio" in problem.message


def test_activity_with_two_outgoing_flows_is_in_spanish(bundle: dict[str, str]) -> None:
    flow = '<bpmn:sequenceFlow id="f3b" sourceRef="br_area" targetRef="end_normal" />'
    files = edit(bundle, MINI, "</bpmn:process>", f"{flow}\n  </bpmn:process>")
    problem = spanish(only_error(validate_files(files)))
    assert problem.element_id == "br_area"
    assert (
        "«2 Decidir área» (bpmn:businessRuleTask): la actividad tiene varios flujos"
        in problem.message
    )


def test_cancel_boundary_event_outside_a_transaction_is_in_spanish(bundle: dict[str, str]) -> None:
    timer = re.search(
        r"<bpmn:timerEventDefinition.*?</bpmn:timerEventDefinition>", bundle[MINI], re.S
    )
    assert timer is not None
    files = edit(bundle, MINI, timer.group(0), '<bpmn:cancelEventDefinition id="cancelar" />')
    problem = spanish(only_error(validate_files(files)))
    assert problem.element_id == "ut_revisar"
    assert "un evento de cancelación solo puede usarse en una transacción" in problem.message


def test_message_without_id_gets_the_line_of_the_message(bundle: dict[str, str]) -> None:
    process = '<bpmn:process id="mini"'
    files = edit(bundle, MINI, process, f'<bpmn:message name="aviso" />\n  {process}')
    problem = spanish(only_error(validate_files(files)))
    assert problem.line == line_of(files[MINI], '<bpmn:message name="aviso"')
    assert "un elemento bpmn:message no tiene id" in problem.message


def test_an_engine_message_we_do_not_know_falls_back_to_spanish(bundle: dict[str, str]) -> None:
    """A future SpiffWorkflow message: Spanish, element and line, never its text or a repr."""
    from lxml import etree

    root = etree.fromstring(bundle[MINI].encode("utf-8"))
    node = next(root.iter("{*}userTask"))
    exc = ValidationException(f"Something new about {node!r}", node=node, file_name=MINI)
    problem = spanish(_from_exception(exc, MINI, {MINI: root}))
    assert (problem.element_id, problem.line) == (
        "ut_revisar",
        line_of(bundle[MINI], "<bpmn:userTask"),
    )
    assert problem.message == (
        "El motor no acepta «1 Revisar» (bpmn:userTask) tal como está definido; revise sus "
        "propiedades en el modelador."
    )
    assert spanish(_from_exception(TypeError(repr(node)), MINI, {})).message.startswith("El motor")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "<bpmn:incoming>f3</bpmn:incoming>",
            "<bpmn:incoming>f3</bpmn:incoming><bpmn:foo />",
            "el elemento «bpmn:foo» no va en esta posición; se esperaba bpmn:incoming",
        ),
        (
            "</bpmn:script>",
            "</bpmn:script><bpmn:outgoing>f4</bpmn:outgoing>",
            "el elemento «bpmn:outgoing» no va en esta posición",
        ),
        (
            '<bpmn:scriptTask id="sc_calcular"',
            '<bpmn:scriptTask id="sc_calcular" foo="1"',
            "«bpmn:scriptTask» no admite el atributo «foo»",
        ),
        (
            'cancelActivity="false"',
            'cancelActivity="quizas"',
            "vale «quizas», que no es true ni false",
        ),
        (
            '<bpmn:endEvent id="end_normal">',
            '<bpmn:endEvent id="end_urgente">',
            "el id «end_urgente» de «bpmn:endEvent» está repetido",
        ),
    ],
)
def test_schema_messages_are_in_spanish(
    bundle: dict[str, str], old: str, new: str, expected: str
) -> None:
    files = edit(bundle, MINI, old, new)
    found = [spanish(p) for p in errors(validate_files(files))]
    assert any(expected in p.message and p.element_id for p in found), [p.message for p in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<a></b>", "la etiqueta «a» de la línea 1 se cierra con «b»"),
        ("<a>", "el archivo termina sin cerrar la etiqueta «a»"),
        ("<a x=1/>", "el valor de un atributo no está entre comillas"),
        ("<a>& b</a>", "escríbalo &amp;"),
        ("<p:a/>", "el prefijo «p» de «a» no está declarado"),
        ("<a/><b/>", "hay contenido después del elemento raíz"),
        ("hola", "no empieza con una etiqueta"),
        ("<a>\x00</a>", "contiene caracteres no válidos"),
    ],
)
def test_xml_syntax_messages_are_in_spanish(text: str, expected: str) -> None:
    problem = spanish(only_error(validate_files({"bpmn/roto.bpmn": text})))
    assert problem.line == 1 and expected in problem.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{'a': 1}", "se esperaba un nombre de propiedad entre comillas dobles (columna 2)"),
        ('{"a" 1}', "falta «:»"),
        ('{"type": "booleano"}', "en $.type: el tipo «booleano» no existe; use string"),
        ('{"properties": 1}', "en $.properties: el valor 1 debería ser un objeto"),
        ('{"minLength": -1}', "es menor que el mínimo permitido (0)"),
    ],
)
def test_form_messages_are_in_spanish(bundle: dict[str, str], text: str, expected: str) -> None:
    problem = spanish(only_error(validate_files({**bundle, "forms/otro.json": text})))
    assert problem.file == "forms/otro.json" and expected in problem.message


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("_secreto and urgente", "el nombre «_secreto» no está permitido (empieza por «_»)"),
        ("urgente.__class__", "el atributo «__class__» no está permitido (empieza por «_»)"),
        ("(urgente", "error de sintaxis: el «(» nunca se cierra"),
        ("urgente and", "error de sintaxis: sintaxis no válida"),
        ("urgente = 1", "error de sintaxis: sintaxis no válida"),
        ("eval('1')", "el nombre «eval» no está permitido"),
    ],
)
def test_restricted_compiler_messages_are_in_spanish(
    bundle: dict[str, str], code: str, expected: str
) -> None:
    problem = spanish(refused(bundle, "condition", code))
    assert expected in problem.message


def test_script_syntax_error_is_in_spanish_on_its_line(bundle: dict[str, str]) -> None:
    files = with_code(bundle, "script", "total = 1\nif total > 0\n    urgente = True")
    problem = spanish(only_error(validate_files(files)))
    assert problem.line == line_of(files[MINI], "if total")
    assert "error de sintaxis: falta «:»" in problem.message


@pytest.mark.parametrize(
    ("old", "what"),
    [
        ("urgente and area != 'ninguna'", "La condición del flujo está vacía."),
        ("total = len(radicado)\nurgente = total &gt; 5", "El script está vacío."),
        ("intentos = 0", "El preScript está vacío."),
    ],
)
def test_empty_code_agrees_in_gender(bundle: dict[str, str], old: str, what: str) -> None:
    assert spanish(only_error(validate_files(edit(bundle, MINI, old, " ")))).message.endswith(what)


def test_unreachable_activity_is_reported(bundle: dict[str, str]) -> None:
    task = '<bpmn:task id="t_huerfana" name="Olvidada" />'
    after = '<bpmn:sequenceFlow id="f_h" sourceRef="t_huerfana" targetRef="g_huerfano" />'
    gateway = '<bpmn:parallelGateway id="g_huerfano" />'
    files = insert_before_end(bundle, f"{task}\n    {gateway}")
    files = edit(files, MINI, "</bpmn:process>", f"{after}\n  </bpmn:process>")
    problems = validate_files(files)
    assert errors(problems) == []  # it never runs, so it harms no case: a warning
    found = {p.element_id: spanish(p) for p in problems if "alcanzar" in p.message}
    assert set(found) == {"t_huerfana", "g_huerfano"}
    assert {p.severity for p in found.values()} == {"warning"}
    assert found["t_huerfana"].line == line_of(files[MINI], '<bpmn:task id="t_huerfana"')
    assert found["t_huerfana"].message == (
        "La actividad no se puede alcanzar: ningún camino de flujos lleva a ella desde un "
        "evento de inicio."
    )
    assert found["g_huerfano"].message.startswith("La compuerta no se puede alcanzar")


def test_boundary_events_and_event_subprocesses_are_reachable(bundle: dict[str, str]) -> None:
    subprocess_xml = (
        '<bpmn:subProcess id="sp_evento" triggeredByEvent="true">'
        '<bpmn:startEvent id="sp_ini"><bpmn:outgoing>f_sp</bpmn:outgoing>'
        '<bpmn:signalEventDefinition id="sd" /></bpmn:startEvent>'
        '<bpmn:endEvent id="sp_fin"><bpmn:incoming>f_sp</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f_sp" sourceRef="sp_ini" targetRef="sp_fin" /></bpmn:subProcess>'
    )
    files = insert_before_end(bundle, subprocess_xml)
    assert not [p for p in validate_files(files) if "alcanzar" in p.message]


def test_gateway_default_to_a_missing_flow(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, 'default="f_normal"', 'default="f_nada"')
    found = [spanish(p) for p in errors(validate_files(files))]
    gateway = next(p for p in found if p.element_id == "gw_urgente")
    assert gateway.line == line_of(files[MINI], '<bpmn:exclusiveGateway id="gw_urgente"')
    assert gateway.message == (
        "El flujo por defecto de la compuerta es «f_nada», que no es uno de sus flujos de salida."
    )


def test_gateway_default_to_a_flow_of_another_element(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, 'default="f_normal"', 'default="f1"')
    assert any(
        p.element_id == "gw_urgente" and "«f1»" in p.message for p in errors(validate_files(files))
    )


def test_internal_error_is_spanish() -> None:
    problem = only_error(validate_files(None))  # type: ignore[arg-type]
    assert problem.message == (
        "Error interno del validador; el paquete no se pudo revisar. Avise al equipo técnico."
    )


def test_bundle_without_executable_process_names_each_diagram(bundle: dict[str, str]) -> None:
    files = edit(bundle, MINI, 'isExecutable="true"', 'isExecutable="false"')
    problem = only_error(validate_files(files))
    assert (problem.file, problem.line) == (MINI, line_of(files[MINI], "<bpmn:process"))


def test_cli_single_file_problems_name_the_file(tmp_path: Path) -> None:
    target = tmp_path / "borrador.bpmn"
    text = (
        (BUNDLE / MINI)
        .read_text(encoding="utf-8")
        .replace('isExecutable="true"', 'isExecutable="false"')
    )
    target.write_text(text, encoding="utf-8")
    result = run_cli(str(target))
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines()[:-1]]
    assert problems and all(line.startswith(f"{target}:") for line in problems), result.stdout
    assert "(paquete)" not in result.stdout


def test_cli_directory_of_forms_names_the_directory(tmp_path: Path) -> None:
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "a.json").write_text('{"type": "object"}', encoding="utf-8")
    result = run_cli(str(tmp_path), "--json")
    problems = json.loads(result.stdout)
    assert problems and all(p["file"] for p in problems)
    assert problems[0]["file"] == str(tmp_path)


def test_cli_unreadable_file_reason_in_spanish(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "no.bpmn"), str(tmp_path))
    assert (
        f"{tmp_path / 'no.bpmn'}: No se puede leer el archivo: el archivo no existe."
        in result.stdout
    )


DMN = "bpmn/decidir_area.dmn"


def decision_of(bundle: dict[str, str]) -> str:
    text = bundle[DMN]
    return text[text.index("<decision ") : text.index("</decision>") + len("</decision>")]


def test_two_decisions_in_one_file_are_refused_in_spanish(bundle: dict[str, str]) -> None:
    decision = decision_of(bundle)
    second = re.sub(r'id="(\w+)"', r'id="otra_\1"', decision)
    files = edit(bundle, DMN, decision, f"{decision}\n  {second}")
    problem = spanish(only_error(validate_files(files)))
    assert (problem.file, problem.element_id) == (DMN, "otra_decidir_area")
    assert problem.line == line_of(files[DMN], '<decision id="otra_decidir_area"')
    assert "el motor lee una sola por archivo" in problem.message


def test_decision_without_a_table_is_refused_in_spanish(bundle: dict[str, str]) -> None:
    literal = (
        '<decision id="decidir_area" name="Área"><literalExpression id="le"><text>"x"</text>'
        "</literalExpression></decision>"
    )
    files = edit(bundle, DMN, decision_of(bundle), literal)
    problem = spanish(only_error(validate_files(files)))  # not also on br_area, which calls it
    assert (problem.file, problem.element_id) == (DMN, "decidir_area")
    assert "no tiene tabla de decisión (decisionTable)" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '<spiffworkflow:parameter id="plantilla" type="str" value="\'urgente\'" />',
            '<spiffworkflow:parameter id="plantilla" type="str" />',
            "A un parámetro del servicio le falta el atributo value.",
        ),
        (
            '<spiffworkflow:parameter id="plantilla" type="str" value="\'urgente\'" />',
            "<spiffworkflow:parameter value=\"'urgente'\" />",
            "A un parámetro del servicio le faltan los atributos id y type.",
        ),
        (
            "</spiffworkflow:serviceTaskOperator>",
            "</spiffworkflow:serviceTaskOperator><spiffworkflow:properties>"
            '<spiffworkflow:property name="hito" /></spiffworkflow:properties>',
            "Una propiedad spiffworkflow:property no tiene name o value.",
        ),
    ],
)
def test_spiffworkflow_extensions_the_engine_would_crash_on(
    bundle: dict[str, str], old: str, new: str, expected: str
) -> None:
    """Only our message: SpiffWorkflow's own crash (a KeyError) adds nothing after it."""
    problem = spanish(only_error(validate_files(edit(bundle, MINI, old, new))))
    assert (problem.element_id, problem.message) == ("st_avisar", expected)


@pytest.mark.parametrize(
    ("old", "new", "element_id", "expected"),
    [
        (
            '<output id="out_area"',
            "<output",
            "dt_decidir_area",
            "La salida de la tabla de decisión no tiene id.",
        ),
        (
            '<rule id="r2">',
            "<rule>",
            "dt_decidir_area",
            "La regla de la tabla de decisión no tiene id.",
        ),
        (
            '<inputEntry id="r1_i0">',
            '<inputEntry id="r1_extra"><text>-</text></inputEntry><inputEntry id="r1_i0">',
            "r1",
            "La regla tiene 2 condiciones y la tabla solo 1 columna de entrada.",
        ),
    ],
)
def test_decision_table_parts_the_engine_would_crash_on(
    bundle: dict[str, str], old: str, new: str, element_id: str, expected: str
) -> None:
    problem = spanish(only_error(validate_files(edit(bundle, DMN, old, new))))
    assert (problem.file, problem.element_id, problem.message) == (DMN, element_id, expected)


def test_dmn_file_without_a_decision(bundle: dict[str, str]) -> None:
    files = edit(bundle, DMN, decision_of(bundle), "")
    found = [spanish(p) for p in errors(validate_files(files))]
    assert any(
        p.file == DMN and p.message == "El archivo no tiene ninguna decisión." for p in found
    )
