"""What the validator can see, without running it, that would stall a diagram script.

The restricted evaluator (``engine.sandbox``) bounds every evaluation in time and memory at run
time; these checks refuse at save time what is visibly unbounded, so a process owner learns it
from ``atencion validate`` with the element id instead of from an incident: a ``while True``
with no way out, constant arithmetic or repetition whose result is huge, a ``range`` longer than
any business rule needs, and format strings that read attributes or pad to huge widths.
Nothing is executed: a constant is folded only after the size of its result is estimated.
"""

import ast
import re
import string
from collections.abc import Callable
from typing import Literal

# Thresholds of the static check. engine.sandbox may later export the runtime's own limits
# (``LIMITS``); until then they live here, well above what a one-line business rule needs.
MAX_INT_BITS = 100_000  # about 30 000 decimal digits
MAX_SEQUENCE_LENGTH = 1_000_000  # characters or items of a str, list or tuple built by `*`
MAX_RANGE_LENGTH = 1_000_000  # items of a range with constant arguments
MAX_FORMAT_WIDTH = 10_000  # width or precision in a format specification

Mode = Literal["eval", "exec"]

_UNKNOWN = object()  # a value the checker cannot know without running the script
_FORMAT_METHODS = frozenset({"format", "format_map"})
_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
# [[fill]align][sign][z][#][0][width][grouping][.precision][type], as str.format reads it.
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?\w?%?")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?")
_SEQUENCES = (str, bytes, tuple, list)


def check_script(source: str, mode: Mode) -> list[str]:
    """Spanish problems of ``source``, each "línea N: …"; empty when nothing is unbounded.

    Source that does not parse gives no problem here: the restricted compiler reports it.
    """
    try:
        tree = ast.parse(source, "<diagrama>", mode)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    checker = ScriptChecker()
    try:
        checker.visit(tree)
    except RecursionError:
        return ["línea 1: el código está anidado a demasiada profundidad para revisarlo"]
    return checker.problems


