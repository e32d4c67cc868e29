"""Validation of a bundle of diagrams (BPMN, DMN) and forms (JSON Schema) before deployment.

``validate_files`` never raises: every problem, from a file that is not XML to a script that
tries to import a module, comes back as a ``Problem`` with the file, the line and the element id
where there is one, and a message in Spanish for the process owner.
"""

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser import VALIDATOR

from engine.sandbox import Mode, check_source
from engine.specs import AppParser

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "spiffworkflow": SPIFF_NS}

OPERATORS = ("legacy_lookup", "notify", "audit_sample", "audit_report", "monthly_report")

FLOW_NODES = frozenset(
    {
        "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
        "businessRuleTask", "callActivity", "subProcess", "adHocSubProcess", "transaction",
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
        "eventBasedGateway", "complexGateway",
    }
)  # fmt: skip
_PROCESS = f"{{{BPMN_NS}}}process"
_OWNERS = FLOW_NODES | {"sequenceFlow"}
SUPPORTED_TAGS = frozenset(AppParser.PARSER_CLASSES) | frozenset(AppParser.OVERRIDE_PARSER_CLASSES)

# BPMN elements whose text is a Python expression evaluated at run time.
EXPRESSIONS = {
    "conditionExpression": "La condición del flujo",
    "timeDate": "La expresión del temporizador (timeDate)",
    "timeDuration": "La expresión del temporizador (timeDuration)",
    "timeCycle": "La expresión del temporizador (timeCycle)",
    "condition": "La condición del evento",
    "loopCardinality": "La cardinalidad del ciclo",
    "loopCondition": "La condición del ciclo",
    "completionCondition": "La condición de terminación",
}

# What the process owner reads. Placeholders are filled with str.format.
MSG = {
    "unknown_file": "Tipo de archivo no reconocido; se ignora.",
    "no_process": 'El paquete no tiene ningún proceso ejecutable (isExecutable="true").',
    "not_xml": "El archivo no es XML bien formado: {}.",
    "doctype": "El archivo declara un DOCTYPE; los diagramas no deben traerlo.",
    "not_bpmn": (
        "El archivo no es un diagrama BPMN 2.0: su elemento raíz es «{}» y debería ser "
        "bpmn:definitions."
    ),
    "not_dmn": "El archivo no es una tabla de decisión DMN: su elemento raíz es «{}.",
    "no_shape": (
        "El elemento no tiene forma en el diagrama (BPMN DI); no se verá al abrirlo en el "
        "modelador."
    ),
    "unsupported": (
        "El motor no ejecuta este tipo de elemento (bpmn:{}); reemplácelo por uno soportado "
        "(p. ej. una compuerta exclusiva o paralela)."
    ),
    "flow_ref": "El flujo {} «{}», que no existe en el proceso.",
    "boundary_ref": "El evento de borde está unido a «{}», que no existe en el proceso.",
    "no_decision": (
        "La tarea de regla de negocio no indica qué tabla de decisión usar "
        "(spiffworkflow:calledDecisionId)."
    ),
    "missing_decision": "La tabla de decisión «{}» no está en el paquete (falta su archivo .dmn).",
    "missing_process": "La actividad llama al proceso «{}», que no está en el paquete.",
    "bad_property": "Una propiedad spiffworkflow:property no tiene name o value.",
    "no_form": "La tarea de usuario no tiene formulario (propiedad formJsonSchemaFilename).",
    "missing_form": "El formulario «{}» no existe en forms/.",
    "no_group": "La tarea de usuario no dice qué grupo la atiende (propiedad candidateGroup).",
    "no_operator": (
        "La tarea de servicio no indica qué operación ejecutar (spiffworkflow:serviceTaskOperator)."
    ),
    "bad_operator": "La operación «{}» no existe; use una de: {}.",
    "bad_entry": "La condición de la tabla de decisión no es válida: {}",
    "form_json": "El formulario no es JSON válido: {} (columna {}).",
    "form_schema": "El formulario no es un JSON Schema válido en {}: {}",
    "engine_error": "El motor no pudo leer el diagrama ({}: {}).",
    "no_condition": (
        "El flujo sale de una compuerta sin condición y no es el flujo por defecto de la compuerta."
    ),
}

