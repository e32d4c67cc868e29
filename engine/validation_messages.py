"""The validator's messages in Spanish, from what the libraries under it say in English.

SpiffWorkflow, lxml (libxml2), RestrictedPython, Python's parser, ``json`` and ``jsonschema``
describe a broken diagram or form in English, sometimes with an object's repr. A process owner
reads only Spanish: each function here maps the messages those libraries give to a Spanish one,
and falls back to a generic Spanish sentence (never the English text, never a repr) for a
message it does not know. The element and line travel in the ``Problem``, not in the text.
"""

import errno
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

Rule = tuple[str, str | Callable[[re.Match[str]], str]]


def _translate(text: str, rules: Sequence[Rule], fallback: str) -> str:
    for pattern, spanish in rules:
        match = re.search(pattern, text)
        if match:
            return spanish(match) if callable(spanish) else match.expand(spanish)
    return fallback


def _tag(name: str) -> str:
    """An element name without its namespace URI ('{…}outgoing' → 'outgoing')."""
    return re.sub(r"^\{[^}]*\}", "", name)


def _tags(names: str) -> str:
    found = [_tag(n.strip()) for n in names.split(",") if n.strip() and n.strip() != "##other"]
    shown = ", ".join(found[:6])
    return shown + (f" y {len(found) - 6} más" if len(found) > 6 else "")


# --- Python source (scripts, conditions, expressions) -----------------------------------------

_PYTHON_SYNTAX: list[Rule] = [
    (r"null bytes", "el texto contiene caracteres nulos"),
    (r"'(.)' was never closed", r"el «\1» nunca se cierra"),
    (r"unmatched '(.)'", r"sobra un «\1»"),
    (
        r"closing parenthesis '(.)' does not match opening parenthesis '(.)'",
        r"«\2» se cierra con «\1»",
    ),
    (r"unterminated (triple-quoted )?string literal", "un texto entre comillas no se cierra"),
    (r"Perhaps you forgot a comma", "sintaxis no válida; ¿falta una coma?"),
    (
        r"Maybe you meant '==' instead of '='",
        "sintaxis no válida; ¿quiso comparar con «==» en vez de «=»?",
    ),
    (r"expected '(.+?)'", r"falta «\1»"),
    (r"unexpected indent", "sangría inesperada"),
    (r"expected an indented block", "falta un bloque con sangría"),
    (r"unindent does not match", "la sangría no coincide con la de las líneas anteriores"),
    (r"inconsistent use of tabs", "mezcla de tabuladores y espacios en la sangría"),
    (r"invalid character '(.)'", r"el carácter «\1» no es válido en el código"),
    (r"invalid non-printable character", "hay un carácter invisible no válido en el código"),
    (r"invalid (decimal|hexadecimal|octal|binary|digit).* literal", "un número está mal escrito"),
    (r"Exceeds the limit \((\d+) digits\)", r"un número escrito tiene más de \1 cifras"),
    (r"cannot (?:assign|delete) to (.+?)(?: here)?(?:\.|$)", r"no se puede asignar a «\1»"),
    (r"'return' outside function", "«return» fuera de una función"),
    (r"'break' outside loop", "«break» fuera de un ciclo"),
    (r"'continue' not properly in loop", "«continue» fuera de un ciclo"),
    (r"'yield' outside function", "«yield» fuera de una función"),
    (r"'await' outside", "«await» no está permitido aquí"),
    (r"f-string", "la f-string está mal escrita"),
    (
        r"positional argument follows keyword argument",
        "un argumento sin nombre va después de uno con nombre",
    ),
    (r"keyword argument repeated", "un argumento con nombre está repetido"),
    (r"duplicate argument", "un parámetro está repetido"),
    (r"unexpected EOF|incomplete input", "el código termina antes de tiempo"),
]

