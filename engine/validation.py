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

from engine import validation_messages as es
from engine.sandbox import Mode, check_source
from engine.script_checks import check_script
from engine.specs import AppParser

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "spiffworkflow": SPIFF_NS}

OPERATORS = (
    "legacy_lookup",
    "notify",
    "audit_sample",
    "audit_report",
    "audit_pdf",
    "monthly_report",
    "report_mail",
)

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
    "no_process_here": (
        'El diagrama no tiene ningún proceso ejecutable (isExecutable="true") y ningún otro '
        "del paquete lo tiene."
    ),
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
    "no_called": "La actividad de llamada no dice qué proceso llama (calledElement).",
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
    "form_schema": "El formulario no es un JSON Schema válido en {}: {}.",
    "engine_error": (
        "El motor no pudo leer el diagrama por un error interno; avise al equipo técnico."
    ),
    "engine_rejects": "El motor no acepta {}: {}.",
    "engine_generic": (
        "El motor no acepta {} tal como está definido; revise sus propiedades en el modelador."
    ),
    "unreachable": (
        "{} no se puede alcanzar: ningún camino de flujos lleva a {} desde un evento de inicio."
    ),
    "bad_default": ("El flujo por defecto de {} es «{}», que no es uno de sus flujos de salida."),
    "no_condition": (
        "El flujo sale de una compuerta sin condición y no es el flujo por defecto de la compuerta."
    ),
}

# A condition in another engine's language (JUEL ``${…}``, FEEL ``=…``): explained by
# engine.foreign_bpmn instead of as a Python syntax error.
FOREIGN_EXPRESSION = re.compile(r"^\s*(\$\{|#\{|=)")

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
    except Exception:  # the validator itself must not become the error
        message = (
            "Error interno del validador; el paquete no se pudo revisar. Avise al equipo técnico."
        )
        problems = [Problem(_first_file(files), None, None, message)]
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
        problems += _check_first_response_timer(name, root)
    for name, root in dmn.items():
        table_problems = _check_decision_table(name, root)
        if table_problems:  # SpiffWorkflow would only crash on it: not given to its parser
            schema_valid.discard(name)
        problems += table_problems + check_dmn(name, root)
    unreadable = any(str(n).lower().endswith(".bpmn") and str(n) not in bpmn for n in files)
    if not unreadable and not any(_executable(p) for r in bpmn.values() for p in r.iter(_PROCESS)):
        problems += _no_process(bpmn)
    valid = {n: t for n, t in texts.items() if n in schema_valid}
    problems += _parse_with_spiff(valid, {**bpmn, **dmn}, problems)
    return problems


def _check_first_response_timer(name: str, root: etree._Element) -> list[Problem]:
    """The case process must keep its first-response alert as a date timer: filing a case
    evaluates it to record the deadline (engine.runtime.FIRST_RESPONSE_TIMER)."""
    from engine.cases import CASE_PROCESS, FIRST_RESPONSE_TIMER

    for process in root.iter(_PROCESS):
        if process.get("id") != CASE_PROCESS:
            continue
        timer = process.xpath(
            f'.//*[@id="{FIRST_RESPONSE_TIMER}"]/bpmn:timerEventDefinition/bpmn:timeDate',
            namespaces=NS,
        )
        if not timer:
            return [
                Problem(
                    name,
                    process.sourceline,
                    process.get("id"),
                    f"El proceso del caso debe conservar el temporizador de la alerta de primera "
                    f"respuesta ({FIRST_RESPONSE_TIMER}) con una fecha (timeDate), p. ej. "
                    "sumar_horas(caso['radicado_en'], 24): de él sale el plazo que se le informa "
                    "al ciudadano.",
                )
            ]
    return []


# --- files and XML ----------------------------------------------------------------------------


def _no_process(bpmn: dict[str, etree._Element]) -> list[Problem]:
    """No executable process: said on each diagram (the bundle itself only if it has none)."""
    if not bpmn:
        return [Problem("", None, None, MSG["no_process"])]
    problems = []
    for name, root in bpmn.items():
        process = next(root.iter(_PROCESS), None)
        where = process if process is not None else root
        problems.append(Problem(name, where.sourceline, where.get("id"), MSG["no_process_here"]))
    return problems


