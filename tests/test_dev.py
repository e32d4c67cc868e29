"""``python3 dev.py run`` keeps its children alive: a dead embedded Redis comes back."""

import os
import signal
import sys
from pathlib import Path

import redis

import dev
from tests.workers.harness import wait_for


def test_the_run_restarts_its_embedded_redis_when_it_dies(tmp_path: Path) -> None:
    directory = tmp_path / "redis"
    socket_path = directory / "redis.sock"
    supervisor = dev.Supervisor({**os.environ})
    command = [sys.executable, "-m", "workers.embedded_redis", str(directory)]
    first = supervisor.start("redis", command)
    client = redis.Redis(unix_socket_path=str(socket_path))

    def answers() -> bool:
        try:
            return bool(client.ping())
        except (redis.ConnectionError, FileNotFoundError):
            return False

    try:
        wait_for(answers, 15, "the embedded Redis")
        client.set("av:test", "kept")
        client.execute_command("BGREWRITEAOF")
        wait_for(lambda: client.info("persistence")["aof_rewrite_in_progress"] == 0, 15, "AOF")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        assert supervisor.check() is None  # restarted, the run goes on
        assert supervisor.children["redis"].pid != first.pid
        wait_for(answers, 15, "the restarted Redis")
        assert client.get("av:test") == b"kept"
    finally:
        client.close()
        supervisor.stop_all()
