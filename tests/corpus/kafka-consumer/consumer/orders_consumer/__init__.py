"""orders-audit consumer group: validates order events and forwards bad ones to the DLQ."""
