"""The time and memory budget of one evaluation of diagram code.

A condition such as ``any(i < 0 for i in range(10**18))`` or a script ``while True: n += 1``
must not stall a request or a worker. The restricted compiler (``engine.sandbox``) rewrites
diagram code so that every loop iteration, function call and iterated item *ticks* a budget, and
so that the operations that can build huge values in a single C call (``**``, ``*``, ``<<``,
``+``, ``%``, f-strings, ``str.join``, ``range``…) first check the size of their result. A
budget counts steps (deterministic, what tests use), wall time (checked every 1,024 steps) and
the bytes the guarded operations allocate (a gas meter: bytes freed later are not given back).

Exceeding it raises ``ScriptLimitExceeded``; the evaluation stops and the engine turns it into
an incident on that instance. The error is sticky: a script that catches it cannot go on.
"""

import builtins
import operator
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from time import monotonic
from typing import Any

_CHECK_EVERY = 1024  # steps between two looks at the clock


@dataclass(frozen=True)
class ScriptLimits:
    """How far one evaluation of diagram code may go (settings ``SCRIPT_*``)."""

    seconds: float = 0.1  # wall time
    steps: int = 200_000  # loop iterations, iterated items and function calls
    length: int = 100_000  # items or characters of one value built at once
    int_bits: int = 100_000  # size of one integer
    memory: int = 32 * 2**20  # bytes allocated by the guarded operations, in total

    def __post_init__(self) -> None:
        if self.seconds <= 0 or min(self.steps, self.length, self.int_bits, self.memory) <= 0:
            raise ValueError("script limits must be positive")


