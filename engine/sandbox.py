"""Restricted evaluation of the scripts and conditions written in BPMN diagrams.

Editing a diagram must not be a way to run code on the server: code is compiled with
RestrictedPython (no imports, no names or attributes starting with ``_``, no introspection
builtins) and runs with a small set of builtins and guards. The environment keeps
SpiffWorkflow's semantics: script variables become task data; functions the script defines and
the environment's globals (``caso``, ``en_muestra``) are not copied into it.
"""

import ast
import builtins
import copy
import hashlib
import operator
from collections.abc import Callable, Sequence
from functools import lru_cache
from types import CodeType
from typing import Any, Literal

from RestrictedPython import (
    CompileResult,
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

Mode = Literal["eval", "exec"]

# Names that give access to the interpreter, the file system or other namespaces. Rejected at
# compile time so the diagram validator reports them before deployment.
FORBIDDEN_NAMES = frozenset(
    {
        "breakpoint",
        "classmethod",
        "compile",
        "delattr",
        "dir",
        "eval",
        "exec",
        "exit",
        "getattr",
        "globals",
        "hasattr",
        "help",
        "input",
        "locals",
        "memoryview",
        "object",
        "open",
        "print",
        "printed",
        "property",
        "quit",
        "setattr",
        "staticmethod",
        "super",
        "type",
        "vars",
    }
)

_ALLOWED_BUILTIN_NAMES = (
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "enumerate",
    "filter",
    "float",
    "frozenset",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "range",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
)

# Only Exception subclasses: raising SystemExit or KeyboardInterrupt would escape the engine's
# error handling and stop a worker.
_SAFE_EXCEPTIONS = {
    name: value
    for name, value in safe_builtins.items()
    if isinstance(value, type) and issubclass(value, Exception)
}

_BUILTINS = {name: getattr(builtins, name) for name in _ALLOWED_BUILTIN_NAMES} | _SAFE_EXCEPTIONS

# `mro()` hands out `object`, the usual first step towards `__subclasses__`.
_FORBIDDEN_ATTRIBUTES = frozenset({"mro"})

_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "@=": operator.imatmul,
}


class SandboxViolation(Exception):
    """Diagram code tried something the restricted evaluator does not allow."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            "El código del diagrama usa construcciones no permitidas: " + "; ".join(self.problems)
        )


class _ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: no imports, no classes, no dangerous builtins."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, f"no se permite importar módulos ({ast.unparse(node)})")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, f"no se permite importar módulos ({ast.unparse(node)})")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, f'no se permite definir clases ("class {node.name}")')
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'el nombre "{node.id}" no está permitido')
            return node
        return super().visit_Name(node)


def _guarded_getattr(obj: object, name: str) -> Any:
    if name in _FORBIDDEN_ATTRIBUTES:
        raise SandboxViolation([f'el atributo "{name}" no está permitido'])
    try:
        return safer_getattr_raise(obj, name)
    except NotImplementedError as exc:  # str.format and friends can read any attribute
        raise SandboxViolation([f'el atributo "{name}" no está permitido ({exc})']) from exc


def _inplace(op: str, target: Any, value: Any) -> Any:
    return _INPLACE_OPERATORS[op](target, value)


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


# What RestrictedPython's rewritten code calls. Callables, so Spiff's clean-up drops them from
# the task data after a script, just like `__builtins__`.
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    # dict and list pass through (scripts edit their own data); anything else refuses writes.
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
    "_apply_": _apply,
}


@lru_cache(maxsize=4096)
def _compile(source: str, mode: Mode) -> CompileResult:
    """Restricted compilation, cached: the same conditions run on every case."""
    tree = ast.parse(source, "<string>", mode)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    return compiler(tree, policy=_ScriptPolicy)


def _code(source: str, mode: Mode) -> CodeType:
    result = _compile(source, mode)
    if result.errors or result.code is None:
        raise SandboxViolation(result.errors)
    return result.code


def check_source(source: str, mode: Mode) -> list[str]:
    """Problems that would stop ``source`` from running; empty when it is acceptable."""
    try:
        return list(_compile(source, mode).errors)
    except SyntaxError as exc:
        return [f"Line {exc.lineno}: error de sintaxis: {exc.msg}"]


class RestrictedEnvironment(TaskDataEnvironment):
    """A TaskDataEnvironment whose scripts and expressions run under RestrictedPython."""

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> Any:
        code = _code(expression, "eval")
        namespace = copy.copy(self.globals)
        self._prepare_context(context)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(_GUARDS)
        return eval(code, namespace)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> bool:
        code = _code(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        namespace = copy.copy(self.globals)
        self._prepare_context(context)
        namespace.update(external_context or {})
        namespace.update(_GUARDS)
        context.update(namespace)
        try:
            exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def en_muestra(radicado: str, porcentaje: int) -> bool:
    """Whether ``radicado`` falls in the deterministic sample of ``porcentaje`` percent."""
    digest = hashlib.sha256(radicado.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 100 < porcentaje