# Never resolve entities nor touch the network, whatever the uploaded file declares.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_XSD_LOCK = threading.Lock()  # an XMLSchema keeps its error log on the shared object


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element_id: str | None
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = self.file or "(paquete)"
        if self.line is not None:
            where += f":{self.line}"
        element = f"[{self.element_id}] " if self.element_id else ""
        label = "" if self.severity == "error" else "aviso: "
        return f"{where}: {element}{label}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_files(files: dict[str, str]) -> list[Problem]:
    """Every problem of the bundle ``files`` (relative path -> text). Never raises."""
    try:
        problems = _validate(files)
    except Exception as exc:  # the validator itself must not become the error
        problems = [Problem("", None, None, f"Error interno del validador: {exc!r}")]
    return _dedupe(problems)


def _validate(files: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    bpmn: dict[str, etree._Element] = {}  # well-formed BPMN documents
    dmn: dict[str, etree._Element] = {}
    schema_valid: set[str] = set()
    texts: dict[str, str] = {}
    for name in sorted(files, key=str):
        text = _as_text(str(name), files[name], problems)
        if text is None:
            continue
        name = str(name)
        suffix = PurePosixPath(name).suffix.lower()
        if suffix == ".json":
            problems += check_form(name, text)
        elif suffix in (".bpmn", ".dmn"):
            kind = suffix[1:]
            root = _load_xml(name, text, kind, problems)
            if root is None:
                continue
            (bpmn if kind == "bpmn" else dmn)[name] = root
            texts[name] = text
            xsd_problems = _check_xsd(name, text, root, kind)
            problems += xsd_problems
            if not xsd_problems:
                schema_valid.add(name)
        else:
            problems.append(Problem(name, None, None, MSG["unknown_file"], "warning"))

    forms = {PurePosixPath(str(n)).name for n in files if str(n).lower().endswith(".json")}
    decisions = {
        d.get("id") for root in dmn.values() for d in root.iter(_dmn_tag(root, "decision"))
    }
    processes = {p.get("id") for root in bpmn.values() for p in root.iter(_PROCESS)}
    for name, root in bpmn.items():
        problems += check_bpmn(name, root, forms, decisions, processes)
    for name, root in dmn.items():
        problems += check_dmn(name, root)
    unreadable = any(str(n).lower().endswith(".bpmn") and str(n) not in bpmn for n in files)
    if not unreadable and not any(_executable(p) for r in bpmn.values() for p in r.iter(_PROCESS)):
        problems.append(Problem("", None, None, MSG["no_process"]))
    valid = {n: t for n, t in texts.items() if n in schema_valid}
    problems += _parse_with_spiff(valid, {**bpmn, **dmn}, problems)
    return problems


# --- files and XML ----------------------------------------------------------------------------


def _as_text(name: str, value: object, problems: list[Problem]) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, None, None, f"El archivo no es texto UTF-8 ({exc})."))
            return None
    if not isinstance(value, str):
        problems.append(Problem(name, None, None, "El archivo no tiene contenido de texto."))
        return None
    return value


