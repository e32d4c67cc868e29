"""What changed between two versions of the definition, element by element, in Spanish.

Diagrams are compared by element id (the drawing, ``bpmndi``, is left out): added, removed and
changed elements with what changed in them — name, condition, timer, script, our properties,
service operator and parameters, flows. Decision tables by rule, forms by field.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BPMN_DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DI_NAMESPACES = (
    BPMN_DI,
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
)
# Children whose text is a property of their element, with the words owners know them by.
TEXT_PARTS = {
    "conditionExpression": "Condición",
    "timeDuration": "Temporizador (duración)",
    "timeDate": "Temporizador (fecha)",
    "timeCycle": "Temporizador (ciclo)",
    "script": "Script",
    "preScript": "Script previo",
    "postScript": "Script posterior",
    "calledDecisionId": "Tabla de decisión",
    "documentation": "Documentación",
}
ATTRIBUTES = {
    "name": "Nombre",
    "default": "Flujo por defecto",
    "sourceRef": "Origen",
    "targetRef": "Destino",
    "attachedToRef": "Adjunto a",
    "cancelActivity": "Interrumpe",
}


# Elements with an id of their own that are parts of their parent, compared with it.
PARTS = frozenset(
    {
        "extensionElements",
        "conditionExpression",
        "timerEventDefinition",
        "messageEventDefinition",
        "inputEntry",
        "outputEntry",
    }
)


@dataclass
class Change:
    file: str
    element_id: str
    label: str
    kind: str  # "agregado" | "eliminado" | "modificado"
    details: list[str] = field(default_factory=list)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _facts(element: Any) -> dict[str, str]:
    """What an element means to the engine, as label -> text."""
    facts = {"Tipo": _local(element.tag)}
    if facts["Tipo"] == "rule":  # a decision table's row: its cells in order
        for kind, label in (("inputEntry", "Entrada"), ("outputEntry", "Salida")):
            cells = [c for c in element if isinstance(c.tag, str) and _local(c.tag) == kind]
            for number, cell in enumerate(cells, 1):
                facts[f"{label} {number}"] = "".join(cell.itertext()).strip()
        return facts
    for attribute, label in ATTRIBUTES.items():
        if element.get(attribute) is not None:
            facts[label] = element.get(attribute)
    for child in _own_parts(element):
        name = _local(child.tag)
        if name in TEXT_PARTS and (child.text or "").strip():
            facts[TEXT_PARTS[name]] = child.text.strip()
        elif name == "property":
            facts[f"Propiedad {child.get('name')}"] = child.get("value", "")
        elif name == "serviceTaskOperator":
            facts["Operador"] = child.get("id", "")
            if child.get("resultVariable"):
                facts["Variable del resultado"] = child.get("resultVariable")
        elif name == "parameter":
            facts[f"Parámetro {child.get('id')}"] = child.get("value", "")
    return facts


def _own_parts(element: Any) -> list[Any]:
    """The element's descendants that belong to it, not to a nested element of its own."""
    parts, pending = [], list(element)
    while pending:
        child = pending.pop()
        if not isinstance(child.tag, str):
            continue
        if child.get("id") and _local(child.tag) not in PARTS:
            continue
        parts.append(child)
        pending.extend(child)
    return parts


def _elements(text: str) -> dict[str, Any]:
    root = etree.fromstring(text.encode("utf-8"))
    found = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element.tag).namespace in DI_NAMESPACES:
            continue
        if element.get("id") and element is not root and _local(element.tag) not in PARTS:
            found[element.get("id")] = element
    return found


def _compare_xml(path: str, old: str, new: str) -> list[Change]:
    try:
        before, after = _elements(old), _elements(new)
    except etree.XMLSyntaxError:
        return [Change(path, "", path, "modificado", ["El archivo no es XML válido."])]
    changes = []
    for element_id in sorted(before.keys() | after.keys()):
        was, now = before.get(element_id), after.get(element_id)
        label = (now if now is not None else was).get("name") or element_id
        if was is None:
            changes.append(Change(path, element_id, label, "agregado"))
        elif now is None:
            changes.append(Change(path, element_id, label, "eliminado"))
        else:
            old_facts, new_facts = _facts(was), _facts(now)
            details = [
                f"{key}: «{old_facts.get(key, '')}» → «{new_facts.get(key, '')}»"
                for key in sorted(old_facts.keys() | new_facts.keys())
                if old_facts.get(key) != new_facts.get(key)
            ]
            if details:
                changes.append(Change(path, element_id, label, "modificado", details))
    return changes


def _compare_form(path: str, old: str, new: str) -> list[Change]:
    before = json.loads(old).get("properties", {})
    after = json.loads(new).get("properties", {})
    changes = []
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        label = (now or was).get("title", name)
        if was is None:
            changes.append(Change(path, name, label, "agregado"))
        elif now is None:
            changes.append(Change(path, name, label, "eliminado"))
        elif was != now:
            details = [
                f"{key}: «{json.dumps(was.get(key), ensure_ascii=False)}» → "
                f"«{json.dumps(now.get(key), ensure_ascii=False)}»"
                for key in sorted(was.keys() | now.keys())
                if was.get(key) != now.get(key)
            ]
            changes.append(Change(path, name, label, "modificado", details))
    return changes


def compare(old_files: dict[str, str], new_files: dict[str, str]) -> list[Change]:
    """Every change from ``old_files`` to ``new_files``, file by file."""
    changes = []
    for path in sorted(old_files.keys() | new_files.keys()):
        old, new = old_files.get(path), new_files.get(path)
        if old == new:
            continue
        if old is None or new is None:
            kind = "agregado" if old is None else "eliminado"
            changes.append(Change(path, "", path, kind, ["Archivo completo."]))
        elif path.endswith(".json"):
            changes.extend(_compare_form(path, old, new))
        else:
            changes.extend(_compare_xml(path, old, new))
    return changes
