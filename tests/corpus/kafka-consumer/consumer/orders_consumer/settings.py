"""Consumer settings: config/consumer.yaml, with the environment taking precedence."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Settings:
    kafka: dict[str, object] = field(default_factory=dict)
    topic: str = "orders"
    dlq_topic: str = "orders.dlq"
    poll_timeout_seconds: float = 1.0
    commit_every: int = 100


def load(path: str | Path, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    kafka = dict(data.get("kafka") or {})
    kafka["bootstrap.servers"] = env.get("KAFKA_BOOTSTRAP_SERVERS", kafka.get("bootstrap.servers", "kafka:9092"))
    if env.get("CONSUMER_GROUP"):
        kafka["group.id"] = env["CONSUMER_GROUP"]
    section = data.get("consumer") or {}
    return Settings(
        kafka=kafka,
        topic=section.get("topic", "orders"),
        dlq_topic=section.get("dlq_topic", "orders.dlq"),
        poll_timeout_seconds=float(section.get("poll_timeout_seconds", 1.0)),
        commit_every=int(section.get("commit_every", 100)),
    )
