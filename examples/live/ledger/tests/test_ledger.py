"""Unit tests of the ledger's shell functions (bin/ledger-lib.sh), run with BusyBox sh when the host has it.

`bash examples/live/stack.sh up` runs them and writes state/junit/ledger.xml (the ledger's JUnit evidence).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

LIVE = Path(__file__).resolve().parents[2]
BIN = LIVE / "bin"
CONF = LIVE / "ledger" / "ledger.conf"
KEY = "unit-test-signing-value"


def shell() -> list[str]:
    busybox = shutil.which("busybox")
    return [busybox, "sh"] if busybox else ["sh"]


def run(state: Path, script: str, *, settings: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
    """Source the ledger's functions over ``state`` and run ``script`` after ledger_setup."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LEDGER_STATE": str(state),
        "LEDGER_WWW": str(state / "www"),
        "LEDGER_RUN": str(state / "run"),
        "LEDGER_SIGNING_KEY": KEY,
        "SERVICE": "ledger",
    }
    (state / "run").mkdir(parents=True, exist_ok=True)
    program = f'. "{BIN}/lib.sh"; . "{CONF}"; {settings}\n. "{BIN}/ledger-lib.sh"; ledger_setup; {script}'
    return subprocess.run([*shell(), "-c", program], env=env, capture_output=True, text=True, timeout=60, check=check)


def records(state: Path) -> list[dict[str, object]]:
    path = state / "outputs" / "ledger.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_entries_are_keyed_signed_and_sequential(tmp_path: Path) -> None:
    run(tmp_path, "ledger_append; ledger_append; ledger_append")
    rows = records(tmp_path)
    assert [r["entry_id"] for r in rows] == ["L000000001", "L000000002", "L000000003"]
    line = (tmp_path / "outputs" / "ledger.jsonl").read_text().splitlines()[0]
    body = line[1 : line.rindex(',"sig":')]
    assert rows[0]["sig"] == hashlib.sha256(f"{KEY}|{body}".encode()).hexdigest()
    assert KEY not in (tmp_path / "outputs" / "ledger.jsonl").read_text()


def test_restart_resumes_without_duplicate_keys(tmp_path: Path) -> None:
    run(tmp_path, "ledger_append; ledger_append")
    run(tmp_path, "ledger_append")
    (tmp_path / "outputs" / "ledger.seq").unlink()  # lost counter: the dataset's last line still wins
    run(tmp_path, "ledger_append")
    ids = [r["entry_id"] for r in records(tmp_path)]
    assert ids == [f"L{n:09d}" for n in range(1, 5)]
    assert len(set(ids)) == len(ids)


def test_report_has_fresh_generated_at_and_status(tmp_path: Path) -> None:
    run(tmp_path, "ledger_append; ledger_write_report")
    report = json.loads((tmp_path / "reports" / "ledger_latest.json").read_text())
    assert report["status"] == "pass"
    assert report["last_entry_id"] == "L000000001"
    generated = time.mktime(time.strptime(report["generated_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(time.time() - generated) < 120


def test_replay_passes_clean_data_and_flags_a_duplicate_key(tmp_path: Path) -> None:
    run(tmp_path, "ledger_append; ledger_append; ledger_replay")
    clean = json.loads((tmp_path / "reports" / "replay_latest.json").read_text())
    assert (clean["status"], clean["records"], clean["signatures_checked"]) == ("pass", 2, 2)
    data = tmp_path / "outputs" / "ledger.jsonl"
    data.write_text(data.read_text() + data.read_text().splitlines()[-1] + "\n")
    run(tmp_path, "ledger_replay")
    dirty = json.loads((tmp_path / "reports" / "replay_latest.json").read_text())
    assert (dirty["status"], dirty["duplicate_keys"]) == ("fail", 1)


def test_replay_flags_a_tampered_record(tmp_path: Path) -> None:
    run(tmp_path, "ledger_append")
    data = tmp_path / "outputs" / "ledger.jsonl"
    data.write_text(data.read_text().replace('"amount_cents":', '"amount_cents":9'))
    run(tmp_path, "ledger_replay")
    report = json.loads((tmp_path / "reports" / "replay_latest.json").read_text())
    assert (report["status"], report["bad_signatures"]) == ("fail", 1)


def test_metrics_parse_and_carry_the_freshness_gauge(tmp_path: Path) -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    run(tmp_path, "ledger_append; ledger_write_report; ledger_write_stats; ledger_render_metrics")
    text = (tmp_path / "www" / "metrics").read_text()
    samples = {s.name: s.value for fam in parser.text_string_to_metric_families(text) for s in fam.samples}
    assert 0 <= samples["ledger_last_write_age_seconds"] < 60
    assert samples["ledger_entries_written_total"] == 1
    assert samples["ledger_write_errors_total"] == 0
    assert samples["ledger_entries_stored"] == 1


def test_retention_prunes_old_and_excess_records(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    out.mkdir(parents=True)
    old = int(time.time()) - 30 * 86400
    (out / "ledger.jsonl").write_text(f'{{"entry_id":"L000000001","epoch":{old}}}\n')
    run(tmp_path, "ledger_append; ledger_append; ledger_append; ledger_prune", settings="retention_max_records=2")
    assert [r["entry_id"] for r in records(tmp_path)] == ["L000000003", "L000000004"]


def test_logs_are_json_lines_with_a_level(tmp_path: Path) -> None:
    proc = run(tmp_path, "ledger_append; ledger_replay")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines
    assert all(line["level"] in ("info", "warn", "error") for line in lines)
    logged = (tmp_path / "logs" / "ledger.log").read_text().splitlines()
    assert [json.loads(line)["msg"] for line in logged] == [line["msg"] for line in lines]


def test_backup_is_restored_and_verified(tmp_path: Path) -> None:
    run(tmp_path, "ledger_append; ledger_backup; ledger_append; ledger_backup", settings="backup_keep=1")
    report = json.loads((tmp_path / "reports" / "backup_drill_latest.json").read_text())
    assert (report["status"], report["records"], report["restore_verified"]) == ("pass", 2, True)
    assert len(list((tmp_path / "backups").glob("ledger-*.jsonl"))) == 1


@pytest.mark.parametrize("retries", [0, 2])
def test_append_retries_with_backoff_then_gives_up(tmp_path: Path, retries: int) -> None:
    (tmp_path / "outputs" / "ledger.jsonl").mkdir(parents=True)  # unwritable even for root
    proc = run(
        tmp_path,
        'ledger_append; echo "rc=$? errors=$ERRORS ok=$LAST_OK"',
        settings=f"write_retries={retries}; retry_backoff_seconds=0",
    )
    assert proc.stdout.splitlines()[-1] == f"rc=1 errors={retries + 1} ok=0"
    levels = [json.loads(line)["level"] for line in proc.stdout.splitlines()[:-1]]
    assert levels == ["warn"] * retries + ["error"]
