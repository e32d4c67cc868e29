"""Scale-out, reduced: several gunicorn web processes and Celery workers on PostgreSQL and Redis,
staff completing, claiming and extending the same cases at once while timers fire, one web
process and one worker killed mid-run. bench/scale_out.py runs it at full size."""

from datetime import timedelta

import pytest

from tests.workers.scale_out import ScaleOut, Sizes, prepare, staff_accounts

SIZES = Sizes(
    cases=40,
    clients=12,
    web_processes=3,
    workers=2,
    seconds=15.0,
    clock_step=timedelta(hours=4),
    clock_every=2.0,
    settle_timeout=180.0,
)


@pytest.fixture
def postgresql_only(db_engine):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the scale-out proof is for PostgreSQL and a Redis server")


@pytest.fixture
def suite(postgresql_only, stack, session, monkeypatch):
    from web import create_app
    from web.extensions import db

    for name in ("REDIS_URL", "CLOCK_FILE"):
        monkeypatch.setenv(name, stack.env[name])
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": stack.env["DATABASE_URL"],
            "SECRET_KEY": stack.env["SECRET_KEY"],
            "CLOCK": stack.clock,
            "REDIS_URL": stack.redis_url,
        }
    )
    staff = staff_accounts(SIZES)
    prepare(app, SIZES, staff)
    running = ScaleOut(stack, session, SIZES, print)
    running.start()
    try:
        yield running, staff
    finally:
        running.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_postgresql_many_processes_lose_no_update_send_each_mail_once_and_fire_every_timer(suite):
    running, staff = suite
    figures = running.run(staff)
    print("\n".join(figures.lines()))
    assert figures.problems() == [], running.log_tails()
    assert figures.completed >= SIZES.clients  # the clients really worked the cases
    assert figures.timers_fired > 0
