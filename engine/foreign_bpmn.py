"""What a diagram drawn in another tool (Camunda, Zeebe, Flowable, Activiti, Bizagi…) carries
that this engine does not read, explained element by element in Spanish.

The validator adds these to its problems, so an imported diagram opens in the modeler with each
one marked on its element: an attribute of another engine is ignored here (a warning that says
what to use instead), a script in another language or a condition in JUEL/FEEL cannot run (an
error), and an ISO 8601 duration without quotes is not a Python expression (an error).
"""

import re

from lxml import etree

from engine.validation import BPMN_NS, FOREIGN_EXPRESSION, Problem, at

TOOLS = {
    "http://camunda.org/schema/1.0/bpmn": "Camunda 7",
    "http://activiti.org/bpmn": "Activiti/Camunda 7",
    "http://camunda.org/schema/zeebe/1.0": "Camunda 8 (Zeebe)",
    "http://camunda.org/schema/modeler/1.0": "Camunda Modeler",
    "http://flowable.org/bpmn": "Flowable",
    "http://www.bizagi.com/bpmn20": "Bizagi",
    "http://www.signavio.com": "Signavio",
}
# What to use here instead, for the attributes and extension elements owners meet most.
INSTEAD = {
    "formKey": "indique el formulario en la propiedad «Formulario (archivo en forms/)»",
    "formRef": "indique el formulario en la propiedad «Formulario (archivo en forms/)»",
    "formDefinition": "indique el formulario en la propiedad «Formulario (archivo en forms/)»",
    "userTaskForm": "indique el formulario en la propiedad «Formulario (archivo en forms/)»",
    "candidateGroups": "indique el grupo en la propiedad «Grupo candidato (expresión)»",
    "candidateUsers": "este motor asigna por grupo: use «Grupo candidato (expresión)»",
    "assignee": "este motor asigna por grupo: use «Grupo candidato (expresión)»",
    "assignmentDefinition": "indique el grupo en la propiedad «Grupo candidato (expresión)»",
    "class": "use un «Operador del servicio» (notify, legacy_lookup…)",
    "delegateExpression": "use un «Operador del servicio» (notify, legacy_lookup…)",
    "expression": "use un «Operador del servicio» o una tarea de script en Python",
    "type": "use un «Operador del servicio» (notify, legacy_lookup…)",
    "topic": "use un «Operador del servicio» (notify, legacy_lookup…)",
    "taskDefinition": "use un «Operador del servicio» (notify, legacy_lookup…)",
    "inputOutput": "los datos del caso pasan solos de una tarea a otra",
    "ioMapping": "los datos del caso pasan solos de una tarea a otra",
    "executionListener": "use una tarea de script o un script previo",
    "taskListener": "use un script previo («Script previo (al quedar lista)»)",
    "calledDecision": "use una tarea de regla de negocio con «Tabla de decisión»",
    "decisionRef": "use una tarea de regla de negocio con «Tabla de decisión»",
}
PYTHON = {"", "python", "text/x-python", "application/x-python"}
ISO_UNQUOTED = re.compile(r"^\s*(R\d*/|P(?=\d|T)|\d{4}-\d{2}-\d{2}T)[\w:.+\-/]*\s*$")


def _tool(namespace: str | None) -> str | None:
    if namespace is None or namespace.startswith(("http://www.omg.org/", "http://www.w3.org/")):
        return None
    if namespace in TOOLS:
        return TOOLS[namespace]
    if "spiffworkflow" in namespace:
        return None
    return "otra herramienta"


def _foreign(name: str, node: etree._Element, what: str, local: str, tool: str) -> Problem:
    advice = INSTEAD.get(local)
    message = f"{what} «{local}» de {tool} no lo lee este motor y se ignora"
    return at(name, node, f"{message}; {advice}." if advice else f"{message}.", "warning")


def check(name: str, root: etree._Element) -> list[Problem]:
    """Every construct of another engine in the diagram, one problem each."""
    problems: list[Problem] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        tool = _tool(qname.namespace)
        if tool is not None:
            if not any(_tool(etree.QName(a).namespace) for a in element.iterancestors()):
                problems.append(_foreign(name, element, "El elemento", qname.localname, tool))
            continue
        if qname.namespace != BPMN_NS or element is root:
            continue
        for attribute in element.attrib:
            attr = etree.QName(attribute)
            attr_tool = _tool(attr.namespace)
            if attr_tool is not None:
                problems.append(_foreign(name, element, "El atributo", attr.localname, attr_tool))
        problems += _expressions(name, element, qname.localname)
    return problems


def _expressions(name: str, element: etree._Element, local: str) -> list[Problem]:
    text = (element.text or "").strip()
    if local == "scriptTask" and (element.get("scriptFormat") or "").lower() not in PYTHON:
        return [
            at(
                name,
                element,
                f"El script está escrito en «{element.get('scriptFormat')}»; este motor solo "
                "ejecuta Python restringido: reescríbalo en Python.",
            )
        ]
    if local == "conditionExpression" and FOREIGN_EXPRESSION.match(text):
        return [
            at(
                name,
                element,
                f"La condición «{text}» está escrita en JUEL o FEEL (de otro motor); escríbala "
                "como expresión Python sobre los datos del caso, p. ej. «monto > 100».",
            )
        ]
    if local in ("timeDuration", "timeDate", "timeCycle") and ISO_UNQUOTED.match(text):
        return [
            at(
                name,
                element,
                f"El temporizador «{text}» debe ir entre comillas, porque aquí es una expresión "
                f'Python: "{text}".',
            )
        ]
    return []