_RESTRICTED: list[Rule] = [
    (
        r'"(.+?)" is an invalid variable name because it starts with "_"',
        r"el nombre «\1» no está permitido (empieza por «_»)",
    ),
    (r'"(.+?)" is an invalid variable name', r"el nombre «\1» no está permitido"),
    (r'"(.+?)" is a reserved name', r"el nombre «\1» está reservado"),
    (
        r'"(.+?)" is an invalid attribute name because it starts with "_"',
        r"el atributo «\1» no está permitido (empieza por «_»)",
    ),
    (r'"(.+?)" is an invalid attribute name', r"el atributo «\1» no está permitido"),
    (r'"(.+?)" is a restricted name', r"el atributo «\1» no está permitido"),
    (r"(Exec|Eval) calls are not allowed", lambda m: f"no se permite llamar a {m[1].lower()}"),
    (r"Unpacking in comprehensions", "no se permite desempaquetar dentro de una comprensión"),
    (r"Augmented assignment of attributes", "no se permite «+=» ni similares sobre un atributo"),
    (r"Augmented assignment of object items", "no se permite «+=» ni similares sobre un elemento"),
    (r'"metaclass" is not allowed', "no se permite el argumento «metaclass»"),
    (
        r"Assignment expressions are only allowed",
        "«:=» solo admite un nombre simple a la izquierda",
    ),
    (r"import", "no se permite importar módulos"),
    (
        r"(\w+) statements? (?:are not allowed|is not known)",
        r"la construcción «\1» no está permitida",
    ),
]
# What engine.sandbox's own policy says, in Spanish already.
_SANDBOX = re.compile(r"^(?:no se permite|el nombre \"\w+\" no está permitido)")


def script_error(message: str) -> tuple[int | None, str]:
    """The line (in the script) and the Spanish text of a problem found in a script: from the
    restricted compiler ("Line N: …", English) or from engine.script_checks ("línea N: …")."""
    if match := re.match(r"línea (\d+): ", message):
        return int(match.group(1)), message[match.end() :]
    line = None
    if match := re.match(r"Line (\d+): ?", message):
        line, message = int(match.group(1)), message[match.end() :]
    if syntax := re.match(r"(?:\w*Error): (.*) at statement:", message, re.S):
        return line, "error de sintaxis: " + python_syntax(syntax.group(1))
    if message.startswith("error de sintaxis: "):
        return line, "error de sintaxis: " + python_syntax(
            message.removeprefix("error de sintaxis: ")
        )
    if _SANDBOX.match(message):
        return line, message.replace('"', "«", 1).replace('"', "»", 1)
    return line, _translate(message, _RESTRICTED, "una construcción que los diagramas no permiten")


def python_syntax(message: str) -> str:
    return _translate(message, _PYTHON_SYNTAX, "sintaxis no válida")


# --- XML -------------------------------------------------------------------------------------

_XML_SYNTAX: list[Rule] = [
    (r"Document is empty", "el archivo está vacío"),
    (r"Start tag expected, '<' not found", "no empieza con una etiqueta «<…>»"),
    (
        r"Opening and ending tag mismatch: ([\w:.-]+) line (\d+) and ([\w:.-]+)",
        r"la etiqueta «\1» de la línea \2 se cierra con «\3»",
    ),
    (
        r"Premature end of data in tag ([\w:.-]+) line (\d+)",
        r"el archivo termina sin cerrar la etiqueta «\1» de la línea \2",
    ),
    (r"Couldn't find end of Start Tag ([\w:.-]+)", r"la etiqueta «\1» no se cierra con «>»"),
    (r"EndTag: '</' not found", "falta cerrar una etiqueta («</…>»)"),
    (r"Extra content at the end of the document", "hay contenido después del elemento raíz"),
    (r"attributes construct error", "un atributo está mal escrito"),
    (r"Attribute ([\w:.-]+) redefined", r"el atributo «\1» está repetido"),
    (r"Specification mandates value for attribute ([\w:.-]+)", r"el atributo «\1» no tiene valor"),
    (r"AttValue: \" or ' expected", "el valor de un atributo no está entre comillas"),
    (
        r"Unescaped '<' not allowed in attributes values",
        "un valor de atributo contiene «<» (escríbalo &lt;)",
    ),
    (
        r"Namespace prefix ([\w:.-]+) on ([\w:.-]+) is not defined",
        r"el prefijo «\1» de «\2» no está declarado",
    ),
    (
        r"Namespace prefix ([\w:.-]+) for ([\w:.-]+) on ([\w:.-]+) is not defined",
        r"el prefijo «\1» de «\3» no está declarado",
    ),
    (
        r"xmlParseEntityRef: no name|EntityRef: expecting ';'",
        "un «&» no inicia una entidad válida (escríbalo &amp;)",
    ),
    (r"Entity '([\w:.-]+)' not defined", r"la entidad «&\1;» no está definida"),
    (r"Comment not terminated", "un comentario no se cierra"),
    (r"CData section not finished", "una sección CDATA no se cierra"),
    (r"(?:invalid element name|StartTag: invalid)", "un nombre de etiqueta no es válido"),
    (r"error parsing attribute name", "un nombre de atributo no es válido"),
    (r"XML declaration allowed only at the start", "la declaración <?xml?> debe ir al principio"),
    (
        r"(?:Char 0x|PCDATA invalid Char|not proper UTF-8|invalid char|Input is not proper)",
        "contiene caracteres no válidos",
    ),
    (r"Unsupported encoding:? ([\w:.-]+)", r"la codificación «\1» no está soportada (use UTF-8)"),
    (
        r"Blank needed here|parsing XML declaration|expected '>'|'>' expected",
        "una etiqueta o la declaración XML está mal escrita",
    ),
    (
        r"Huge input lookup|Excessive depth|xmlSAX2Characters: huge",
        "el documento es demasiado grande o demasiado anidado",
    ),
]


