"""Auditoría de calidad: a representative random sample of last week's answered cases.

Its size follows from the week's population at the diagram's ``confianza`` and
``margen_error`` (engine/audits.py: Cochran with the finite-population correction). Stratified
by request type with proportional allocation (largest remainders; every type that had
answers gets at least one case while the size allows). The draw is seeded with the job's
key, so a redelivered job draws the same sample. The result carries, per sampled case, what
the case record says for the F182 (``fichas``); the sample is also kept as rows
(``audit_reports``/``audit_cases``) so the Profesional OCM may open those cases.
"""

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine import audits
from engine.models import Case
from workers.errors import PermanentFailure
from workers.jobs import Job
from workers.labels import Labels

DEFAULT_CONFIDENCE = 0.95
DEFAULT_MARGIN = 0.10
WEEK = timedelta(days=7)


def reference_moment(job: Job) -> datetime:
    """The start of the instance's period (its ``periodo``), else now."""
    periodo = job.params.get("periodo")
    return datetime.fromisoformat(periodo) if periodo else job.ctx.clock.now()


def _fraction(job: Job, name: str, default: float) -> float:
    raw = job.params.get(name)
    try:
        value = float(raw) if raw not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise PermanentFailure(f"El parámetro «{name}» de la muestra debe ser un número.") from exc
    if not 0 < value < 1:
        raise PermanentFailure(f"El parámetro «{name}» de la muestra debe estar entre 0 y 1.")
    return value


def prepare(job: Job) -> dict[str, Any]:
    confidence = _fraction(job, "confianza", DEFAULT_CONFIDENCE)
    margin = _fraction(job, "margen_error", DEFAULT_MARGIN)
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
    size = audits.sample_size(len(rows), confidence, margin)
    sample = draw(strata, size, seed=job.key)
    chosen = sorted(r for picked in sample.values() for r in picked)
    labels = Labels(job.session)

    def name(field: str, code: str) -> str:
        return labels.group(code) if field == "area" else labels.of(field, code)

    cases = job.session.scalars(select(Case).where(Case.radicado.in_(chosen))).all()
    return {
        "muestra": chosen,
        "fichas": {c.radicado: audits.case_facts(job.session, c, name) for c in cases},
        "estratos": {
            t: {"poblacion": len(strata[t]), "muestra": len(sample[t])} for t in sorted(strata)
        },
        "desde": since.isoformat(),
        "hasta": until.isoformat(),
        "poblacion": len(rows),
        "confianza": confidence,
        "margen_error": margin,
    }


def perform(job: Job, prepared: dict[str, Any]) -> dict[str, Any]:
    if job.instance_id is not None:
        with job.ctx.session_factory() as session, session.begin():
            audits.record_sample(
                session,
                job.instance_id,
                reference_moment(job),
                prepared,
                job.ctx.clock.now(),
            )
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