def _first_file(files: object) -> str:
    try:
        return str(min(files, key=str)) if files else ""  # type: ignore[call-overload]
    except Exception:
        return ""


def _as_text(name: str, value: object, problems: list[Problem]) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = value.count(b"\n", 0, exc.start) + 1
            message = f"El archivo no es texto UTF-8 (byte {exc.start})."
            problems.append(Problem(name, line, None, message))
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
        message = re.sub(r"\s*,? line \d+, column \d+$", "", " ".join(str(exc.msg).split()))
        detail = es.xml_syntax(message)
        where = f" (columna {column})" if column else ""
        problems.append(Problem(name, line, None, MSG["not_xml"].format(detail + where)))
        return None
    except ValueError:  # NUL and other characters XML cannot hold
        message = "El archivo no es XML válido: contiene caracteres nulos o de control."
        problems.append(Problem(name, 1, None, message))
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
    message = "El diagrama no cumple el esquema {}: {}."
    return [
        Problem(name, line, _id_at_line(root, line), message.format(label, es.xsd(_short(text))))
        for line, text in errors[:20]
    ]


def _short(message: str) -> str:
    message = message.replace(f"{{{BPMN_NS}}}", "bpmn:")
    message = message.replace(f"{{{SPIFF_NS}}}", "spiffworkflow:")
    return re.sub(r"\{(?:[a-z]+:|https?://)[^}]*\}", "", message)  # other namespaces


def _id_at_line(root: etree._Element, line: int | None) -> str | None:
    """The element an error on ``line`` belongs to (a task, for its misplaced bpmn:outgoing)."""
    at_line = [e for e in root.iter() if e.sourceline == line and isinstance(e.tag, str)]
    with_id = [e for e in at_line if e.get("id")]
    for element in with_id or at_line:
        return _owner_id(element)
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
        problems += _check_flow(name, process)
    from engine import foreign_bpmn  # it builds on this module's helpers

    problems += foreign_bpmn.check(name, root)
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
    if local in EXPRESSIONS and not FOREIGN_EXPRESSION.match(element.text or ""):
        problems += _expression(name, element, element.text, "eval", EXPRESSIONS[local])
    xpath = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    for prop in element.xpath(xpath, namespaces=NS):  # any task may carry properties
        if prop.get("name") is None or prop.get("value") is None:
            problems.append(_at(name, prop, MSG["bad_property"]))
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
    elif local == "callActivity" and not element.get("calledElement"):
        problems.append(_at(name, element, MSG["no_called"]))
    elif local == "callActivity" and element.get("calledElement") not in processes:
        called = element.get("calledElement") or ""
        problems.append(_at(name, element, MSG["missing_process"].format(called)))
    return problems


# --- the flow: defaults and what no path reaches -----------------------------------------------

_CONTAINERS = frozenset({"process", "subProcess", "transaction"})
_ACTIVITIES = frozenset(
    {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
     "businessRuleTask", "callActivity", "subProcess", "adHocSubProcess", "transaction"}
)  # fmt: skip


def _check_flow(name: str, container: etree._Element) -> list[Problem]:
    """In one process or subprocess: defaults that are not an outgoing flow, and flow nodes no
    path of sequence flows reaches from a start event (nested subprocesses are checked too)."""
    problems: list[Problem] = []
    nodes = {
        e.get("id"): e
        for e in container.iterchildren(f"{{{BPMN_NS}}}*")
        if etree.QName(e).localname in FLOW_NODES and e.get("id")
    }
    outgoing: dict[str, list[str]] = {}
    for flow in container.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow.get("id") or "")
    targets = {
        f.get("id"): f.get("targetRef")
        for f in container.iterchildren(f"{{{BPMN_NS}}}sequenceFlow")
    }
    for node_id, node in nodes.items():
        default = node.get("default")
        if default is not None and default not in outgoing.get(node_id, []):
            what = "la compuerta" if "Gateway" in etree.QName(node).localname else "la actividad"
            problems.append(_at(name, node, MSG["bad_default"].format(what, default)))
        if etree.QName(node).localname in _CONTAINERS and node.get("triggeredByEvent") != "true":
            problems += _check_flow(name, node)
    problems += _unreachable(name, nodes, outgoing, targets)
    return problems


