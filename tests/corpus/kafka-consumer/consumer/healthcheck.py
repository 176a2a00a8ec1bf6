"""Container healthcheck: the broker answers a metadata request and the orders topic exists."""

import os
import sys

from confluent_kafka.admin import AdminClient

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")


def main() -> int:
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP, "socket.timeout.ms": 5000})
    try:
        metadata = admin.list_topics(timeout=5)
    except Exception:
        return 1
    return 0 if "orders" in metadata.topics else 1


if __name__ == "__main__":
    sys.exit(main())
