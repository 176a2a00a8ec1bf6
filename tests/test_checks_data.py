"""Unit tests of the data check functions (backups, idempotency, source of truth, retention)."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_readiness.checks import data
from pytest_readiness.results import Outcome
from tests.stacks import make_stack, service

BASE = """
version: 1
stack:
  name: t
  root: stack
  compose: [compose.yml]
services:
  - name: db
    kind: datastore
    compose_services: [db]
    target: L2
    backup_drill:
      {path: reports/backup.json, max_age: 7d, timestamp: generated_at, status: {field: status, pass: [pass]}}
  - name: cache
    kind: datastore
    compose_services: [cache]
    target: L2
  - name: writer
    kind: service
    compose_services: [writer]
    target: L2
    outputs:
      - {dataset: events, path: out/events.jsonl, format: jsonl, key: event_id,
         retention: {max_size: 1MB, max_age: 30d}}
      - {dataset: runs, path: out/runs, format: dir, key: run_id, retention: {max_files: 3, max_age: 90d}}
  - name: mon
    kind: monitoring
    target: L2
  - name: bot
    kind: bot
    compose_services: [bot]
    target: L2
"""

COMPOSE = """
services:
  db:
    image: postgres:16
    logging:
      driver: json-file
      options: {max-size: 10m, max-file: "3"}
  cache:
    image: redis:7
  writer:
    image: writer:1.0
    logging:
      options:
        max-size: 20m
  bot:
    image: bot:1.0