def xml_syntax(message: str) -> str:
    return _translate(message, _XML_SYNTAX, "error de sintaxis XML")


_ELEMENT = r"Element '([^']+)'"
_ATTRIBUTE = r"Element '([^']+)', attribute '([^']+)'"
_XSD: list[Rule] = [
    (
        _ELEMENT + r": This element is not expected\. Expected is (?:one of )?\( ?(.*?) ?\)",
        lambda m: f"el elemento «{m[1]}» no va en esta posición; se esperaba {_tags(m[2])}",
    ),
    (_ELEMENT + r": This element is not expected", r"el elemento «\1» no va en esta posición"),
    (
        _ELEMENT + r": Missing child element\(s\)\. Expected is (?:one of )?\( ?(.*?) ?\)",
        lambda m: f"al elemento «{m[1]}» le falta un elemento hijo ({_tags(m[2])})",
    ),
    (
        _ATTRIBUTE + r": '([^']*)' is not a valid value of the atomic type 'xs:ID'",
        r"el id «\3» de «\1» está repetido o no es un identificador válido (debe empezar por "
        r"una letra o «_» y no llevar espacios)",
    ),
    (
        _ATTRIBUTE + r": '([^']*)' is not a valid value of the atomic type '(?:xs:)?(\w+)'",
        lambda m: f"el atributo «{m[2]}» de «{m[1]}» vale «{m[3]}», que no es {_type(m[4])}",
    ),
    (
        _ATTRIBUTE + r": \[facet 'enumeration'\] The value '([^']*)' is not an element of the "
        r"set \{(.*)\}",
        r"el atributo «\2» de «\1» vale «\3»; los valores posibles son \4",
    ),
    (_ATTRIBUTE + r": '([^']*)' is not a valid value", r"el atributo «\2» de «\1» no admite «\3»"),
    (_ATTRIBUTE + r": The attribute .* is not allowed", r"«\1» no admite el atributo «\2»"),
    (
        _ELEMENT + r": The attribute '([^']+)' is required but missing",
        r"al elemento «\1» le falta el atributo «\2»",
    ),
    (
        _ELEMENT + r": Character content other than whitespace is not allowed",
        r"el elemento «\1» no admite texto, solo otros elementos",
    ),
    (
        _ELEMENT + r": Element content is not allowed",
        r"el elemento «\1» solo admite texto, no otros elementos",
    ),
    (
        _ELEMENT + r": '([^']*)' is not a valid value of the atomic type '(?:xs:)?(\w+)'",
        lambda m: f"el elemento «{m[1]}» contiene «{m[2]}», que no es {_type(m[3])}",
    ),
    (_ELEMENT + r": No matching global", r"el elemento «\1» no existe en el esquema"),
    (_ELEMENT, r"el elemento «\1» no es válido en esta posición"),
]


def _type(name: str) -> str:
    return _XSD_TYPES.get(name, f"un valor válido de tipo {name}")