class ScriptChecker(ast.NodeVisitor):
    """Collects the problems of one script or expression."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._reported: set[int] = set()  # nodes already refused (a power inside a power…)
        self._values: dict[int, object] = {}  # folded constants, by node

    def report(self, node: ast.AST, message: str) -> None:
        if id(node) not in self._reported:
            self._reported.add(id(node))
            self.problems.append(f"línea {getattr(node, 'lineno', 1)}: {message}")

    # --- loops -------------------------------------------------------------------------------

    def visit_While(self, node: ast.While) -> None:
        test = self.constant(node.test)
        if test is not _UNKNOWN and test and not _has_exit(node.body):
            self.report(
                node,
                f"el ciclo «while {_clip(ast.unparse(node.test))}:» no tiene salida (ningún "
                "break, return ni raise en su cuerpo) y detendría el proceso",
            )
        self.generic_visit(node)

    # --- sizes -------------------------------------------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.constant(node)
        if isinstance(node.op, ast.Mod):
            template = self.constant(node.left)
            if isinstance(template, str):
                self._check_percent(node, template)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        self.constant(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "range":
            self._check_range(node)
        elif isinstance(func, ast.Name) and func.id == "format" and len(node.args) == 2:
            spec = self.constant(node.args[1])
            if isinstance(spec, str):
                self._check_spec(node, spec)
        elif isinstance(func, ast.Attribute) and func.attr in _FORMAT_METHODS:
            self._check_format_method(node, func)
        elif isinstance(func, ast.Attribute) and func.attr in _PADDING_METHODS and node.args:
            width = self.constant(node.args[0])
            if type(width) is int and width > MAX_SEQUENCE_LENGTH:
                self.report(
                    node,
                    f"«{_clip(ast.unparse(node))}» crearía un texto de {_size(width)} "
                    f"caracteres (el máximo es {_size(MAX_SEQUENCE_LENGTH)})",
                )
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        if isinstance(node.format_spec, ast.JoinedStr):
            parts = [self.constant(p) for p in node.format_spec.values]
            if all(isinstance(p, str) for p in parts):
                self._check_spec(node, "".join(parts))  # type: ignore[arg-type]
        self.generic_visit(node)

    def _check_range(self, node: ast.Call) -> None:
        if node.keywords or not 1 <= len(node.args) <= 3:
            return
        args = [self.constant(a) for a in node.args]
        if not all(type(a) is int for a in args) or (len(args) == 3 and args[2] == 0):
            return
        length = len(range(*args))  # type: ignore[arg-type]  # arithmetic only, nothing iterated
        if length > MAX_RANGE_LENGTH:
            self.report(
                node,
                f"«{_clip(ast.unparse(node))}» recorre {_size(length)} valores (el máximo es "
                f"{_size(MAX_RANGE_LENGTH)}); una regla de negocio no necesita tantos",
            )

    def _check_format_method(self, node: ast.Call, func: ast.Attribute) -> None:
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id == "str" and node.args:
            receiver = node.args[0]  # str.format(template, …)
        template = self.constant(receiver)
        if isinstance(template, str):
            for field, spec in _format_fields(template):
                if "." in field or "[" in field:
                    self.report(
                        node,
                        f"el formato «{_clip(template)}» lee atributos o elementos de los "
                        f"valores («{{{field}}}»); use una f-string con los valores que necesita",
                    )
                    return
                self._check_spec(node, spec)
        self.report(
            node,
            f"«.{func.attr}()» no está permitido en los diagramas porque puede leer atributos "
            'internos de los valores; use una f-string, p. ej. f"Radicado {radicado}"',
        )

    def _check_percent(self, node: ast.BinOp, template: str) -> None:
        values = self.constant(node.right)
        known = values if isinstance(values, tuple) else (values,)
        stars = [v for v in known if type(v) is int]
        for match in _PERCENT.finditer(template):
            for part in ("width", "precision"):
                text = match.group(part)
                if not text:
                    continue
                size = max(stars, default=0) if text == "*" else _digits(text)
                if size > MAX_FORMAT_WIDTH:
                    self.report(node, _width_message(template, size))
                    return

    def _check_spec(self, node: ast.AST, spec: str) -> None:
        match = _SPEC.fullmatch(spec)
        if match is None:
            return
        for part in ("width", "precision"):
            if match.group(part) and _digits(match.group(part)) > MAX_FORMAT_WIDTH:
                self.report(node, _width_message(spec, _digits(match.group(part))))
                return

    # --- constant folding, size first ------------------------------------------------------

    def constant(self, node: ast.expr) -> object:
        """The value of a constant expression, or _UNKNOWN; reports what would be huge."""
        if id(node) not in self._values:
            self._values[id(node)] = self._fold(node)
        return self._values[id(node)]

    def _fold(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return self._literal(node)
        if isinstance(node, (ast.Tuple, ast.List)):
            items = tuple(self.constant(e) for e in node.elts)
            if any(i is _UNKNOWN for i in items):
                return _UNKNOWN
            return items if isinstance(node, ast.Tuple) else list(items)
        if isinstance(node, ast.UnaryOp):
            operand = self.constant(node.operand)
            if isinstance(node.op, ast.Not) and operand is not _UNKNOWN:
                return not operand
            if type(operand) is int:
                return {ast.USub: -operand, ast.UAdd: operand, ast.Invert: ~operand}[type(node.op)]
            return _UNKNOWN
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        return _UNKNOWN

    def _literal(self, node: ast.Constant) -> object:
        value = node.value
        if type(value) is int and value.bit_length() > MAX_INT_BITS:
            self.report(
                node,
                f"el número escrito tiene {_size(value.bit_length())} bits (el máximo es "
                f"{_size(MAX_INT_BITS)})",
            )
            return _UNKNOWN
        if isinstance(value, (str, bytes)) and len(value) > MAX_SEQUENCE_LENGTH:
            self.report(
                node,
                f"el texto escrito tiene {_size(len(value))} caracteres (el máximo es "
                f"{_size(MAX_SEQUENCE_LENGTH)})",
            )
            return _UNKNOWN
        return value

    def _binop(self, node: ast.BinOp) -> object:
        left, right = self.constant(node.left), self.constant(node.right)
        op = node.op
        if isinstance(op, ast.Mult) and (type(left) is not int or type(right) is not int):
            return self._repeat(node, left, right)
        if type(left) is not int or type(right) is not int:
            return self._concatenate(left, right) if isinstance(op, ast.Add) else _UNKNOWN
        if isinstance(op, ast.Pow):
            if right < 0 or abs(left) < 2:
                return _UNKNOWN if right < 0 else left**right
            return self._bounded(node, right * abs(left).bit_length(), lambda: left**right)
        if isinstance(op, ast.LShift):
            if right < 0:
                return _UNKNOWN
            return self._bounded(node, left.bit_length() + right, lambda: left << right)
        if isinstance(op, ast.Mult):
            return self._bounded(node, left.bit_length() + right.bit_length(), lambda: left * right)
        folds: dict[type[ast.operator], Callable[[], object]] = {
            ast.Add: lambda: left + right,
            ast.Sub: lambda: left - right,
            ast.FloorDiv: lambda: left // right if right else _UNKNOWN,
            ast.Mod: lambda: left % right if right else _UNKNOWN,
            ast.RShift: lambda: left >> right if right >= 0 else _UNKNOWN,
            ast.BitAnd: lambda: left & right,
            ast.BitOr: lambda: left | right,
            ast.BitXor: lambda: left ^ right,
        }
        fold = folds.get(type(op))
        return fold() if fold else _UNKNOWN  # none of these grows past its operands' size

    def _bounded(self, node: ast.BinOp, bits: int, compute: Callable[[], int]) -> object:
        if bits > MAX_INT_BITS:
            self.report(
                node,
                f"«{_clip(ast.unparse(node))}» da un número de {_size(bits)} bits (el máximo "
                f"es {_size(MAX_INT_BITS)})",
            )
            return _UNKNOWN
        return compute()

    def _repeat(self, node: ast.BinOp, left: object, right: object) -> object:
        sequence, count = (left, right) if type(right) is int else (right, left)
        if type(count) is not int:
            return _UNKNOWN
        literal = (ast.List, ast.Tuple, ast.JoinedStr)
        if sequence is _UNKNOWN:  # [x] * n: a list, whatever x is
            if count > MAX_SEQUENCE_LENGTH and any(
                isinstance(side, literal) for side in (node.left, node.right)
            ):
                self.report(node, _repeat_message(node, count))
            return _UNKNOWN
        if not isinstance(sequence, _SEQUENCES):
            return _UNKNOWN
        length = len(sequence) * max(count, 0)
        if length > MAX_SEQUENCE_LENGTH:
            self.report(node, _repeat_message(node, length))
            return _UNKNOWN
        return sequence * count

    @staticmethod
    def _concatenate(left: object, right: object) -> object:
        same = type(left) is type(right) and isinstance(left, _SEQUENCES)
        if same and len(left) + len(right) <= MAX_SEQUENCE_LENGTH:  # type: ignore[arg-type]
            return left + right  # type: ignore[operator]
        return _UNKNOWN


def _has_exit(body: list[ast.stmt]) -> bool:
    """Whether a break of this loop, a return or a raise can run in ``body``."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Return, ast.Raise)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.If) and isinstance(node.test, ast.Constant):
            stack.extend(node.body if node.test.value else node.orelse)
        elif isinstance(node, (ast.While, ast.For)):
            # a break in an inner loop's body leaves only that loop; a return or raise still exits
            inner = [n for s in node.body for n in ast.walk(s)]
            stack.extend(n for n in inner if isinstance(n, (ast.Return, ast.Raise)))
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))
    return False


def _format_fields(template: str) -> list[tuple[str, str]]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return []
    return [(field, spec or "") for _, field, spec, _ in parsed if field is not None]


def _clip(text: str, size: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def _size(number: int) -> str:
    """A count as written in Colombia (1.000.000), or its order of magnitude when enormous."""
    if number >= 10**15:
        return f"más de 10^{(number.bit_length() - 1) * 3 // 10}"
    return f"{number:,}".replace(",", ".")


def _digits(text: str) -> int:
    """A number written in a format string, capped so a huge one is never converted."""
    return int(text) if len(text) <= 18 else 10**18


def _repeat_message(node: ast.BinOp, length: int) -> str:
    return (
        f"«{_clip(ast.unparse(node))}» crearía {_size(length)} caracteres o elementos "
        f"(el máximo es {_size(MAX_SEQUENCE_LENGTH)})"
    )


def _width_message(spec: str, width: int) -> str:
    return (
        f"el formato «{_clip(spec)}» pide un ancho o una precisión de {_size(width)} "
        f"(el máximo es {_size(MAX_FORMAT_WIDTH)})"
    )