def _load_xml(name: str, text: str, kind: str, problems: list[Problem]) -> etree._Element | None:
    try:
        root = etree.fromstring(text.encode("utf-8"), _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        detail = re.sub(r"\s*,? line \d+, column \d+$", "", " ".join(str(exc.msg).split()))
        where = f" (columna {column})" if column else ""
        problems.append(Problem(name, line, None, MSG["not_xml"].format(detail + where)))
        return None
    except ValueError as exc:  # e.g. NUL characters
        problems.append(Problem(name, None, None, f"El archivo no es XML válido: {exc}."))
        return None
    if root.getroottree().docinfo.doctype:
        problems.append(Problem(name, 1, None, MSG["doctype"]))
        return None
    qname = etree.QName(root)
    if kind == "bpmn" and (qname.namespace, qname.localname) != (BPMN_NS, "definitions"):
        problems.append(
            Problem(name, root.sourceline, None, MSG["not_bpmn"].format(qname.localname))
        )
        return None
    if kind == "dmn" and (qname.namespace not in DMN_SCHEMAS or qname.localname != "definitions"):
        detail = f"{qname.localname}» ({qname.namespace or 'sin espacio de nombres'})"
        problems.append(Problem(name, root.sourceline, None, MSG["not_dmn"].format(detail)))
        return None
    return root


@cache
def _dmn_validator(namespace: str) -> BpmnValidator:
    return BpmnValidator(DMN_SCHEMAS[namespace])


def _check_xsd(name: str, text: str, root: etree._Element, kind: str) -> list[Problem]:
    """Schema errors (BPMN 2.0 + spiffworkflow, or DMN), as SpiffWorkflow's validator sees them."""
    copy = etree.fromstring(text.encode("utf-8"), _XML_PARSER)  # preprocess() edits the tree
    validator = VALIDATOR if kind == "bpmn" else _dmn_validator(etree.QName(root).namespace or "")
    with _XSD_LOCK:
        validator.preprocess(copy)
        if validator.validator.validate(copy):
            return []
        errors = [(e.line, e.message) for e in validator.validator.error_log]
    label = "BPMN 2.0" if kind == "bpmn" else "DMN"
    message = "El diagrama no cumple el esquema {}: {}"
    return [
        Problem(name, line, _id_at_line(root, line), message.format(label, _short(text)))
        for line, text in errors[:20]
    ]


def _short(message: str) -> str:
    message = message.replace(f"{{{BPMN_NS}}}", "bpmn:")
    message = message.replace(f"{{{SPIFF_NS}}}", "spiffworkflow:")
    return re.sub(r"\{[^}]*\}", "", message)


def _id_at_line(root: etree._Element, line: int | None) -> str | None:
    for element in root.iter():
        if element.sourceline == line and isinstance(element.tag, str) and element.get("id"):
            return element.get("id")
    return None


def _line_of(root: etree._Element | None, element_id: str | None) -> int | None:
    if root is None or not element_id:
        return None
    for element in root.iter("{*}*"):
        if element.get("id") == element_id:
            return element.sourceline
    return None


def _executable(process: etree._Element) -> bool:
    return process.get("isExecutable", "true") == "true"  # SpiffWorkflow's default


def _dmn_tag(root: etree._Element, local: str) -> str:
    return f"{{{etree.QName(root).namespace}}}{local}"


# --- our conventions --------------------------------------------------------------------------


def check_bpmn(
    name: str, root: etree._Element, forms: set[str], decisions: set[str], processes: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    shapes = {s.get("bpmnElement") for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    for process in root.iter(_PROCESS):
        ids = {e.get("id") for e in process.iter() if isinstance(e.tag, str) and e.get("id")}
        for element in process.iter(f"{{{BPMN_NS}}}*"):
            local = etree.QName(element).localname
            problems += _check_element(name, element, local, ids, forms, decisions, processes)
            if local in FLOW_NODES and element.get("id") not in shapes:
                problems.append(_at(name, element, MSG["no_shape"], "warning"))
    return problems


def _check_element(
    name: str,
    element: etree._Element,
    local: str,
    ids: set[str],
    forms: set[str],
    decisions: set[str],
    processes: set[str],
) -> list[Problem]:
    problems: list[Problem] = []
    if local in FLOW_NODES and element.tag not in SUPPORTED_TAGS:
        problems.append(_at(name, element, MSG["unsupported"].format(local)))
    if local in EXPRESSIONS:
        problems += _expression(name, element, element.text, "eval", EXPRESSIONS[local])
    for script in ("preScript", "postScript"):
        xpath = f"./bpmn:extensionElements/spiffworkflow:{script}"
        for node in element.xpath(xpath, namespaces=NS):
            if node.text is not None:
                problems += _expression(name, node, node.text, "exec", f"El {script}")
    if local == "userTask":
        problems += _check_user_task(name, element, forms)
    elif local == "serviceTask":
        problems += _check_service_task(name, element)
    elif local == "scriptTask":
        script = element.find(f"{{{BPMN_NS}}}script")
        text = script.text if script is not None else None
        node = script if script is not None else element
        problems += _expression(name, node, text, "exec", "El script")
    elif local == "sequenceFlow":
        for attribute, verb in (("sourceRef", "sale de"), ("targetRef", "llega a")):
            ref = element.get(attribute)
            if ref not in ids:
                problems.append(_at(name, element, MSG["flow_ref"].format(verb, ref or "")))
    elif local == "boundaryEvent" and element.get("attachedToRef") not in ids:
        ref = element.get("attachedToRef") or ""
        problems.append(_at(name, element, MSG["boundary_ref"].format(ref)))
    elif local == "businessRuleTask":
        decision = element.findtext(
            f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId"
        )
        if not decision:
            problems.append(_at(name, element, MSG["no_decision"]))
        elif decision.strip() not in decisions:
            problems.append(_at(name, element, MSG["missing_decision"].format(decision.strip())))
    elif local == "callActivity" and element.get("calledElement") not in processes:
        called = element.get("calledElement") or ""
        problems.append(_at(name, element, MSG["missing_process"].format(called)))
    return problems


def _check_user_task(name: str, element: etree._Element, forms: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    properties: dict[str, str | None] = {}
    xpath = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    for prop in element.xpath(xpath, namespaces=NS):
        if prop.get("name") is None or prop.get("value") is None:
            problems.append(_at(name, prop, MSG["bad_property"]))
            continue
        properties[prop.get("name")] = prop.get("value")
    form = properties.get("formJsonSchemaFilename")
    if not form:
        problems.append(_at(name, element, MSG["no_form"]))
    elif form not in forms:
        problems.append(_at(name, element, MSG["missing_form"].format(form)))
    group = properties.get("candidateGroup")
    if not group:
        problems.append(_at(name, element, MSG["no_group"]))
    else:
        problems += _expression(name, element, group, "eval", "El grupo candidato (candidateGroup)")
    return problems


def _check_service_task(name: str, element: etree._Element) -> list[Problem]:
    operator = element.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator")
    if operator is None:
        return [_at(name, element, MSG["no_operator"])]
    problems: list[Problem] = []
    if operator.get("id") not in OPERATORS:
        message = MSG["bad_operator"].format(operator.get("id") or "", ", ".join(OPERATORS))
        problems.append(_at(name, element, message))
    for param in operator.iter(f"{{{SPIFF_NS}}}parameter"):
        if param.get("id") is None or param.get("type") is None:
            problems.append(_at(name, param, "Un parámetro del servicio no tiene id o type."))
        elif param.get("value") is not None:
            label = f"El parámetro «{param.get('id')}» del servicio"
            problems += _expression(name, param, param.get("value"), "eval", label)
    return problems


def check_dmn(name: str, root: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    for tag, label in (
        ("inputExpression", "La expresión de entrada"),
        ("outputEntry", "La salida"),
    ):
        for node in root.iter(_dmn_tag(root, tag)):
            text = node.findtext(_dmn_tag(root, "text"))
            problems += _expression(name, node, text, "eval", f"{label} de la tabla de decisión")
    for node in root.iter(_dmn_tag(root, "inputEntry")):
        text = (node.findtext(_dmn_tag(root, "text")) or "").strip()
        if text in ("", "-"):
            continue
        # As SpiffWorkflow's DMNEngine reads it: `? in (...)`, a value, or `> 5` after the input.
        candidates = [text.replace("?", "x")] if "?" in text else [text, f"x {text}"]
        errors = [check_source(c, "eval") for c in candidates]
        if all(errors):
            problems.append(_at(name, node, MSG["bad_entry"].format("; ".join(errors[0]))))
    return problems


def _expression(
    name: str, node: etree._Element, text: str | None, mode: Mode, what: str
) -> list[Problem]:
    """A script or expression from the diagram, checked by the restricted evaluator."""
    if text is None or not text.strip():
        return [_at(name, node, f"{what} está vacío.")]
    errors = check_source(text, mode)
    if not errors:
        return []
    line = node.sourceline
    match = re.match(r"Line (\d+):", errors[0])
    if line is not None and match:
        line += int(match.group(1)) - 1
    kind = "El código" if mode == "exec" else "La expresión"
    message = f"{what} no se puede ejecutar. {kind} «{_clip(text)}» tiene: {'; '.join(errors)}"
    return [Problem(name, line, _owner_id(node), message)]


def _clip(text: str, size: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def _owner_id(node: etree._Element) -> str | None:
    """The id of the flow element (task, event, flow…) a node belongs to."""
    fallback = None
    for element in (node, *node.iterancestors()):
        element_id = element.get("id")
        if element_id and etree.QName(element).localname in _OWNERS:
            return element_id
        fallback = fallback or element_id
    return fallback


def _at(name: str, node: etree._Element, message: str, severity: str = "error") -> Problem:
    return Problem(name, node.sourceline, _owner_id(node), message, severity)


# --- forms -----------------------------------------------------------------------------------


def check_form(name: str, text: str) -> list[Problem]:
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(name, exc.lineno, None, MSG["form_json"].format(exc.msg, exc.colno))]
    if not isinstance(schema, dict):
        return [Problem(name, 1, None, "El formulario debe ser un objeto JSON (un JSON Schema).")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        line = _json_line(text, exc.absolute_path)
        message = MSG["form_schema"].format(exc.json_path, exc.message)
        return [Problem(name, line, None, message)]
    return []


def _json_line(text: str, path: Iterable[Any]) -> int | None:
    """Approximate line of a JSON path: each key searched after the previous one."""
    position = 0
    for key in path:
        if isinstance(key, str):
            found = text.find(json.dumps(key), position)
            if found < 0:
                return None
            position = found
    return text.count("\n", 0, position) + 1


# --- SpiffWorkflow's own parse ---------------------------------------------------------------


def _parse_with_spiff(
    texts: dict[str, str], roots: dict[str, etree._Element], earlier: list[Problem]
) -> list[Problem]:
    """Parse the schema-valid files exactly as the engine will; report what it rejects."""
    problems: list[Problem] = []
    parser = AppParser()
    for name, text in texts.items():
        try:
            if name.lower().endswith(".bpmn"):
                parser.add_bpmn_str(text.encode("utf-8"), filename=name)
            else:
                parser.add_dmn_str(text.encode("utf-8"), filename=name)
        except Exception as exc:
            problems.append(_from_exception(exc, name, roots))
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        try:
            dmn_parser.parse()
        except Exception as exc:
            file = getattr(dmn_parser, "filename", None) or _file_of(roots, decision_id) or ""
            problems.append(_from_exception(exc, file, roots))
    for process_id in parser.get_process_ids():
        try:
            parser.get_spec(process_id)
            parser.get_subprocess_specs(process_id)
        except Exception as exc:
            problems.append(_from_exception(exc, _file_of(roots, process_id) or "", roots))
    reported = {(p.file, p.element_id) for p in earlier if p.severity == "error" and p.element_id}
    return [p for p in problems if (p.file, p.element_id) not in reported]


def _from_exception(exc: Exception, file: str, roots: dict[str, etree._Element]) -> Problem:
    if not isinstance(exc, ValidationException):
        return Problem(file, None, None, MSG["engine_error"].format(type(exc).__name__, exc))
    text = str(exc.args[0]) if exc.args else str(exc)
    element_id = exc.id or None
    file = exc.file_name or (_file_of(roots, element_id) if element_id else None) or file
    message = f"El motor rechazó el diagrama: {text.strip()}"
    if "no support implemented" in text:
        message = MSG["unsupported"].format(exc.tag.removeprefix("bpmn:"))
    elif match := re.search(r"perhaps a form has the same ID\? \((.*)\)", text):
        flow = _find(roots.get(file), f"{{{BPMN_NS}}}sequenceFlow", "targetRef", match.group(1))
        element_id = flow.get("id") if flow is not None else element_id
        message = MSG["flow_ref"].format("llega a", match.group(1))
    elif match := re.search(r"No DMN Diagram available with id \"(.*?)\"", text):
        message = MSG["missing_decision"].format(match.group(1))
    elif match := re.search(r"The process '(.*?)' was not found", text):
        for name, root in roots.items():
            call = _find(root, f"{{{BPMN_NS}}}callActivity", "calledElement", match.group(1))
            if call is not None:
                file, element_id = name, call.get("id")
                break
        message = MSG["missing_process"].format(match.group(1))
    elif "without condition" in text:
        message = MSG["no_condition"]
    elif text.startswith("Duplicate process ID"):
        message = f"El id de proceso «{exc.id}» está repetido en el paquete."
    line = exc.line_number if isinstance(exc.line_number, int) else None
    return Problem(file, line or _line_of(roots.get(file), element_id), element_id, message)


def _find(root: etree._Element | None, tag: str, attribute: str, value: str) -> Any:
    if root is None:
        return None
    return next((e for e in root.iter(tag) if e.get(attribute) == value), None)


def _file_of(roots: dict[str, etree._Element], element_id: str | None) -> str | None:
    return next((n for n, r in roots.items() if _line_of(r, element_id) is not None), None)


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    unique = [p for p in problems if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
    return sorted(unique, key=lambda p: (p.file, p.line or 0))
