"""Restricted evaluation of the scripts and conditions written in BPMN diagrams.

Editing a diagram must not be a way to run code on the server: code is compiled with
RestrictedPython (no imports, no names or attributes starting with ``_``, no introspection
builtins) and runs with a small set of builtins and guards. Nor a way to stall it: the compiler
also rewrites loops, calls and the operations that build large values so that each evaluation
runs within a budget of time and memory (``engine.script_limits``). The environment keeps
SpiffWorkflow's semantics: script variables become task data; functions the script defines and
the environment's globals (``caso``, ``en_muestra``) are not copied into it.
"""

import ast
import builtins
import copy
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

from engine.script_limits import MADE_BY_CALL, Budget, ScriptLimits

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

    # The budget: each loop iteration and function call ticks; large values are checked first.

    def visit_While(self, node: ast.While) -> Any:
        node = super().visit_While(node)
        node.body.insert(0, _located(ast.Expr(_call("_tick_")), node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _located(ast.Expr(_call("_tick_")), node))
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        # Once the budget is spent every step raises again, so a handler cannot swallow it.
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _located(ast.Expr(_call("_tick_")), node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = super().visit_Lambda(node)
        node.body = _located(_call("_tick_", node.body), node.body)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = super().visit_BinOp(node)
        symbol = _GUARDED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        return _located(_call("_binop_", ast.Constant(symbol), node.left, node.right), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = super().visit_FormattedValue(node)
        spec = node.format_spec or ast.Constant("")
        value = _call("_format_", node.value, spec, ast.Constant(node.conversion))
        return _located(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)

    def visit_Call(self, node: ast.Call) -> Any:
        node = super().visit_Call(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in MADE_BY_CALL:
            node.args.insert(0, ast.Name(func.id, ast.Load()))
            node.func = ast.Name("_make_", ast.Load())
            return _located(node, node)
        if (  # a call with *args or **kwargs, already rewritten as _apply_(func, ...)
            isinstance(func, ast.Name)
            and func.id == "_apply_"
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in MADE_BY_CALL
        ):
            node.args.insert(0, ast.Name("_make_", ast.Load()))
            return _located(node, node)
        return node


_GUARDED_OPERATORS = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _located(new: Any, old: ast.AST) -> Any:
    return ast.fix_missing_locations(ast.copy_location(new, old))


def _guarded_getattr(obj: object, name: str) -> Any:
    if name in _FORBIDDEN_ATTRIBUTES:
        raise SandboxViolation([f'el atributo "{name}" no está permitido'])
    try:
        return safer_getattr_raise(obj, name)
    except NotImplementedError as exc:  # str.format and friends can read any attribute
        raise SandboxViolation([f'el atributo "{name}" no está permitido ({exc})']) from exc


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _guards(budget: Budget) -> dict[str, Any]:
    """What the rewritten code calls. Callables, so Spiff's clean-up drops them from the task
    data after a script, just like ``__builtins__``."""
    return {
        "__builtins__": _BUILTINS | budget.builtins(),
        "_getattr_": lambda obj, name: budget.method(obj, name, _guarded_getattr(obj, name)),
        "_getitem_": operator.getitem,
        "_getiter_": budget.iterate,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        # dict and list pass through (scripts edit their own data); anything else refuses writes.
        "_write_": full_write_guard,
        "_inplacevar_": budget.inplace,
        "_apply_": _apply,
        "_tick_": budget.tick,
        "_binop_": budget.binop,
        "_format_": budget.format_value,
        "_make_": budget.make,
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
    """A TaskDataEnvironment whose scripts and expressions run under RestrictedPython, each
    evaluation within ``limits``."""

    def __init__(
        self, environment_globals: dict[str, Any] | None = None, limits: ScriptLimits | None = None
    ) -> None:
        super().__init__(environment_globals)
        self.budget = Budget(limits or ScriptLimits())
        self.guards = _guards(self.budget)

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
        namespace.update(self.guards)
        self.budget.reset()
        result = eval(code, namespace)
        self.budget.raise_if_exceeded()
        return result

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
        namespace.update(self.guards)
        context.update(namespace)
        self.budget.reset()
        try:
            exec(code, context)
            self.budget.raise_if_exceeded()
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True
