"""Diagram code benchmark: what the budget costs, and how fast it stops runaway code.

    python bench/scripts.py

Prints the cost of evaluating the diagrams' typical conditions and scripts under the budget,
what the same evaluation costs in a subprocess pool (the alternative mechanism, for comparison),
how many evaluations one case step makes, and how long each kind of runaway code runs before the
budget stops it (target: within the configured budget, 0.1 s by default).
"""

import multiprocessing
import sys
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.sandbox import RestrictedEnvironment
from engine.script_limits import ScriptLimitExceeded

CASE = MappingProxyType({"estado": "en_tramite", "primera_respuesta_en": None})
TYPICAL = {
    "condition": ("eval", "caso['primera_respuesta_en'] is None", {}),
    "gateway": ("eval", "es_felicitacion", {"es_felicitacion": False}),
    "group": ("eval", "'asesor'", {}),
    "timer": ("eval", "f'PT{horas}H'", {"horas": 24}),
    "script": (
        "exec",
        "revisar_calidad = en_muestra(radicado, porcentaje_revision)",
        {"radicado": "AV-2026-000001", "porcentaje_revision": 50},
    ),
}
RUNAWAY = {
    "while True": ("exec", "n = 0\nwhile True:\n    n = n + 1"),
    "generator over range(10**18)": ("eval", "any(i < 0 for i in range(10**18))"),
    "nested comprehension": ("eval", "len([j for i in range(99999) for j in range(99999)])"),
    "10**10**10": ("eval", "10**10**10"),
    "'a' * 10**10": ("eval", "'a' * 10**10"),
    "doubling a text": ("exec", "s = 'a'\nwhile True:\n    s = s + s"),
    "caught and retried": (
        "exec",
        "while True:\n    try:\n        pass\n    except Exception:\n        pass",
    ),
}


def en_muestra(radicado: str, porcentaje: int) -> bool:
    """The script's call only: the draw's database work (engine/review_draw.py) is part of the
    durable step that bench/engine.py measures."""
    return porcentaje >= 100


def environment() -> RestrictedEnvironment:
    return RestrictedEnvironment({"caso": CASE, "en_muestra": en_muestra})


def run(env: RestrictedEnvironment, mode: str, code: str, data: dict[str, Any]) -> Any:
    if mode == "eval":
        return env.evaluate(code, dict(data))
    return env.execute(code, dict(data))


def best_of(function: Any, repeat: int = 7, number: int = 5000) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def _in_pool(expression: str, data: dict[str, Any]) -> Any:
    return RestrictedEnvironment({}).evaluate(expression, data)


def main() -> None:
    env = environment()
    print("== one evaluation under the budget (best of 7) ==")
    for name, (mode, code, data) in TYPICAL.items():
        cost = best_of(lambda mode=mode, code=code, data=data: run(env, mode, code, data))
        print(f"{name:10} {cost * 1e6:7.2f} µs   {code}")

    with multiprocessing.Pool(1) as pool:
        _, code, data = TYPICAL["gateway"]
        pool.apply(_in_pool, (code, data))
        cost = best_of(lambda: pool.apply(_in_pool, (code, data)), number=500)
    print(f"{'pool':10} {cost * 1e6:7.2f} µs   the same condition in a subprocess pool")

    print("\n== runaway code: time until the budget stops it ==")
    for name, (mode, code) in RUNAWAY.items():
        start = time.perf_counter()
        try:
            run(env, mode, code, {})
            outcome = "NOT STOPPED"
        except ScriptLimitExceeded as exc:
            outcome = exc.what
        print(f"{name:30} {(time.perf_counter() - start) * 1000:7.1f} ms   {outcome}")


if __name__ == "__main__":
    main()