_XSD_TYPES = {
    "ID": "un identificador válido",
    "IDREF": "un identificador válido",
    "QName": "un nombre válido",
    "integer": "un número entero",
    "int": "un número entero",
    "boolean": "true ni false",
    "anyURI": "una URI válida",
    "double": "un número",
    "float": "un número",
}


def xsd(message: str) -> str:
    return _translate(message, _XSD, "un elemento no cumple el esquema")


# --- SpiffWorkflow's parser ---------------------------------------------------------------------

_SPIFF: list[Rule] = [
    (r"There is no support implemented", "el motor no ejecuta este tipo de elemento"),
    (
        r"Data Store with name (.*) has no implementation",
        r"el almacén de datos «\1» no tiene implementación en este motor; quítelo del diagrama",
    ),
    (
        r"Data Store (identifier|name) is missing",
        "un almacén de datos (bpmn:dataStore) no tiene id o nombre",
    ),
    (
        r"Cannot resolve data(Input|Output)Association",
        lambda m: (
            "la asociación de datos de "
            + ("entrada" if m[1] == "Input" else "salida")
            + " apunta a un objeto o almacén de datos que no existe"
        ),
    ),
    (r"No start event found", "el proceso no tiene evento de inicio"),
    (
        r"Multiple outgoing flows are not supported",
        "la actividad tiene varios flujos de salida; use una compuerta para dividir el camino",
    ),
    (
        r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
        r"el subproceso debe tener exactamente un evento de inicio y tiene \1",
    ),
    (r"A SubWorkflow Must contain an End event", "el subproceso no tiene evento de fin"),
    (
        r'No "calledElement" attribute',
        "la actividad de llamada no dice qué proceso llama (calledElement)",
    ),
    (
        r"Cancel Events may only be used with transactions",
        "un evento de cancelación solo puede usarse en una transacción",
    ),
    (
        r"A loopMaximum or loopCondition must be specified",
        "el ciclo necesita un máximo (loopMaximum) o una condición (loopCondition)",
    ),
    (
        r"exactly one of cardinality or loop input",
        "la actividad múltiple debe indicar la cardinalidad o la colección de entrada, no las dos",
    ),
    (
        r"must specify a cardinality or a (?:loop input data reference|collection)",
        "la actividad múltiple no indica la cardinalidad ni la colección de entrada",
    ),
    (
        r"loop (input|output) data reference is missing",
        lambda m: (
            "la colección de "
            + ("entrada" if m[1] == "input" else "salida")
            + " del ciclo no está en la especificación de datos (ioSpecification)"
        ),
    ),
    (
        r"Conditional event definition with missing condition",
        "el evento condicional no tiene condición",
    ),
    (
        r"Unknown Time Specification",
        "el temporizador no tiene expresión (timeDate, timeDuration o timeCycle)",
    ),
    (r"Time Specification Error", "la expresión del temporizador no es válida"),
    (
        r"Expected an? (error|escalation|message|signal) node",
        lambda m: (
            "el evento hace referencia a "
            + _EVENT_REFS[m[1].lower()]
            + " que no existe en el archivo"
        ),
    ),
    (
        r"(Message|Signal|Error|Escalation|Correlation) identifier is missing",
        lambda m: f"un elemento bpmn:{m[1].lower()} no tiene id",
    ),
    (
        r"Could not find messageRef",
        "un evento de mensaje no indica qué mensaje espera (messageRef)",
    ),
    (
        r"Correlation is missing correlation property retrieval",
        "una propiedad de correlación no dice cómo leerse del mensaje",
    ),
    (
        r"Sequential ordering for ad hoc subprocesses",
        "el subproceso ad hoc no puede ser secuencial en este motor",
    ),
    (
        r"Ad hoc subprocesses may not contain start or end events",
        "un subproceso ad hoc no puede tener eventos de inicio ni de fin",
    ),
    (r"Invalid Script Task", "la tarea de script no tiene script"),
    (
        r"A Service Task must have an operator",
        "la tarea de servicio no indica qué operación ejecutar",
    ),
    (r"Process ([\w:.-]+) is not executable", r"el proceso «\1» no es ejecutable"),
    (r"No decisions found", "la tabla de decisión no tiene ninguna decisión"),
    (r"Unknown type in decision table", "la tabla de decisión tiene un elemento que no conoce"),
    (
        r"Malformed Output Expression",
        "una salida de la tabla de decisión no es una expresión válida",
    ),
    (
        r"Multiple decision tables",
        "el archivo tiene varias tablas de decisión y el motor lee solo una",
    ),
    (
        r"unexpected keyword argument 'node'",
        "el evento hace referencia a un elemento que no existe en el archivo",
    ),
]
_EVENT_REFS = {
    "error": "un error (errorRef)",
    "escalation": "un escalamiento (escalationRef)",
    "message": "un mensaje (messageRef)",
    "signal": "una señal (signalRef)",
}


