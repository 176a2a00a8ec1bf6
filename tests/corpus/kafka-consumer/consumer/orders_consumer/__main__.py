"""python -m orders_consumer --config config/consumer.yaml"""

from __future__ import annotations

import argparse
import logging
import signal

from confluent_kafka import Consumer, KafkaError, Producer

from .handler import InvalidOrder, handle
from .settings import load

log = logging.getLogger("orders-consumer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="/app/config/consumer.yaml")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load(args.config)

    consumer = Consumer(settings.kafka)
    dlq = Producer({"bootstrap.servers": settings.kafka["bootstrap.servers"], "client.id": "orders-consumer-dlq"})
    consumer.subscribe([settings.topic])
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    handled = 0
    log.info("consuming %s as %s", settings.topic, settings.kafka.get("group.id"))
    while running:
        msg = consumer.poll(settings.poll_timeout_seconds)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF:
                log.warning("consume error: %s", msg.error())
            continue
        try:
            record = handle(msg.value())
            log.info("audited order %s (%s x%d)", record.order_id, record.sku, record.quantity)
        except InvalidOrder as exc:
            log.warning("dead-lettering offset %d: %s", msg.offset(), exc)
            dlq.produce(settings.dlq_topic, key=msg.key(), value=msg.value())
            dlq.poll(0)
        handled += 1
        if handled % settings.commit_every == 0:
            consumer.commit(asynchronous=False)
    dlq.flush(10)
    consumer.close()


if __name__ == "__main__":
    main()
