"""Auditoría de calidad: a representative random sample of last week's answered cases.

Stratified by request type with proportional allocation (largest remainders; every type
that had answers gets at least one case while the size allows). The draw is seeded with the
job's key, so a redelivered job draws the same sample.
"""

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine.models import Case
from workers.errors import PermanentFailure
from workers.jobs import Job

DEFAULT_SIZE = 20
WEEK = timedelta(days=7)


def reference_moment(job: Job) -> datetime:
    """The start of the instance's period (its ``periodo``), else now."""
    periodo = job.params.get("periodo")
    return datetime.fromisoformat(periodo) if periodo else job.ctx.clock.now()


def prepare(job: Job) -> dict[str, Any]:
    try:
        size = int(job.params.get("tamano") or DEFAULT_SIZE)
    except (TypeError, ValueError) as exc:
        raise PermanentFailure("El tamaño de la muestra debe ser un número entero.") from exc
    if size < 1:
        raise PermanentFailure("El tamaño de la muestra debe ser al menos 1.")
    until = reference_moment(job)
    since = until - WEEK
    rows = job.session.execute(
        select(Case.radicado, Case.request_type)
        .where(Case.answered_at >= since, Case.answered_at < until)
        .order_by(Case.radicado)
    ).all()
    strata: dict[str, list[str]] = {}
    for radicado, request_type in rows:
        strata.setdefault(request_type, []).append(radicado)
    sample = draw(strata, size, seed=job.key)
    return {
        "muestra": sorted(r for chosen in sample.values() for r in chosen),
        "estratos": {
            t: {"poblacion": len(strata[t]), "muestra": len(sample[t])} for t in sorted(strata)
        },
        "desde": since.isoformat(),
        "hasta": until.isoformat(),
        "poblacion": len(rows),
        "tamano_solicitado": size,
    }


def perform(job: Job, prepared: dict[str, Any]) -> dict[str, Any]:
    return prepared


def allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Proportional allocation by largest remainders, at least one per stratum if possible."""
    population = sum(sizes.values())
    total = min(total, population)
    if total == 0:
        return {k: 0 for k in sizes}
    quotas = {k: total * n / population for k, n in sizes.items()}
    shares = {k: int(q) for k, q in quotas.items()}
    if total >= len([n for n in sizes.values() if n]):
        for k, n in sizes.items():
            if n and shares[k] == 0:
                shares[k] = 1
    by_remainder = sorted(sizes, key=lambda k: (quotas[k] - int(quotas[k]), sizes[k]), reverse=True)
    while sum(shares.values()) < total:
        for k in by_remainder:
            if sum(shares.values()) >= total:
                break
            if shares[k] < sizes[k]:
                shares[k] += 1
    while sum(shares.values()) > total:
        largest = max(shares, key=lambda k: shares[k])
        shares[largest] -= 1
    return shares


def draw(strata: dict[str, list[str]], size: int, seed: str) -> dict[str, list[str]]:
    shares = allocate({k: len(v) for k, v in strata.items()}, size)
    rng = random.Random(seed)
    return {k: rng.sample(sorted(members), shares[k]) for k, members in sorted(strata.items())}
