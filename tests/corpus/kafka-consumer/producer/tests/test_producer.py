from datetime import UTC, datetime

import orjson
import pytest

from producer import build_event, encode, producer_config


def test_config_reads_retries_from_env():
    conf = producer_config({"PRODUCER_RETRIES": "7", "PRODUCER_RETRY_BACKOFF_MS": "250"})
    assert conf["retries"] == 7
    assert conf["retry.backoff.ms"] == 250
    assert conf["enable.idempotence"] is True


def test_build_event_has_an_id_and_timestamp():
    event = build_event("SKU-1", 2, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert event["sku"] == "SKU-1"
    assert event["created_at"] == "2026-01-01T00:00:00+00:00"
    assert len(str(event["order_id"])) == 36


def test_build_event_rejects_non_positive_quantity():
    with pytest.raises(ValueError):
        build_event("SKU-1", 0)


def test_encode_round_trips():
    event = build_event("SKU-2", 1)
    assert orjson.loads(encode(event)) == event
