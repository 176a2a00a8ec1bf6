"""Promotion gate: may the desk promote a release? Decided from the reports the services write.

    python -m gates.promotion_gate [--config gates/gate.toml] [--root .] [--strict]
                                   [--stale-inputs warn|fail] [--now 2026-02-27T11:45:00Z]
                                   [--out reports/promotion_gates/latest.json]
                                   [--history reports/promotion_gates/history]
                                   [--textfile /var/lib/node_exporter/textfile/promotion_gate.prom]
    python -m gates.promotion_gate --selftest [--out reports/promotion_gates/selftest_latest.json]

Exit status: 0 when the verdict is PASS, 1 when it is FAIL, 2 on a usage or config error.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger("gates.promotion_gate")

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def human(age: timedelta) -> str:
    secs = int(age.total_seconds())
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    mins = rem // 60
    return f"{days}d {hours}h" if days else f"{hours}h {mins}m" if hours else f"{mins}m"


@dataclass(frozen=True)
class Check:
    name: str
    report: str
    max_age: timedelta
    status_field: str = "status"
    passing: tuple[str, ...] = ("pass",)
    warning: tuple[str, ...] = ()
    critical: bool = True
    require_fresh: bool = False

    @classmethod
    def from_toml(cls, raw: dict[str, Any]) -> Check:
        return cls(
            name=raw["name"], report=raw["report"], max_age=parse_duration(raw["max_age"]),
            status_field=raw.get("status_field", "status"), passing=tuple(raw.get("pass", ["pass"])),
            warning=tuple(raw.get("warn", [])), critical=bool(raw.get("critical", True)),
            require_fresh=bool(raw.get("require_fresh", False)),
        )


@dataclass
class Result:
    name: str
    status: str  # pass | warn | fail
    critical: bool
    input: str
    detail: str
    age: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "critical": self.critical, "input": self.input,
                "age": self.age, "detail": self.detail}


@dataclass
class GateConfig:
    checks: list[Check]
    strict: bool = False
    stale_inputs: str = "warn"
    extra: dict[str, Any] = field(default_factory=dict)


def load_config(path: Path) -> GateConfig:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    policy = data.get("stale_inputs", "warn")
    if policy not in ("warn", "fail"):
        raise ValueError(f"{path}: stale_inputs must be warn or fail, not {policy!r}")
    return GateConfig([Check.from_toml(c) for c in data.get("check", [])], bool(data.get("strict", False)), policy)


def _resolve(root: Path, pattern: str) -> Path | None:
    if any(ch in pattern for ch in "*?["):
        matches = sorted(root.glob(pattern))
        return matches[-1] if matches else None
    path = root / pattern
    return path if path.exists() else None


def evaluate_check(check: Check, root: Path, now: datetime, stale_inputs: str) -> Result:
    path = _resolve(root, check.report)
    if path is None:
        return Result(check.name, "fail", check.critical, check.report, "input missing")
    shown = path.relative_to(root).as_posix()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        generated = parse_time(str(data["generated_at"]))
    except (OSError, ValueError, KeyError) as exc:
        return Result(check.name, "fail", check.critical, shown, f"unreadable input: {exc}")
    age = max(now - generated, timedelta(0))
    status = str(data.get(check.status_field))
    if status in check.passing:
        outcome, detail = "pass", f"{check.status_field}={status}"
    elif status in check.warning:
        outcome, detail = "warn", f"{check.status_field}={status}"
    else:
        outcome, detail = "fail", f"{check.status_field}={status}"
    if age > check.max_age:
        stale = f"input stale: age {human(age)} > {human(check.max_age)}"
        if check.require_fresh or stale_inputs == "fail":
            outcome, detail = "fail", stale
        elif outcome == "pass":
            outcome, detail = "warn", stale
        else:
            detail = f"{detail}; {stale}"
    return Result(check.name, outcome, check.critical, shown, detail, human(age))


def run_gate(config: GateConfig, root: Path, now: datetime, *, strict: bool, stale_inputs: str) -> dict[str, Any]:
    results = [evaluate_check(c, root, now, stale_inputs) for c in config.checks]
    critical_failures = [r.name for r in results if r.status == "fail" and r.critical]
    failures = [r.name for r in results if r.status == "fail"]
    warnings = [r.name for r in results if r.status == "warn"]
    blocked = bool(failures or warnings) if strict else bool(critical_failures)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return {
        "run_id": f"gate-{stamp}",
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verdict": "FAIL" if blocked else "PASS",
        "strict": strict,
        "stale_input_policy": stale_inputs,
        "critical_failures": critical_failures,
        "failures": failures,
        "warnings": warnings,
        "checks": [r.to_dict() for r in results],
    }


def write_report(report: dict[str, Any], out: Path, history: Path | None) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2) + "\n"
    out.write_text(text, encoding="utf-8")
    if history is not None:
        history.mkdir(parents=True, exist_ok=True)
        (history / f"{report['run_id']}.json").write_text(text, encoding="utf-8")


def write_textfile(report: dict[str, Any], path: Path) -> None:
    """Prometheus text format for the node-exporter textfile collector (alert_rules.yml reads these)."""
    stamp = parse_time(report["generated_at"]).timestamp()
    text = (
        "# HELP promotion_gate_last_verdict_pass 1 when the latest promotion gate run passed, else 0.\n"
        "# TYPE promotion_gate_last_verdict_pass gauge\n"
        f"promotion_gate_last_verdict_pass {1 if report['verdict'] == 'PASS' else 0}\n"
        "# HELP promotion_gate_last_run_timestamp_seconds When the latest promotion gate run finished.\n"
        "# TYPE promotion_gate_last_run_timestamp_seconds gauge\n"
        f"promotion_gate_last_run_timestamp_seconds {stamp:.0f}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def selftest(now: datetime) -> dict[str, Any]:
    """Run the gate on synthetic inputs and check it decides as the contract says."""
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fresh = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        old = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (root / "a.json").write_text(json.dumps({"generated_at": fresh, "status": "pass"}))
        (root / "b.json").write_text(json.dumps({"generated_at": old, "status": "pass"}))
        (root / "c.json").write_text(json.dumps({"generated_at": fresh, "status": "warn"}))
        a = Check("a", "a.json", timedelta(minutes=10))
        b = Check("b", "b.json", timedelta(minutes=10))
        c = Check("c", "c.json", timedelta(minutes=10), warning=("warn",))
        missing = Check("m", "missing.json", timedelta(minutes=10))
        expectations = [
            ("fresh passing input passes", [a], False, "warn", "PASS"),
            ("stale input only warns under policy warn", [a, b], False, "warn", "PASS"),
            ("stale input blocks under policy fail", [a, b], False, "fail", "FAIL"),
            ("strict mode blocks on a warning", [a, c], True, "warn", "FAIL"),
            ("missing input blocks", [a, missing], False, "warn", "FAIL"),
        ]
        for name, checks, strict, policy, expected in expectations:
            got = run_gate(GateConfig(checks), root, now, strict=strict, stale_inputs=policy)["verdict"]
            cases.append({"case": name, "expected": expected, "got": got,
                          "status": "pass" if got == expected else "fail"})
    return {
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kind": "selftest",
        "status": "pass" if all(c["status"] == "pass" for c in cases) else "fail",
        "cases": cases,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gates.promotion_gate", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("gates/gate.toml"))
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--strict", action="store_true", default=None, help="warnings block too")
    parser.add_argument("--stale-inputs", choices=("warn", "fail"), default=None)
    parser.add_argument("--now", type=parse_time, default=None, help="evaluation time (default: now, UTC)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--history", type=Path, default=None)
    parser.add_argument("--textfile", type=Path, default=None, help="also write Prometheus metrics here")
    parser.add_argument("--selftest", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    now = args.now or datetime.now(UTC)
    if args.selftest:
        report = selftest(now)
        write_report(report, args.out or args.root / "reports/promotion_gates/selftest_latest.json", None)
        return 0 if report["status"] == "pass" else 1
    try:
        config = load_config(args.config)
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"promotion gate: bad config: {exc}", file=sys.stderr)
        return 2
    strict = config.strict if args.strict is None else args.strict
    policy = args.stale_inputs or config.stale_inputs
    report = run_gate(config, args.root, now, strict=strict, stale_inputs=policy)
    write_report(report, args.out or args.root / "reports/promotion_gates/latest.json", args.history)
    if args.textfile is not None:
        write_textfile(report, args.textfile)
    log.info(json.dumps({"msg": "gate verdict", "verdict": report["verdict"], "strict": strict,
                         "critical_failures": report["critical_failures"]}))
    return 0 if report["verdict"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
