"""Real servers and processes for the worker tests: an SMTP server on loopback, Celery worker
and beat processes, and polling with a deadline (waiting for work, never to move time)."""

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(ROOT / ".venv" / "bin" / "celery")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(
    predicate: Callable[[], T], timeout: float = 30.0, what: str = "condition", interval=0.05
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class _Inbox:
    """aiosmtpd handler: keeps every message; can hold a conversation on request, at RCPT
    (before the server has the message), DATA (it has it, the sender does not know yet) or
    QUIT (the sender knows it was accepted); notes which
    conversations ended with QUIT, to tell a resend caused by a crash inside the SMTP
    exchange from one after it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.sessions: list[Any] = []  # the conversation of each message, in order
        self.hold_at: str | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def _hold_if(self, command: str) -> None:
        if self.hold_at == command:
            self.hold_at = None
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 60)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, _o: Any):
        await self._hold_if("RCPT")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        message["X-Received-At"] = repr(time.time())
        session.quit_received = False
        self.messages.append(message)
        self.sessions.append(session)
        await self._hold_if("DATA")  # kept, but the sender has not heard so yet
        return "250 Message accepted"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        await self._hold_if("QUIT")
        session.quit_received = True
        return "221 Bye"

    def duplicates(self) -> tuple[int, int]:
        """Extra copies of a Message-ID: (after a conversation cut short, i.e. a crash inside
        the SMTP exchange; after one that ended with QUIT, i.e. a resend outside it)."""
        inside = outside = 0
        last: dict[str, Any] = {}
        for message, session in zip(self.messages, self.sessions, strict=True):
            earlier = last.get(message["Message-ID"])
            if earlier is not None:
                if getattr(earlier, "quit_received", False):
                    outside += 1
                else:
                    inside += 1
            last[message["Message-ID"]] = session
        return inside, outside


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def start(self) -> "SmtpServer":
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self.inbox.release.set()
            self._controller.stop()
            self._controller = None

    def hold_next_message(self, at: str = "RCPT") -> None:
        """Hold the next conversation at RCPT, DATA or QUIT (see ``_Inbox``)."""
        self.inbox.holding.clear()
        self.inbox.release.clear()
        self.inbox.hold_at = at

    def with_subject(self, text: str) -> list[EmailMessage]:
        return [m for m in self.messages if text in str(m["Subject"])]


class CeleryProcess:
    """``celery -A workers.celery_app worker|beat`` in its own process group."""

    def __init__(
        self, kind: str, env: dict[str, str], log_dir: Path, *extra: str, name: str = ""
    ) -> None:
        self.kind = kind
        self.name = name or kind
        self.env = env
        self.log_dir = log_dir
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}-{self.runs}.log"

    def command(self) -> list[str]:
        if self.kind == "worker":
            return [
                # One job at a time, and no job reserved behind the running one.
                CELERY, "-A", "workers.celery_app", "worker", "--pool=solo", "--concurrency=1",
                "--without-heartbeat", "--without-mingle", "--without-gossip",
                "--loglevel=INFO", *self.extra,
            ]  # fmt: skip
        schedule = self.log_dir / "beat-schedule"
        return [
            CELERY, "-A", "workers.celery_app", "beat", "--loglevel=INFO",
            f"--schedule={schedule}", "--max-interval=1", *self.extra,
        ]  # fmt: skip

    def start(self, ready_timeout: float = 60.0) -> "CeleryProcess":
        self.runs += 1
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(), env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        marker = "ready." if self.kind == "worker" else "beat: Starting"
        wait_for(lambda: self._started(marker), ready_timeout, f"celery {self.kind} to start")
        return self

    def _started(self, marker: str) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"celery {self.kind} exited:\n{self.log()}")
        return marker in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9 the whole process group, as a crash would."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM, timeout=20)

    def _signal(self, sig: int, timeout: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
