"""The event log is append-only and idempotent across restarts; integrity finds gaps."""

import json
from pathlib import Path

from event_store_service.store import EventLog, event_id, integrity

TS = "2026-02-27T11:50:00Z"


def test_event_id_is_stable_per_stream_message() -> None:
    assert event_id("desk.signals", "1709034600000-0") == "desk.signals:1709034600000-0"


def test_redelivery_after_restart_is_not_appended_twice(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(path)
    assert log.append("desk.signals", "1-0", {"signal_id": "sig-1"}, TS)
    assert not log.append("desk.signals", "1-0", {"signal_id": "sig-1"}, TS)
    restarted = EventLog(path)  # a new process re-reads the log
    assert not restarted.append("desk.signals", "1-0", {"signal_id": "sig-1"}, TS)
    assert restarted.append("desk.signals", "2-0", {"signal_id": "sig-2"}, TS)
    assert len(path.read_text().splitlines()) == 2


def test_integrity_passes_on_a_clean_log(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(path)
    log.append("desk.signals", "1-0", {"signal_id": "sig-1"}, TS)
    log.append("desk.orders", "1-0", {"decision_id": "dec-1"}, TS)
    summary = integrity(path)
    assert summary["status"] == "pass"
    assert summary["per_stream"] == {"desk.signals": 1, "desk.orders": 1}


def test_integrity_flags_missing_correlation_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    rows = [
        {"event_id": "desk.orders:1-0", "stream": "desk.orders", "ts": TS, "correlation_id": None, "fields": {}},
        {"event_id": "desk.orders:1-0", "stream": "desk.orders", "ts": TS, "correlation_id": "dec-1", "fields": {}},
        {"event_id": "desk.snapshots:1-0", "stream": "desk.snapshots", "ts": TS, "correlation_id": None, "fields": {}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = integrity(path)
    assert summary["duplicates"] == 1
    assert summary["missing_correlation"] == 1
    assert summary["status"] == "fail"
