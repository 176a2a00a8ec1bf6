"""Publishes order events to Kafka at a steady rate (a stand-in for the shop's checkout)."""

from __future__ import annotations

import logging
import os
import pathlib
import random
import signal
import time
import uuid
from datetime import UTC, datetime

import orjson
from confluent_kafka import KafkaError, Message, Producer

log = logging.getLogger("orders-producer")
ALIVE = pathlib.Path("/tmp/producer.alive")
SKUS = ("SKU-1001", "SKU-1002", "SKU-1003", "SKU-2001")


def producer_config(env: dict[str, str]) -> dict[str, object]:
    """librdkafka settings from the environment; delivery is retried by the client itself."""
    return {
        "bootstrap.servers": env.get("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
        "client.id": "orders-producer",
        "acks": env.get("PRODUCER_ACKS", "all"),
        "enable.idempotence": True,
        "retries": int(env.get("PRODUCER_RETRIES", "10")),
        "retry.backoff.ms": int(env.get("PRODUCER_RETRY_BACKOFF_MS", "500")),
        "delivery.timeout.ms": int(env.get("PRODUCER_DELIVERY_TIMEOUT_MS", "120000")),
        "linger.ms": 5,
    }


def build_event(sku: str, quantity: int, now: datetime | None = None) -> dict[str, object]:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return {
        "order_id": str(uuid.uuid4()),
        "sku": sku,
        "quantity": quantity,
        "created_at": (now or datetime.now(UTC)).isoformat(),
    }


def encode(event: dict[str, object]) -> bytes:
    return orjson.dumps(event)


def on_delivery(err: KafkaError | None, msg: Message) -> None:
    if err is not None:
        log.error("delivery failed for key %s: %s", msg.key(), err)
        return
    ALIVE.touch()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    env = dict(os.environ)
    topic = env.get("KAFKA_TOPIC", "orders")
    interval = float(env.get("PRODUCE_INTERVAL_SECONDS", "1"))
    producer = Producer(producer_config(env))
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("producing to %s every %.1fs", topic, interval)
    while running:
        event = build_event(random.choice(SKUS), random.randint(1, 5))
        producer.produce(topic, key=str(event["sku"]), value=encode(event), on_delivery=on_delivery)
        producer.poll(0)
        time.sleep(interval)
    producer.flush(30)


if __name__ == "__main__":
    main()
