"""What the consumer does with one order event."""

from __future__ import annotations

import json
from dataclasses import dataclass


class InvalidOrder(ValueError):
    """The event cannot be audited; it goes to the dead-letter topic."""


@dataclass(frozen=True)
class AuditRecord:
    order_id: str
    sku: str
    quantity: int


def handle(raw: bytes) -> AuditRecord:
    try:
        event = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidOrder(f"not JSON: {exc}") from None
    missing = [k for k in ("order_id", "sku", "quantity") if k not in event]
    if missing:
        raise InvalidOrder(f"missing {', '.join(missing)}")
    if not isinstance(event["quantity"], int) or event["quantity"] <= 0:
        raise InvalidOrder("quantity must be a positive integer")
    return AuditRecord(str(event["order_id"]), str(event["sku"]), event["quantity"])