"""


def ev(i: int, day: int = 27) -> str:
    return json.dumps({"event_id": f"evt-{i:05d}", "ts": f"2026-02-{day:02d}T11:{i % 60:02d}:00Z", "kind": "fill"})


def files(**over: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {
        "compose.yml": COMPOSE,
        "reports/backup.json": '{"generated_at": "2026-02-26T03:00:00Z", "status": "pass"}',
        "out/events.jsonl": "\n".join(ev(i) for i in range(1, 6)) + "\n",
        "out/runs/run-1.json": '{"run_id": "r1", "generated_at": "2026-02-20T10:00:00Z"}',
        "out/runs/run-2.json": '{"run_id": "r2", "generated_at": "2026-02-27T10:00:00Z"}',
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


# -- data.backup-restore ----------------------------------------------------------------------------


def test_backup_restore_pass_fail_na(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = data.backup_restore(service(stack, "db"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert any(e.location.endswith("reports/backup.json:1") for e in v.evidence)
    v = data.backup_restore(service(stack, "cache"))
    assert v.outcome is Outcome.FAILED
    assert "declares no backup_drill" in v.reason
    assert data.backup_restore(service(stack, "writer")).outcome is Outcome.NOT_APPLICABLE


def test_backup_restore_partial_and_stale_both_listed(tmp_path: Path) -> None:
    report = '{\n  "generated_at": "2026-02-10T03:00:00Z",\n  "status": "partial"\n}'
    stack = make_stack(tmp_path, BASE, files(**{"reports/backup.json": report}))
    v = data.backup_restore(service(stack, "db"))
    assert v.outcome is Outcome.FAILED
    assert "status='partial'" in v.reason
    assert "stale" in v.reason
    assert any(e.location.endswith("reports/backup.json:3") for e in v.evidence)


def test_backup_restore_missing_report(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files(**{"reports/backup.json": None}))
    v = data.backup_restore(service(stack, "db"))
    assert v.outcome is Outcome.FAILED
    assert "does not exist" in v.reason


# -- data.idempotent-writes -------------------------------------------------------------------------


def test_idempotent_writes_pass(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = data.idempotent_writes(service(stack, "writer"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert data.idempotent_writes(service(stack, "cache")).outcome is Outcome.NOT_APPLICABLE
    assert data.idempotent_writes(service(stack, "mon")).outcome is Outcome.NOT_APPLICABLE


def test_idempotent_writes_duplicate_key_names_lines_not_records(tmp_path: Path) -> None:
    lines = [ev(1), ev(2), ev(3), ev(2), ev(4)]
    stack = make_stack(tmp_path, BASE, files(**{"out/events.jsonl": "\n".join(lines) + "\n"}))
    v = data.idempotent_writes(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "event_id=evt-00002" in v.reason
    assert "events.jsonl:2" in v.reason
    assert "events.jsonl:4" in v.reason
    assert '"kind"' not in v.reason
    assert "fill" not in v.reason


def test_idempotent_writes_records_without_key_and_dir_duplicates(tmp_path: Path) -> None:
    stack = make_stack(
        tmp_path,
        BASE,
        files(
            **{
                "out/events.jsonl": ev(1) + "\n" + '{"ts": "2026-02-27T11:00:00Z"}\n',
                "out/runs/run-3.json": '{"run_id": "r1", "generated_at": "2026-02-27T11:00:00Z"}',
            }
        ),
    )
    v = data.idempotent_writes(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "lack the key 'event_id'" in v.reason
    assert "events.jsonl:2" in v.reason
    assert "run_id=r1" in v.reason


def test_idempotent_writes_bot_without_outputs_fails_and_bad_json(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files(**{"out/events.jsonl": ev(1) + "\n{oops\n"}))
    v = data.idempotent_writes(service(stack, "bot"))
    assert v.outcome is Outcome.FAILED
    assert "declares no outputs" in v.reason
    v = data.idempotent_writes(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "events.jsonl:2: not valid JSON" in v.reason


# -- data.source-of-truth ---------------------------------------------------------------------------


def test_source_of_truth_pass_and_na(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = data.source_of_truth(service(stack, "writer"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert v.evidence[0].location.startswith("services.yaml:") or "services.yaml:" in v.evidence[0].location
    assert data.source_of_truth(service(stack, "cache")).outcome is Outcome.NOT_APPLICABLE
    assert data.source_of_truth(service(stack, "bot")).outcome is Outcome.FAILED


def test_source_of_truth_two_claimants_and_missing_path(tmp_path: Path) -> None:
    yaml = BASE.replace(
        "    kind: bot\n",
        "    kind: bot\n    outputs:\n      - {dataset: events, path: out/bot.jsonl, format: jsonl, key: id}\n"
        "      - {dataset: bot-runs, path: out/runs, format: dir}\n",
    )
    stack = make_stack(tmp_path, yaml, files())
    v = data.source_of_truth(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "dataset 'events' is claimed by writer and bot" in v.reason
    assert "claimed by writer and bot" in v.reason
    v = data.source_of_truth(service(stack, "bot"))
    assert "out/bot.jsonl does not exist" in v.reason


# -- data.retention ---------------------------------------------------------------------------------


def test_retention_pass(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = data.retention(service(stack, "writer"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert any("logging max-size 20m" in e.detail for e in v.evidence)
    assert data.retention(service(stack, "db")).outcome is Outcome.PASSED
    assert data.retention(service(stack, "mon")).outcome is Outcome.NOT_APPLICABLE


def test_retention_fails_on_age_files_and_container_logs(tmp_path: Path) -> None:
    stack = make_stack(
        tmp_path,
        BASE,
        files(
            **{
                "out/events.jsonl": '{"event_id": "evt-0", "ts": "2026-01-10T00:00:00Z"}\n' + ev(2) + "\n",
                "out/runs/run-3.json": '{"run_id": "r3", "generated_at": "2026-02-27T11:00:00Z"}',
                "out/runs/run-4.json": '{"run_id": "r4", "generated_at": "2026-02-27T11:30:00Z"}',
            }
        ),
    )
    v = data.retention(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "> max_age 30d" in v.reason
    assert "4 file(s) > max_files 3" in v.reason
    v = data.retention(service(stack, "cache"))
    assert v.outcome is Outcome.FAILED
    assert "container cache logs with json-file (Docker's default) and no max-size" in v.reason
    assert v.fix is not None
    assert "max-size: 10m" in v.fix
    assert "compose.yml:" in v.reason


def test_retention_missing_policy_and_size(tmp_path: Path) -> None:
    yaml = BASE.replace("retention: {max_size: 1MB, max_age: 30d}", "retention: {max_size: 100}").replace(
        "    kind: bot\n", "    kind: bot\n    outputs:\n      - {dataset: fills, path: out/fills.jsonl, key: id}\n"
    )
    stack = make_stack(tmp_path, yaml, files(**{"out/fills.jsonl": '{"id": 1}\n'}))
    v = data.retention(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "> max_size 100" in v.reason
    v = data.retention(service(stack, "bot"))
    assert v.outcome is Outcome.FAILED
    assert "fills" in v.reason
    assert "no retention policy" in v.reason
    assert "container bot logs with json-file (Docker's default) and no max-size" in v.reason


def test_retention_unknown_compose_service_fails(tmp_path: Path) -> None:
    yaml = BASE.replace("compose_services: [cache]", "compose_services: [nope]")
    stack = make_stack(tmp_path, yaml, files())
    v = data.retention(service(stack, "cache"))
    assert v.outcome is Outcome.FAILED
    assert "nope" in v.reason


def test_retention_cannot_date_data_from_the_future(tmp_path: Path) -> None:
    future = '{"event_id": "evt-0", "ts": "2026-03-10T00:00:00Z"}\n'
    stack = make_stack(tmp_path, BASE, files(**{"out/events.jsonl": future}))
    v = data.retention(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "after the evaluation time" in v.reason