def spiff(message: str) -> str | None:
    """Spanish for a SpiffWorkflow parser message, or None when it is not one we know."""
    return _translate(message, _SPIFF, "") or None


def element_label(tag: str | None) -> str:
    """'bpmn:userTask' → 'bpmn:userTask' (no namespace URI); empty tag → 'el elemento'."""
    name = _tag(tag or "")
    return (name if ":" in name else f"bpmn:{name}") if name else "el elemento"


# --- forms ------------------------------------------------------------------------------------

_JSON_SYNTAX: list[Rule] = [
    (
        r"Expecting property name enclosed in double quotes",
        "se esperaba un nombre de propiedad entre comillas dobles",
    ),
    (r"Expecting value", "se esperaba un valor"),
    (r"Expecting '(.)' delimiter", r"falta «\1»"),
    (r"Extra data", "hay contenido después del objeto principal"),
    (r"Unterminated string", "un texto entre comillas no se cierra"),
    (r"Invalid control character", "un texto contiene un carácter de control"),
    (r"Invalid \\escape|Invalid \\u", "una secuencia de escape «\\» no es válida"),
]


def json_syntax(message: str) -> str:
    return _translate(message, _JSON_SYNTAX, "sintaxis JSON no válida")


def json_schema(path: str, keyword: str, value: Any, rule: Any) -> str:
    """Spanish for a jsonschema meta-schema error: where, its keyword, the bad value, the rule."""
    shown = f"«{_clip(value)}»" if isinstance(value, str) else _clip(json.dumps(value, default=str))
    if path.endswith(".type") and keyword in ("anyOf", "oneOf", "enum", "type"):
        return (
            f"el tipo {shown} no existe; use string, number, integer, boolean, object, array o null"
        )
    if keyword in ("anyOf", "oneOf", "enum") and isinstance(value, str):
        return f"el valor «{value}» no es uno de los permitidos"
    if keyword == "type":
        kinds = rule if isinstance(rule, list) else [rule]
        names = ", ".join(_JSON_TYPES.get(k, str(k)) for k in kinds)
        return f"el valor {shown} debería ser {names}"
    if keyword == "required":
        return "falta una propiedad obligatoria"
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"el valor {shown} es menor que el mínimo permitido ({rule})"
    if keyword == "minItems":
        return "la lista no tiene los elementos mínimos"
    if keyword == "uniqueItems":
        return "la lista tiene elementos repetidos"
    if keyword == "pattern" or keyword == "format":
        return f"el valor {shown} no tiene el formato esperado"
    return f"el valor {shown} no es válido aquí (regla «{keyword}» del JSON Schema)"


_JSON_TYPES = {
    "string": "un texto",
    "integer": "un número entero",
    "number": "un número",
    "boolean": "true o false",
    "object": "un objeto",
    "array": "una lista",
    "null": "null",
}


def _clip(text: str, size: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


# --- files --------------------------------------------------------------------------------------

_OS_ERRORS = {
    errno.ENOENT: "el archivo no existe",
    errno.EACCES: "no hay permiso para leerlo",
    errno.EPERM: "no hay permiso para leerlo",
    errno.EISDIR: "es un directorio",
    errno.ENOTDIR: "una parte de la ruta no es un directorio",
    errno.ENAMETOOLONG: "el nombre es demasiado largo",
    errno.ELOOP: "la ruta tiene enlaces simbólicos en ciclo",
}


def os_error(exc: OSError) -> str:
    return _OS_ERRORS.get(exc.errno or 0, f"error del sistema número {exc.errno}")
