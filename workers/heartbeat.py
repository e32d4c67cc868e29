"""Liveness marks the workers and beat leave in Redis, read by the web app's ``/readyz``.

Every job a worker finishes records that worker's mark (beat's sweeps reach some worker every
``BEAT_INTERVAL``, so an idle but healthy worker still records one); the outbox sweep records
beat's. Each mark holds the app clock's instant as seconds since the epoch and expires on its
own, so a stopped worker's mark disappears."""

from datetime import datetime

import redis

WORKER_PREFIX = "av:heartbeat:worker:"
BEAT_KEY = "av:heartbeat:beat"
MARK_TTL = 3600  # seconds; /readyz decides what is too old, this only keeps Redis tidy


def record_worker(client: redis.Redis, hostname: str, now: datetime) -> None:
    client.set(WORKER_PREFIX + hostname, now.timestamp(), ex=MARK_TTL)


def record_sweep(client: redis.Redis, now: datetime) -> None:
    client.set(BEAT_KEY, now.timestamp(), ex=MARK_TTL)


def last_worker(client: redis.Redis) -> float | None:
    """The newest worker mark (seconds since the epoch), or None when no worker left one."""
    keys = list(client.scan_iter(match=WORKER_PREFIX + "*", count=100))
    values = [float(v) for v in client.mget(keys) if v is not None] if keys else []
    return max(values, default=None)


def last_sweep(client: redis.Redis) -> float | None:
    value = client.get(BEAT_KEY)
    return float(value) if value is not None else None