def _unreachable(
    name: str,
    nodes: dict[str, etree._Element],
    outgoing: dict[str, list[str]],
    targets: dict[str, str | None],
) -> list[Problem]:
    def kind(node: etree._Element) -> str:
        return etree.QName(node).localname

    starts = [
        i
        for i, n in nodes.items()
        if kind(n) == "startEvent" or n.get("triggeredByEvent") == "true"
    ]
    broken = any(t not in nodes for t in targets.values())
    if not starts or broken:
        return []  # reported as such (no start event, a flow to nowhere), not as a cascade
    links: dict[str, list[str]] = {}  # link name -> catching events
    for node_id, node in nodes.items():
        link = node.find(f"{{{BPMN_NS}}}linkEventDefinition")
        if kind(node) == "intermediateCatchEvent" and link is not None:
            links.setdefault(link.get("name") or "", []).append(node_id)
    attached: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        if kind(node) == "boundaryEvent":
            attached.setdefault(node.get("attachedToRef") or "", []).append(node_id)
    reached: set[str] = set()
    stack = list(starts)
    while stack:
        node_id = stack.pop()
        if node_id in reached or node_id not in nodes:
            continue
        reached.add(node_id)
        node = nodes[node_id]
        stack += [targets.get(f) or "" for f in outgoing.get(node_id, [])]
        stack += attached.get(node_id, [])
        link = node.find(f"{{{BPMN_NS}}}linkEventDefinition")
        if kind(node) == "intermediateThrowEvent" and link is not None:
            stack += links.get(link.get("name") or "", [])
    problems = []
    for node_id, node in nodes.items():
        if node_id in reached or kind(node) == "boundaryEvent":
            continue  # a boundary event is unreachable only with its activity, reported itself
        if kind(node) in _ACTIVITIES:
            subject, pronoun = "La actividad", "ella"
        elif "Gateway" in kind(node):
            subject, pronoun = "La compuerta", "ella"
        else:
            subject, pronoun = "El evento", "él"
        message = MSG["unreachable"].format(subject, pronoun)
        problems.append(_at(name, node, message, "warning"))  # it never runs, so it harms no case
    return problems