class ScriptLimitExceeded(Exception):
    """Diagram code went beyond its budget; the evaluation was stopped."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"El código del diagrama superó su límite: {what}. Se detuvo.")


class Budget:
    """What is left to one evaluation; its methods are the guards the rewritten code calls."""

    __slots__ = ("deadline", "exceeded", "limits", "memory", "steps")

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        """A fresh budget for the next evaluation."""
        self.steps = self.limits.steps
        self.memory = self.limits.memory
        self.deadline = monotonic() + self.limits.seconds
        self.exceeded: ScriptLimitExceeded | None = None

    # --- time -----------------------------------------------------------------------------

    def tick(self, value: Any = None) -> Any:
        """One step; returns ``value`` so it can wrap a lambda's body."""
        self.steps -= 1
        if self.steps < 0 or not self.steps % _CHECK_EVERY:
            self._check()
        return value

    def _check(self) -> None:
        if self.exceeded is not None:
            raise self.exceeded
        if self.steps < 0:
            self.stop(f"más de {_number(self.limits.steps)} pasos")
        if monotonic() > self.deadline:
            self.stop(f"más de {self.limits.seconds:g} s".replace(".", ","))

    def stop(self, what: str) -> None:
        self.exceeded = ScriptLimitExceeded(what)
        self.steps = -1  # every later step raises again
        raise self.exceeded

    def raise_if_exceeded(self) -> None:
        """After the code returned: it may have caught the error and gone on."""
        if self.exceeded is not None:
            raise self.exceeded

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """``for`` loops and comprehensions: one step per item."""
        for item in iterable:
            self.tick()
            yield item

    # --- size -----------------------------------------------------------------------------

    def allocate(self, value: Any) -> Any:
        self.memory -= sys.getsizeof(value)
        if self.memory < 0:
            self.stop(f"más de {self.limits.memory // 2**20} MB de memoria")
        return value

    def _length(self, n: int) -> None:
        if n > self.limits.length:
            self.stop(f"un valor de {_number(n)} elementos (máximo {_number(self.limits.length)})")

    def _bits(self, n: int) -> None:
        if n > self.limits.int_bits:
            self.stop(f"un número de {_number(n)} bits (máximo {_number(self.limits.int_bits)})")

    def binop(self, op: str, left: Any, right: Any) -> Any:
        """``**``, ``*``, ``<<``, ``+`` and ``%``, refused before they build a huge value."""
        if op == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            self._bits(right * abs(left).bit_length())
        elif op == "*":
            if _is_int(left) and _is_int(right):
                self._bits(abs(left).bit_length() + abs(right).bit_length())
            elif _is_int(right) and _is_sized(left):
                self._length(len(left) * right)
            elif _is_int(left) and _is_sized(right):
                self._length(len(right) * left)
        elif op == "<<" and _is_int(left) and _is_int(right):
            self._bits(abs(left).bit_length() + max(right, 0))
        elif op == "+" and _is_sized(left) and _is_sized(right):
            self._length(len(left) + len(right))
        elif op == "%" and isinstance(left, str | bytes):
            self._percent_format(left, right)
        return self.allocate(_OPERATORS[op](left, right))

    def inplace(self, op: str, target: Any, value: Any) -> Any:
        """``x += y`` and friends (RestrictedPython's ``_inplacevar_``)."""
        plain = op[:-1]
        if plain in _OPERATORS:
            return self.binop(plain, target, value)
        return _INPLACE[op](target, value)

    def _percent_format(self, template: str | bytes, args: Any) -> None:
        text = template.decode("latin-1") if isinstance(template, bytes) else template
        for spec in _PERCENT_SPEC.findall(text):
            for width in _NUMBER.findall(spec):
                self._length(int(width))
            if "*" in spec:
                for arg in args if isinstance(args, tuple) else (args,):
                    if _is_int(arg):
                        self._length(arg)
        for arg in args if isinstance(args, tuple) else (args,):
            self._repr_length(arg)

    def _repr_length(self, value: Any) -> None:
        """Refuse to print a container whose text would be huge (shared items count each time)."""
        if not isinstance(value, _CONTAINERS):
            if isinstance(value, str | bytes):
                self._length(len(value))
            return
        pending, seen, length = [value], 0, 0
        while pending:
            item = pending.pop()
            seen += 1
            if seen > self.limits.length:
                self._length(seen)
            if isinstance(item, str | bytes):
                length += len(item)
            elif isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, _CONTAINERS):
                pending.extend(item)
            else:
                length += 24
            self._length(length)

    def format_value(self, value: Any, spec: str = "", conversion: int = -1) -> str:
        """One ``{value!r:spec}`` of an f-string."""
        if spec:
            for width in _NUMBER.findall(spec):
                self._length(int(width))
        self._repr_length(value)
        if conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("s"):
            value = str(value)
        elif conversion == ord("a"):
            value = ascii(value)
        return self.allocate(format(value, spec))

    # --- builtins and methods ---------------------------------------------------------------

    def builtins(self) -> dict[str, Callable[..., Any]]:
        """Builtins that could build a huge value in one call, replaced by checked ones."""
        return {"range": self.range, "sum": self.sum, "sorted": self.sorted}

    def range(self, *args: int) -> range:
        numbers = builtins.range(*args)
        try:
            self._length(len(numbers))
        except OverflowError:
            self.stop("un rango demasiado grande")
        return numbers

    def sum(self, iterable: Iterable[Any], start: Any = 0) -> Any:
        items = builtins.list(iterable)
        if _is_sized(start):
            self._length(len(start) + builtins.sum(len(i) for i in items if _is_sized(i)))
        return self.allocate(builtins.sum(items, start))

    def sorted(self, iterable: Iterable[Any], **kwargs: Any) -> list[Any]:
        items = self.make(builtins.list, iterable)
        items.sort(**kwargs)
        return items

    def make(self, kind: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A direct call of ``str``, ``list``, ``tuple``, ``set``, ``frozenset`` or ``dict``.

        The types themselves stay in the builtins, so ``isinstance(x, list)`` works."""
        if args:
            if kind is builtins.str and len(args) == 1:
                self._repr_length(args[0])
            elif _is_sized(args[0]):
                self._length(len(args[0]))
        return self.allocate(kind(*args, **kwargs))

    def method(self, owner: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        """The attribute ``name`` of ``owner``: size-checked when it could build a huge value."""
        if isinstance(owner, str | bytes) and name in _TEXT_METHODS:
            return lambda *args, **kwargs: self._text_method(owner, name, method, args, kwargs)
        if _is_int(owner) and name == "to_bytes":

            def to_bytes(length: int = 1, *args: Any, **kwargs: Any) -> bytes:
                self._length(length)
                return self.allocate(method(length, *args, **kwargs))

            return to_bytes
        return method

    def _text_method(
        self, text: str | bytes, name: str, method: Callable[..., Any], args: tuple, kwargs: dict
    ) -> Any:
        if name == "join":
            parts = builtins.list(args[0]) if args else []
            args = (parts, *args[1:])
            total = builtins.sum(len(p) for p in parts if _is_sized(p))
            self._length(total + len(text) * max(len(parts) - 1, 0))
        elif name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            occurrences = text.count(old) if old else len(text) + 1
            self._length(len(text) + occurrences * max(len(new) - len(old), 0))
        elif name == "expandtabs":
            size = args[0] if args else kwargs.get("tabsize", 8)
            self._length(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * size)
        elif args and _is_int(args[0]):  # ljust, rjust, center, zfill: the width
            self._length(args[0])
        return self.allocate(method(*args, **kwargs))


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # es-CO groups thousands with dots


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _is_sized(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple | dict | set | frozenset)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "**": operator.pow,
    "*": operator.mul,
    "<<": operator.lshift,
    "+": operator.add,
    "%": operator.mod,
}

_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "@=": operator.imatmul,
}

_CONTAINERS = (dict, list, tuple, set, frozenset)
_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%[#0\- +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?")
MADE_BY_CALL = frozenset({"str", "list", "tuple", "set", "frozenset", "dict"})
_TEXT_METHODS = frozenset({"join", "replace", "expandtabs", "ljust", "rjust", "center", "zfill"})
