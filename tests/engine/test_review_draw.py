"""The quality-review draw: every month the report counts keeps at least the configured share.

The seed (§4): quality reviews at least 50 % of the answers; the share is a database setting an
administrator may raise (never below 50).
"""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import configuration
from engine.errors import EngineError
from engine.models import Case, ReviewPeriod, Setting
from engine.review_draw import decide, draw, period_of, sampler
from engine.runtime import Engine
from tests import factories as f

START = datetime(2026, 1, 1, 5, 0, tzinfo=UTC)  # 00:00 in Bogotá


def monthly_shares(verdicts: list[tuple[str, bool]]) -> dict[str, tuple[int, int]]:
    drawn, reviewed = Counter(), Counter()
    for period, verdict in verdicts:
        drawn[period] += 1
        reviewed[period] += verdict
    return {p: (reviewed[p], drawn[p]) for p in drawn}


def transient_case(number: int, filed_at: datetime) -> Case:
    return Case(radicado=f"AV-2026-{number:06d}", filed_at=filed_at)


@pytest.mark.parametrize("floor", [50, 67, 90])
def test_every_month_of_1000_consecutive_radicados_keeps_the_floor(session, floor):
    """Exhaustive run through the real draw and its counters in the database: 1,000 radicados
    filed over four months; after every draw, the month's reviewed share is ≥ the floor."""
    configuration.set_review_share(session, floor, None, START)
    rng = random.Random(floor)
    moment = START
    seen: Counter[str] = Counter()
    reviewed: Counter[str] = Counter()
    for number in range(1001, 2001):
        moment += timedelta(minutes=rng.randint(1, 350))
        case = transient_case(number, moment)
        period = period_of(case)
        reviewed[period] += draw(session, case, 50, rng)
        seen[period] += 1
        assert reviewed[period] * 100 >= floor * seen[period], (period, seen[period])
    assert len(seen) >= 3  # the run crosses month ends
    rows = {r.period: (r.reviewed, r.drawn) for r in session.query(ReviewPeriod)}
    assert rows == {p: (reviewed[p], seen[p]) for p in seen}
    if floor < 100:  # a draw, not "review everything": close to the floor, both outcomes occur
        share = sum(reviewed.values()) / 1000
        assert floor / 100 <= share <= floor / 100 + 0.05


@settings(max_examples=200, deadline=None)
@given(
    floor=st.integers(min_value=50, max_value=100),
    month_sizes=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_the_floor_holds_in_every_month_whatever_the_months_look_like(floor, month_sizes, seed):
    """1,000 consecutive radicados cut into months of any sizes (a quiet month of one answer,
    a busy one of 400): no month, and no moment within a month, falls below the floor."""
    rng = random.Random(seed)
    sizes = (month_sizes * (1000 // sum(month_sizes) + 1))[:1000]
    for size in sizes:
        reviewed = 0
        for drawn in range(size):
            reviewed += decide(drawn, reviewed, floor, rng)
            assert reviewed * 100 >= floor * (drawn + 1)


@settings(max_examples=100, deadline=None)
@given(
    before=st.integers(min_value=50, max_value=99),
    after=st.integers(min_value=51, max_value=100),
    changed_at=st.integers(min_value=1, max_value=500),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_a_raised_share_is_met_from_the_next_draws_on(before, after, changed_at, seed):
    """An administrator raises the share mid-month: every draw that follows is reviewed until
    the month's share reaches the new floor, and it stays there."""
    rng = random.Random(seed)
    raised = max(before, after)
    drawn = reviewed = 0
    for _ in range(changed_at):
        reviewed += decide(drawn, reviewed, before, rng)
        drawn += 1
    reached = reviewed * 100 >= raised * drawn
    for _ in range(1000 - changed_at):
        verdict = decide(drawn, reviewed, raised, rng)
        assert verdict or reached
        reviewed += verdict
        drawn += 1
        reached = reached or reviewed * 100 >= raised * drawn
        assert not reached or reviewed * 100 >= raised * drawn


def test_the_month_is_bogota_s_month_of_filing():
    # 23:30 on 31 March in Bogotá is already 1 April in UTC: the report counts it in March.
    late = datetime(2026, 4, 1, 4, 30, tzinfo=UTC)
    assert period_of(transient_case(1, late)) == "2026-03"


def test_a_case_is_drawn_once_and_counted_once(session):
    """A rejected answer comes back through the draw: same verdict, same counters."""
    case = transient_case(7, START)
    first = draw(session, case, 50, random.Random(1))
    assert draw(session, case, 50, random.Random(2)) is first
    row = session.get(ReviewPeriod, "2026-01")
    assert (row.drawn, row.reviewed) == (1, 1)  # the month's first answer is always reviewed


def test_the_script_function_draws_the_case_of_the_radicado(session, clock):
    engine = Engine(session, clock)
    f.deploy(engine)
    citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
    case = f.file_case(engine, citizen)
    en_muestra = sampler(session, None, random.Random(0))
    assert en_muestra(case.radicado, 50) is True and case.review_drawn is True
    with pytest.raises(ValueError, match="No existe el radicado"):
        en_muestra("AV-2026-999999", 50)


def test_the_share_is_a_setting_never_below_the_seed_s_floor(session, clock):
    admin = f.user(session, "admin", "administrador", now=clock.now())
    assert configuration.review_share(session) == 50  # nothing configured: the seed's floor
    configuration.set_review_share(session, 70, admin, clock.now())
    row = session.get(Setting, configuration.REVIEW_SHARE)
    assert (row.value, row.updated_by_id, row.updated_at) == ("70", admin.id, clock.now())
    assert configuration.review_share(session) == 70
    for wrong in (49, 0, 101):
        with pytest.raises(EngineError, match="entre 50 y 100"):
            configuration.set_review_share(session, wrong, admin, clock.now())
    assert configuration.review_share(session) == 70


def test_the_draw_uses_the_configured_share_over_the_diagram_s_argument(session):
    configuration.set_review_share(session, 100, None, START)
    rng = random.Random(3)
    verdicts = [draw(session, transient_case(n, START), 50, rng) for n in range(1, 41)]
    assert all(verdicts)
