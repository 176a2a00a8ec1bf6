"""Redis Streams access with reconnect backoff (the bus restarts during deploys and AOF rewrites)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import redis

log = logging.getLogger(__name__)
T = TypeVar("T")


class Bus:
    """A consumer-group reader and stream writer that reconnects with capped exponential backoff."""

    def __init__(self, url: str, group: str, consumer: str, *, backoff_initial: float, backoff_max: float,
                 max_attempts: int = 0) -> None:
        self.url = url
        self.group = group
        self.consumer = consumer
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_attempts = max_attempts
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5)

    def with_reconnect(self, action: Callable[[], T]) -> T:
        """Run ``action``; on a connection error sleep (jittered, doubling) and try again."""
        delay = self.backoff_initial
        attempt = 0
        while True:
            try:
                return action()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                attempt += 1
                if self.max_attempts and attempt >= self.max_attempts:
                    raise
                log.warning("redis unavailable (%s), retry %d in %.1fs", exc, attempt, delay)
                time.sleep(delay + random.uniform(0, delay / 2))
                delay = min(delay * 2, self.backoff_max)

    def ensure_group(self, stream: str) -> None:
        def create() -> None:
            try:
                self.client.xgroup_create(stream, self.group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self.with_reconnect(create)

    def read(self, stream: str, count: int = 100, block_ms: int = 2000) -> list[tuple[str, dict[str, str]]]:
        def fetch() -> list[tuple[str, dict[str, str]]]:
            reply = self.client.xreadgroup(self.group, self.consumer, {stream: ">"}, count=count, block=block_ms)
            return [(msg_id, fields) for _, messages in reply or [] for msg_id, fields in messages]
        return self.with_reconnect(fetch)

    def ack(self, stream: str, *ids: str) -> None:
        if ids:
            self.with_reconnect(lambda: self.client.xack(stream, self.group, *ids))

    def publish(self, stream: str, fields: dict[str, str], maxlen: int) -> str:
        return self.with_reconnect(lambda: self.client.xadd(stream, fields, maxlen=maxlen, approximate=True))