def _check_user_task(name: str, element: etree._Element, forms: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    properties: dict[str, str | None] = {}
    xpath = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    for prop in element.xpath(xpath, namespaces=NS):
        if prop.get("name") is not None and prop.get("value") is not None:
            properties[prop.get("name")] = prop.get("value")  # else reported by _check_element
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
        missing = [a for a in ("id", "type", "value") if param.get(a) is None]
        if missing:
            attributes = " y ".join(missing)
            message = (
                f"A un parámetro del servicio le falta el atributo {attributes}."
                if len(missing) == 1
                else f"A un parámetro del servicio le faltan los atributos {attributes}."
            )
            problems.append(_at(name, param, message))
        else:
            label = f"El parámetro «{param.get('id')}» del servicio"
            problems += _expression(name, param, param.get("value"), "eval", label)
    return problems


def _check_decision_table(name: str, root: etree._Element) -> list[Problem]:
    """What SpiffWorkflow's DMN parser needs and crashes without: one decision per file, with an
    id, holding a decision table whose parts have ids and whose rules fit its columns."""
    decisions = list(root.iter(_dmn_tag(root, "decision")))
    if not decisions:
        return [
            Problem(name, root.sourceline, root.get("id"), "El archivo no tiene ninguna decisión.")
        ]
    if len(decisions) > 1:
        message = (
            f"El archivo tiene {len(decisions)} decisiones y el motor lee una sola por archivo; "
            "ponga cada tabla de decisión en su propio archivo .dmn."
        )
        return [_at(name, decisions[1], message)]
    if decisions and not decisions[0].get("id"):
        return [_at(name, decisions[0], "La decisión no tiene id.")]
    if decisions and decisions[0].find(_dmn_tag(root, "decisionTable")) is None:
        message = (
            "La decisión no tiene tabla de decisión (decisionTable); el motor solo ejecuta "
            "tablas de decisión."
        )
        return [_at(name, decisions[0], message)]
    return _check_table_parts(name, root)


_TABLE_PARTS = {
    "input": "La entrada",
    "output": "La salida",
    "rule": "La regla",
    "inputEntry": "La condición de la regla",
    "outputEntry": "El resultado de la regla",
}


def _check_table_parts(name: str, root: etree._Element) -> list[Problem]:
    problems = []
    for local, label in _TABLE_PARTS.items():
        for part in root.iter(_dmn_tag(root, local)):
            if not part.get("id"):
                problems.append(_at(name, part, f"{label} de la tabla de decisión no tiene id."))
    for table in root.iter(_dmn_tag(root, "decisionTable")):
        columns = {kind: len(table.findall(_dmn_tag(root, kind))) for kind in ("input", "output")}
        for rule in table.iter(_dmn_tag(root, "rule")):
            for kind, noun, column in (
                ("input", "condiciones", "de entrada"),
                ("output", "resultados", "de salida"),
            ):
                found = len(rule.findall(_dmn_tag(root, f"{kind}Entry")))
                if found > columns[kind]:
                    plural = "columna" if columns[kind] == 1 else "columnas"
                    message = (
                        f"La regla tiene {found} {noun} y la tabla solo {columns[kind]} "
                        f"{plural} {column}."
                    )
                    problems.append(_at(name, rule, message))
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
        errors = [check_source(c, "eval") + check_script(c, "eval") for c in candidates]
        if all(errors):
            detail = "; ".join(es.script_error(e)[1] for e in errors[0])
            problems.append(_at(name, node, MSG["bad_entry"].format(detail)))
    return problems


def _expression(
    name: str, node: etree._Element, text: str | None, mode: Mode, what: str
) -> list[Problem]:
    """A script or expression from the diagram, checked by the restricted compiler and by the
    static checks of engine.script_checks; nothing is run. One problem per error, on its line."""
    if text is None or not text.strip():
        empty = "vacía" if what.startswith("La ") else "vacío"  # every label starts El/La
        return [_at(name, node, f"{what} está {empty}.")]
    try:
        errors = check_source(text, mode) + check_script(text, mode)
    except (ValueError, MemoryError, RecursionError):
        errors = ["línea 1: el texto no se puede leer como código"]
    kind = "El código" if mode == "exec" else "La expresión"
    by_line: dict[int | None, list[str]] = {}
    for error in errors:
        script_line, detail = es.script_error(error)
        line = node.sourceline
        if line is not None and script_line is not None:
            line += script_line - 1
        by_line.setdefault(line, []).append(detail)
    return [
        Problem(
            name,
            line,
            _owner_id(node),
            f"{what} no se puede ejecutar: {'; '.join(details)}. {kind}: «{_clip(text)}».",
        )
        for line, details in by_line.items()
    ]


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


at = _at  # for the checks of diagrams from other tools (engine.foreign_bpmn)


# --- forms -----------------------------------------------------------------------------------


def check_form(name: str, text: str) -> list[Problem]:
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        detail = es.json_syntax(exc.msg)
        return [Problem(name, exc.lineno, None, MSG["form_json"].format(detail, exc.colno))]
    if not isinstance(schema, dict):
        return [Problem(name, 1, None, "El formulario debe ser un objeto JSON (un JSON Schema).")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        line = _json_line(text, exc.absolute_path)
        detail = es.json_schema(
            exc.json_path, str(exc.validator), exc.instance, exc.validator_value
        )
        message = MSG["form_schema"].format(exc.json_path, detail)
        return [Problem(name, line, None, message)]
    return _form_conventions(name, text, schema)


FIELD_TYPES = ("string", "integer", "number", "boolean", "array")
FIELD_WIDGETS = frozenset(
    {
        "text",
        "textarea",
        "number",
        "date",
        "datetime",
        "email",
        "checkbox",
        "checkboxes",
        "file",
        "select",
        "radio",
        "hidden",
    }
)  # fmt: skip (what web/templates/_fields.html draws)


def _form_conventions(name: str, text: str, schema: dict[str, Any]) -> list[Problem]:
    """Our conventions for task forms (docs/bpmn-conventions.md): an object of titled fields
    of the types the task page draws; problems carry the field name as their element."""
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return [Problem(name, 1, None, 'El formulario debe ser "type": "object" con "properties".')]
    problems = []
    properties = schema["properties"]
    for field, prop in properties.items():
        line = _json_line(text, ["properties", field])
        if not isinstance(prop, dict):
            problems.append(Problem(name, line, field, f"El campo «{field}» no es un objeto."))
            continue
        kind, widget = prop.get("type"), prop.get("x-widget")
        if kind not in FIELD_TYPES:
            problems.append(
                Problem(
                    name,
                    line,
                    field,
                    f"El campo «{field}» debe tener un tipo de los que la página de la tarea "
                    f"sabe mostrar ({', '.join(FIELD_TYPES)}); tiene «{kind}».",
                )
            )
        if widget is not None and widget not in FIELD_WIDGETS:
            problems.append(
                Problem(
                    name,
                    line,
                    field,
                    f"El campo «{field}» pide el control «{widget}», que no existe; use uno de: "
                    f"{', '.join(sorted(FIELD_WIDGETS))}.",
                )
            )
        if not prop.get("title"):
            problems.append(
                Problem(
                    name,
                    line,
                    field,
                    f"El campo «{field}» no tiene título (title): la persona vería su nombre "
                    "interno.",
                    "warning",
                )
            )
    for field in schema.get("required", []):
        if field not in properties:
            problems.append(
                Problem(
                    name,
                    _json_line(text, ["required"]),
                    None,
                    f"«{field}» está en required pero no es un campo del formulario.",
                )
            )
    return problems


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
    reported |= _callers_of_unparsed_decisions(texts, roots)
    return [p for p in problems if (p.file, p.element_id) not in reported]


def _callers_of_unparsed_decisions(
    texts: dict[str, str], roots: dict[str, etree._Element]
) -> set[tuple[str, str | None]]:
    """Business rule tasks whose decision table is in a file kept from SpiffWorkflow (its
    problem is already reported there; the engine would only add a misleading one here)."""
    unparsed = {
        d.get("id")
        for name, root in roots.items()
        if name.lower().endswith(".dmn") and name not in texts
        for d in root.iter(_dmn_tag(root, "decision"))
    }
    xpath = "./bpmn:extensionElements/spiffworkflow:calledDecisionId"
    return {
        (name, task.get("id"))
        for name, root in roots.items()
        if name.lower().endswith(".bpmn")
        for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask")
        if any((d.text or "").strip() in unparsed for d in task.xpath(xpath, namespaces=NS))
    }


def _from_exception(exc: Exception, file: str, roots: dict[str, etree._Element]) -> Problem:
    """SpiffWorkflow's complaint in Spanish, on its file, line and element when they exist."""
    if not isinstance(exc, ValidationException):
        return Problem(file, None, None, MSG["engine_error"])
    text = str(exc.args[0]) if exc.args else str(exc)
    element_id = exc.id or None
    file = exc.file_name or (_file_of(roots, element_id) if element_id else None) or file
    root = roots.get(file)
    label = _label(root, element_id, exc.tag)
    message = None
    if "no support implemented" in text:
        message = MSG["unsupported"].format(exc.tag.removeprefix("bpmn:"))
    elif match := re.search(r"perhaps a form has the same ID\? \((.*)\)", text):
        flow = _find(root, f"{{{BPMN_NS}}}sequenceFlow", "targetRef", match.group(1))
        element_id = flow.get("id") if flow is not None else element_id
        message = MSG["flow_ref"].format("llega a", match.group(1))
    elif match := re.search(r"No DMN Diagram available with id \"(.*?)\"", text):
        message = MSG["missing_decision"].format(match.group(1))
    elif match := re.search(r"The process '(.*?)' was not found", text):
        for name, candidate in roots.items():
            call = _find(candidate, f"{{{BPMN_NS}}}callActivity", "calledElement", match.group(1))
            if call is not None:
                file, element_id = name, call.get("id")
                break
        message = MSG["missing_process"].format(match.group(1))
    elif "without condition" in text:
        message = MSG["no_condition"]
    elif text.startswith("Duplicate process ID"):
        message = f"El id de proceso «{exc.id}» está repetido en el paquete."
    elif match := re.search(r"Data Store with name (.*) has no implementation", text):
        store = _find(root, f"{{{BPMN_NS}}}dataStore", "name", match.group(1))
        element_id = store.get("id") if store is not None else element_id
        message = MSG["engine_rejects"].format(
            "almacenes de datos",
            f"«{match.group(1)}» no tiene implementación; quítelo del diagrama",
        )
    elif match := re.search(r"Cannot resolve data(Input|Output)Association", text):
        message = _data_association(root, element_id, match.group(1))
    elif "unexpected keyword argument 'node'" in text or re.search(r"Expected an? \w+ node", text):
        message = _event_reference(root, element_id)
    if element_id is None and (
        match := re.search(r"^(\w+)(?: Store)? (?:identifier|name) is", text)
    ):
        tag = "dataStore" if text.startswith("Data Store") else match.group(1).lower()
        unnamed = (
            next(
                (
                    e
                    for e in root.iter(f"{{{BPMN_NS}}}{tag}")
                    if not e.get("id") or not e.get("name")
                ),
                None,
            )
            if root is not None
            else None
        )
        line_hint = unnamed.sourceline if unnamed is not None else None
    else:
        line_hint = None
    if message is None:
        spanish = es.spiff(text)
        message = (
            MSG["engine_rejects"].format(label, spanish)
            if spanish
            else MSG["engine_generic"].format(label)
        )
    line = exc.line_number if isinstance(exc.line_number, int) else None
    line = line or _line_of(roots.get(file), element_id) or line_hint
    return Problem(file, line, element_id, message)


def _label(root: etree._Element | None, element_id: str | None, tag: str | None) -> str:
    """How a message names an element: «Revisar» (bpmn:userTask), or the element's kind."""
    element = _find(root, "{*}*", "id", element_id) if element_id else None
    if element is None and not tag:
        return "el diagrama"
    kind = es.element_label(tag or etree.QName(element).localname)
    name = element.get("name") if element is not None else None
    return f"«{name}» ({kind})" if name else f"este elemento ({kind})"


def _data_association(root: etree._Element | None, element_id: str | None, way: str) -> str:
    element = _find(root, "{*}*", "id", element_id) if element_id else None
    ref = "sourceRef" if way == "Input" else "targetRef"
    refs = (
        element.xpath(f"./bpmn:data{way}Association/bpmn:{ref}", namespaces=NS)
        if element is not None
        else []
    )
    ids = {e.get("id") for e in root.iter()} if root is not None else set()
    missing = [r.text for r in refs if (r.text or "").strip()]
    target = next((t for t in missing if t not in ids), missing[0] if missing else "")
    direction = "entrada" if way == "Input" else "salida"
    return (
        f"La asociación de datos de {direction} apunta a «{target}», que no es un objeto ni un "
        "almacén de datos de este proceso."
    )


_EVENT_REFS = {
    "messageRef": "el mensaje",
    "signalRef": "la señal",
    "errorRef": "el error",
    "escalationRef": "el escalamiento",
}


def _event_reference(root: etree._Element | None, element_id: str | None) -> str:
    element = _find(root, "{*}*", "id", element_id) if element_id else None
    ids = {e.get("id") for e in root.iter()} if root is not None else set()
    for definition in element.iterchildren() if element is not None else ():
        for attribute, noun in _EVENT_REFS.items():
            ref = definition.get(attribute)
            if ref and ref not in ids:
                return f"El evento usa {noun} «{ref}», que no existe en el archivo."
    return "El evento hace referencia a un mensaje, señal, error o escalamiento que no existe."


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
