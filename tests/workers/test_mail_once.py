"""After a crash every e-mail goes out soon, and a second time only when the crash fell inside
the SMTP exchange itself (then with the same Message-ID)."""

from engine.models import MailDelivery
from tests.workers.harness import CeleryProcess, wait_for


def _acknowledgement_done(desk):
    return wait_for(
        lambda: desk.outbox(operation="notify", status="done"), timeout=60, what="the e-mail job"
    )[0]


def _delivery(desk, key):
    return desk.read(lambda s: s.get(MailDelivery, key))


def test_a_worker_killed_after_the_server_accepted_the_message_does_not_send_it_again(stack, desk):
    stack.worker.start()
    stack.beat.start()
    stack.smtp.hold_next_message(at="QUIT")
    case = desk.file_case()
    wait_for(stack.smtp.inbox.holding.is_set, what="the server to have accepted the message")

    stack.worker.kill()  # kill -9 after the server accepted it, before the job completed
    stack.smtp.inbox.release.set()
    stack.worker.start()

    job = _acknowledgement_done(desk)
    assert len(stack.smtp.with_subject(case.radicado)) == 1
    assert stack.smtp.inbox.duplicates() == (0, 0)
    assert _delivery(desk, job.key).status == "sent"


def test_a_crash_inside_the_smtp_exchange_resends_with_the_same_message_id(stack, desk):
    stack.worker.start()
    stack.beat.start()
    stack.smtp.hold_next_message(at="DATA")
    case = desk.file_case()
    wait_for(stack.smtp.inbox.holding.is_set, what="the server to hold the message")

    stack.worker.kill()  # the server has the message; the sender never heard it was accepted
    stack.smtp.inbox.release.set()
    stack.worker.start()

    _acknowledgement_done(desk)
    copies = stack.smtp.with_subject(case.radicado)
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert stack.smtp.inbox.duplicates() == (1, 0)  # counted as inside the exchange


def test_after_a_worker_crash_the_email_goes_out_within_the_job_lease_not_the_visibility_timeout(
    stack, desk
):
    # Neither the broker's redelivery nor the queued mark's expiry would come in this test.
    stack.env.update(OUTBOX_REDISPATCH_AFTER="3600")
    desk.app.extensions["workers"].dispatcher.redispatch_after = 3600
    stack.worker.start()
    stack.beat.start()
    stack.smtp.hold_next_message(at="RCPT")
    case = desk.file_case()
    wait_for(stack.smtp.inbox.holding.is_set, what="the worker to be mid-job")

    stack.worker.kill()
    stack.smtp.inbox.release.set()
    stack.worker.start()

    # JOB_LEASE is 4 s and MAIL_SEND_LEASE 2 s here: the sweep enqueues the job again soon.
    _acknowledgement_done(desk)
    assert len(stack.smtp.with_subject(case.radicado)) == 1


def test_a_second_delivery_of_the_same_job_waits_for_the_sender_and_sends_nothing(stack, desk):
    # Longer than the conversation is held below.
    stack.env.update(MAIL_SEND_LEASE="30", SMTP_TIMEOUT="30")
    second = CeleryProcess("worker", stack.env, stack.tmp, name="worker-b")
    try:
        stack.worker.start()
        second.start()
        stack.smtp.hold_next_message(at="RCPT")
        case = desk.file_case()
        wait_for(stack.smtp.inbox.holding.is_set, what="one worker to be mid-conversation")
        [job] = desk.outbox(operation="notify")
        # The same job again (as a redelivery would): the other worker takes it.
        desk.app.extensions["celery"].send_task("workers.run_outbox", args=(job.id,))
        wait_for(
            lambda: "is held elsewhere" in stack.worker.log() + second.log(),
            what="the second delivery to wait for the first",
        )
        stack.smtp.inbox.release.set()

        _acknowledgement_done(desk)
        wait_for(
            lambda: (stack.worker.log() + second.log()).count("succeeded") >= 2,
            what="both deliveries to finish",
        )
    finally:
        second.stop()
    assert len(stack.smtp.with_subject(case.radicado)) == 1
    assert stack.smtp.inbox.duplicates() == (0, 0)


def test_a_job_over_its_soft_time_limit_is_interrupted_and_retried(stack, desk):
    # The held conversation would end at SMTP_TIMEOUT (5 s); the soft limit comes first.
    stack.env.update(JOB_SOFT_TIME_LIMIT="2", JOB_TIME_LIMIT="20", JOB_LEASE="25")
    # The prefork pool (the default outside tests) is the one that enforces time limits.
    worker = CeleryProcess(
        "worker", stack.env, stack.tmp, "--pool=prefork", "--concurrency=1", name="prefork"
    )
    stack.smtp.hold_next_message(at="RCPT")  # the first conversation never ends by itself
    try:
        worker.start()
        case = desk.file_case()
        job = wait_for(
            lambda: desk.outbox(operation="notify", status="done"),
            timeout=60,
            what="the e-mail job",
        )[0]
    finally:
        worker.stop()
    assert "El trabajo superó su tiempo límite (2 s)" in worker.log(), worker.log()[-6000:]
    assert job.attempts == 2
    assert len(stack.smtp.with_subject(case.radicado)) == 1
