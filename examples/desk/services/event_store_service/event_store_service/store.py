"""The append-only event log and its integrity summary."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def event_id(stream: str, message_id: str) -> str:
    """Stable id of a bus message: re-delivery after a restart maps to the same id (no duplicates)."""
    return f"{stream}:{message_id}"


@dataclass
class EventLog:
    path: Path

    def __post_init__(self) -> None:
        self.seen: set[str] = set()
        if self.path.exists():
            with self.path.open() as handle:
                for line in handle:
                    if line.strip():
                        self.seen.add(json.loads(line)["event_id"])

    def append(self, stream: str, message_id: str, fields: dict[str, str], ts: str) -> bool:
        """Append unless already stored; True when written."""
        eid = event_id(stream, message_id)
        if eid in self.seen:
            return False
        record = {"event_id": eid, "stream": stream, "ts": ts,
                  "correlation_id": fields.get("signal_id") or fields.get("decision_id") or fields.get("intent_id"),
                  "fields": fields}
        with self.path.open("a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
        self.seen.add(eid)
        return True


def integrity(path: Path) -> dict[str, Any]:
    """Counts per stream, duplicate ids and events whose correlation id is missing."""
    per_stream: Counter[str] = Counter()
    ids: Counter[str] = Counter()
    missing_correlation = 0
    if path.exists():
        with path.open() as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                per_stream[record["stream"]] += 1
                ids[record["event_id"]] += 1
                if record["stream"] != "desk.snapshots" and not record.get("correlation_id"):
                    missing_correlation += 1
    duplicates = sum(n - 1 for n in ids.values() if n > 1)
    return {"events": sum(per_stream.values()), "per_stream": dict(per_stream), "duplicates": duplicates,
            "missing_correlation": missing_correlation,
            "status": "pass" if duplicates == 0 and missing_correlation == 0 else "fail"}
