"""The quality-review draw (``en_muestra`` in the diagram's script task ``sc_sorteo``).

The seed: quality reviews at least 50 % of the answers (an administrator may raise the share,
engine/configuration.py). The monthly report counts cases by their month of filing (Bogotá),
so the draw keeps, per such month, how many answers were drawn and how many went to review
(``review_periods``), and for each answer:

- reviews it when skipping it would leave the month's reviewed share below the floor
  (``reviewed < share × (drawn + 1)``): the floor then holds after every single draw, in
  every month, whatever the number of answers;
- otherwise reviews it with probability ``share`` from the operating system's random source,
  so nobody (the Asesor included) can tell in advance whether an answer will be reviewed.

A case is drawn once: an answer rejected by quality comes back through the draw and keeps its
verdict, and is counted once in its month. The counter row is updated before it is read, so
concurrent draws of one month queue on its row lock (PostgreSQL) or the write lock (SQLite).
"""

import random
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import configuration
from engine.clock import BOGOTA
from engine.models import Case, ReviewPeriod

system_random = random.SystemRandom()


def period_of(case: Case) -> str:
    """The month the monthly report counts the case in: its month of filing, in Bogotá."""
    return case.filed_at.astimezone(BOGOTA).strftime("%Y-%m")


def must_review(drawn: int, reviewed: int, share: int) -> bool:
    """Whether skipping the next answer would put the month's reviewed share below ``share``."""
    return reviewed * 100 < share * (drawn + 1)


def decide(drawn: int, reviewed: int, share: int, rng: random.Random) -> bool:
    return must_review(drawn, reviewed, share) or rng.random() * 100 < share


def draw(session: Session, case: Case, share: int, rng: random.Random) -> bool:
    """Draw ``case`` for review (once) and count it in its month; the caller commits."""
    if case.review_drawn is not None:
        return case.review_drawn
    share = max(share, configuration.review_share(session))
    period = period_of(case)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(ReviewPeriod).values(period=period, drawn=0, reviewed=0).on_conflict_do_nothing()
    )
    drawn, reviewed = session.execute(
        update(ReviewPeriod)
        .where(ReviewPeriod.period == period)
        .values(drawn=ReviewPeriod.drawn + 1)
        .returning(ReviewPeriod.drawn, ReviewPeriod.reviewed)
    ).one()
    verdict = decide(drawn - 1, reviewed, share, rng)
    if verdict:
        session.execute(
            update(ReviewPeriod)
            .where(ReviewPeriod.period == period)
            .values(reviewed=ReviewPeriod.reviewed + 1)
        )
    case.review_drawn = verdict
    return verdict


def sampler(session: Session, case: Case | None, rng: random.Random) -> Callable[[str, int], bool]:
    """``en_muestra(radicado, porcentaje)`` as diagram scripts see it (a plain closure: the
    sandbox exposes no attribute of it)."""

    def en_muestra(radicado: str, porcentaje: int) -> bool:
        target = case
        if target is None or target.radicado != radicado:
            target = session.scalars(select(Case).where(Case.radicado == radicado)).first()
        if target is None:
            raise ValueError(f"No existe el radicado {radicado}.")
        return draw(session, target, int(porcentaje), rng)

    return en_muestra
