"""Nothing is lost and nothing is doubled: a killed worker, a restarted Redis, SMTP down."""

from sqlalchemy import select

from engine.models import Incident
from tests.stack import _flush
from tests.workers.harness import wait_for
from workers.embedded_redis import EmbeddedRedis


def test_a_worker_killed_mid_send_is_replaced_and_each_email_arrives_once(stack, desk):
    stack.worker.start()
    stack.beat.start()  # its outbox sweep brings back the dead worker's job
    stack.smtp.hold_next_message()
    first = desk.file_case()
    wait_for(stack.smtp.inbox.holding.is_set, what="the worker to be mid-conversation")

    stack.worker.kill()  # kill -9 while the SMTP conversation is open
    stack.smtp.inbox.release.set()
    second = desk.file_case(asunto="Certificado de paz y salvo")  # queued while no worker runs
    stack.worker.start()

    wait_for(
        lambda: len(desk.outbox(operation="notify", status="done")) == 2,
        timeout=60,
        what="both acknowledgements done",
    )
    for case in (first, second):
        assert len(stack.smtp.with_subject(case.radicado)) == 1
    assert len({m["Message-ID"] for m in stack.smtp.messages}) == len(stack.smtp.messages)


def test_redis_restarted_mid_flight_loses_nothing(stack, desk, tmp_path, monkeypatch):
    redis_server = EmbeddedRedis(tmp_path / "own-redis").start()
    stack.env["REDIS_URL"] = redis_server.location.url
    _reconfigure_desk(desk, redis_server.location.url, monkeypatch)
    try:
        stack.worker.start()
        stack.beat.start()
        stack.smtp.hold_next_message()
        first = desk.file_case()
        wait_for(stack.smtp.inbox.holding.is_set, what="the worker to be mid-job")

        redis_server.stop()  # with a job taken and unacknowledged
        stack.smtp.inbox.release.set()
        second = desk.file_case(asunto="Filed while Redis is down")  # its enqueue fails
        wait_for(
            lambda: "Connection to broker lost" in stack.worker.log(), what="the worker to notice"
        )
        redis_server.start()

        wait_for(
            lambda: len(desk.outbox(operation="notify", status="done")) == 2,
            timeout=90,
            what="both acknowledgements done",
        )
        for case in (first, second):
            assert len(stack.smtp.with_subject(case.radicado)) == 1
    finally:
        stack.beat.stop()
        stack.worker.stop()
        redis_server.stop()


def test_smtp_down_retries_then_an_incident_then_an_admin_retry_sends_once(stack, desk):
    stack.smtp.stop()
    stack.worker.start()
    stack.beat.start()
    case = desk.file_case()

    failed = wait_for(lambda: desk.outbox(status="failed"), what="the job to fail")[0]
    assert failed.attempts == 3
    assert "No fue posible entregar el correo" in failed.last_error
    incident = desk.read(lambda s: s.scalars(select(Incident)).one())
    assert incident.outbox_id == failed.id and incident.resolved_at is None
    assert stack.smtp.messages == []

    stack.smtp.start()
    admin = desk.user("admin")
    desk.act(lambda engine, session: engine.retry_incident(incident.id, admin))

    wait_for(lambda: desk.outbox(operation="notify", status="done"), what="the retried job")
    assert len(stack.smtp.with_subject(case.radicado)) == 1


def _reconfigure_desk(desk, url, monkeypatch):
    """Point the test's own app (its dispatcher and Celery producer) at another Redis."""
    from workers.celery_app import celery_init_app

    monkeypatch.setenv("REDIS_URL", url)
    desk.app.extensions.pop("outbox_dispatch", None)
    celery_init_app(desk.app)
    _flush(url)
