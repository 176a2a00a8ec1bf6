"""The promotion gate decides as docs/validation/promotion_gate_contract.md says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gates.promotion_gate import Check, GateConfig, evaluate_check, load_config, main, parse_duration, run_gate

NOW = datetime(2026, 2, 27, 11, 45, tzinfo=UTC)


def write(root: Path, name: str, age: timedelta, status: str = "pass", field: str = "status") -> None:
    stamp = (NOW - age).strftime("%Y-%m-%dT%H:%M:%SZ")
    (root / name).write_text(json.dumps({"generated_at": stamp, field: status}))


def test_parse_duration() -> None:
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("15 minutes")


def test_fresh_passing_input_passes(tmp_path: Path) -> None:
    write(tmp_path, "r.json", timedelta(minutes=3))
    result = evaluate_check(Check("r", "r.json", timedelta(minutes=10)), tmp_path, NOW, "warn")
    assert result.status == "pass"
    assert result.age == "3m"


def test_stale_input_warns_or_fails_by_policy(tmp_path: Path) -> None:
    write(tmp_path, "r.json", timedelta(hours=2))
    check = Check("r", "r.json", timedelta(minutes=10))
    assert evaluate_check(check, tmp_path, NOW, "warn").status == "warn"
    assert evaluate_check(check, tmp_path, NOW, "fail").status == "fail"


def test_require_fresh_fails_whatever_the_policy(tmp_path: Path) -> None:
    write(tmp_path, "integrity_20260222.json", timedelta(days=5))
    check = Check("integrity", "integrity_*.json", timedelta(minutes=15), require_fresh=True)
    result = evaluate_check(check, tmp_path, NOW, "warn")
    assert result.status == "fail"
    assert "input stale: age 5d 0h" in result.detail


def test_glob_picks_the_newest_report(tmp_path: Path) -> None:
    write(tmp_path, "integrity_20260220.json", timedelta(days=7), status="fail")
    write(tmp_path, "integrity_20260227.json", timedelta(minutes=1))
    result = evaluate_check(Check("i", "integrity_*.json", timedelta(minutes=15)), tmp_path, NOW, "fail")
    assert result.status == "pass"
    assert result.input == "integrity_20260227.json"


def test_missing_input_fails(tmp_path: Path) -> None:
    result = evaluate_check(Check("x", "nope.json", timedelta(minutes=10)), tmp_path, NOW, "warn")
    assert (result.status, result.detail) == ("fail", "input missing")


def test_verdict_blocks_on_critical_failures_and_in_strict_mode_on_warnings(tmp_path: Path) -> None:
    write(tmp_path, "ok.json", timedelta(minutes=1))
    write(tmp_path, "warn.json", timedelta(minutes=1), status="warn")
    write(tmp_path, "bad.json", timedelta(minutes=1), status="fail")
    ok = Check("ok", "ok.json", timedelta(minutes=10))
    warn = Check("warn", "warn.json", timedelta(minutes=10), warning=("warn",))
    soft_fail = Check("bad", "bad.json", timedelta(minutes=10), critical=False)
    config = GateConfig([ok, warn, soft_fail])
    lenient = run_gate(config, tmp_path, NOW, strict=False, stale_inputs="warn")
    assert lenient["verdict"] == "PASS"
    assert lenient["warnings"] == ["warn"]
    strict = run_gate(config, tmp_path, NOW, strict=True, stale_inputs="warn")
    assert strict["verdict"] == "FAIL"
    assert strict["strict"] is True
    hard = run_gate(GateConfig([ok, Check("bad", "bad.json", timedelta(minutes=10))]), tmp_path, NOW,
                    strict=False, stale_inputs="warn")
    assert hard["critical_failures"] == ["bad"]


def test_shipped_config_loads() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "gate.toml")
    names = [c.name for c in config.checks]
    assert "event_store_integrity" in names
    assert config.stale_inputs in ("warn", "fail")


def test_main_writes_report_and_history(tmp_path: Path) -> None:
    write(tmp_path, "r.json", timedelta(minutes=1))
    (tmp_path / "gate.toml").write_text(
        'stale_inputs = "fail"\n[[check]]\nname = "r"\nreport = "r.json"\nmax_age = "10m"\n')
    out, history = tmp_path / "out" / "latest.json", tmp_path / "out" / "history"
    prom = tmp_path / "out" / "promotion_gate.prom"
    code = main(["--config", str(tmp_path / "gate.toml"), "--root", str(tmp_path), "--strict",
                 "--now", "2026-02-27T11:45:00Z", "--out", str(out), "--history", str(history),
                 "--textfile", str(prom)])
    assert code == 0
    report = json.loads(out.read_text())
    assert report["verdict"] == "PASS"
    assert report["strict"] is True
    assert report["stale_input_policy"] == "fail"
    assert (history / "gate-20260227T114500Z.json").exists()
    metrics = prom.read_text()
    assert "promotion_gate_last_verdict_pass 1\n" in metrics
    assert "promotion_gate_last_run_timestamp_seconds 1772192700\n" in metrics


def test_selftest_passes(tmp_path: Path) -> None:
    out = tmp_path / "selftest.json"
    assert main(["--selftest", "--now", "2026-02-27T11:45:00Z", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["status"] == "pass"
