"""The fault suite, small: the worker killed three times while citizens file, Redis stopped
while they file and log in, SMTP down then back, identical submissions at once, a looping
condition deployed and filed through while others use the site. Nothing is
lost, no e-mail is sent twice outside the SMTP exchange, each goes out soon, no request
answers 500. bench/faults.py runs the same at full size and prints the figures."""

import pytest

from tests.workers.faults import (
    FaultSuite,
    Sizes,
    citizen_documents,
    create_citizens,
    suite_app_config,
)
from workers.embedded_redis import EmbeddedRedis

SIZES = Sizes(
    filings=12,
    kills=3,
    clients=3,
    redis_outage=0,  # down while 4 filings and 4 logins happen
    outage_requests=4,
    smtp_outage=0,  # down until each e-mail has failed once
    smtp_filings=3,
    identical_groups=2,
    identical_copies=6,
    settle_timeout=120,
    looping_filings=2,
)


@pytest.fixture
def suite(stack, tmp_path, monkeypatch):
    redis_server = EmbeddedRedis(tmp_path / "suite-redis").start()  # ours to stop
    stack.env.update(
        REDIS_URL=redis_server.location.url,
        # SMTP stays down longer than a few quick retries: keep retrying, no incident.
        JOB_MAX_ATTEMPTS="40",
        JOB_BACKOFF_BASE="0.2",
        JOB_BACKOFF_CAP="1",
    )
    for name in (
        "REDIS_URL",
        "CLOCK_FILE",
        "BEAT_INTERVAL",
        "OUTBOX_REDISPATCH_AFTER",
        "JOB_LEASE",
        "MAIL_SEND_LEASE",
    ):
        monkeypatch.setenv(name, stack.env[name])
    from web import create_app
    from web.demo import init_db
    from web.extensions import db

    app = create_app(
        suite_app_config(stack.env["DATABASE_URL"], stack.clock, redis_server.location.url)
    )
    init_db(app)
    documents = citizen_documents(SIZES.clients + 1)
    create_citizens(app, documents)
    stack.worker.start()
    stack.beat.start()
    try:
        with FaultSuite(
            app, stack.worker, stack.beat, stack.smtp, redis_server, SIZES, documents, print
        ) as running:
            yield running
    finally:
        stack.beat.stop()
        stack.worker.stop()
        redis_server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_fault_suite_loses_nothing_and_sends_nothing_twice_outside_the_smtp_exchange(suite):
    figures = suite.run()
    print("\n".join(figures.lines()))

    assert figures.filed >= SIZES.filings + SIZES.outage_requests + SIZES.smtp_filings
    assert figures.lost == 0
    assert figures.duplicated_outside == 0
    assert figures.longest_delay <= 120  # from filing, through three restarts of the worker
    assert figures.answered_500 == 0, figures.errors_by_scenario  # logins fail open
    # The one-time filing token (issue 12 §4): identical submissions at once make one case.
    assert figures.identical_cases == [1] * SIZES.identical_groups
    # A condition that loops (issue 12 §1): each case filed through it is kept, with an
    # incident, and the budget stops it (0.1 s by default; the margin is for a loaded machine).
    assert figures.looping_kept == figures.looping_filed == SIZES.looping_filings
    assert figures.looping_slowest < 10
