"""The desk's own readiness criteria for its Hummingbot bots.

pytest-readiness collects this folder (services.yaml: stack.criteria) and runs each test once per
service row, like the built-in checklist; the results count in the levels. Both criteria apply
only to the bot row and are N/A for every other row.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_readiness import Service

# Where the ops DB writer's sanity job writes its report (the postgres-ops-db-writer row).
OPS_DB_SANITY_REPORT = "reports/ops_db/postgres_sanity_latest.json"
DEFAULT_TOLERANCE_BPS = 20.0
DEFAULT_MAX_INSUFFICIENT_SHARE = 0.25


def _load(service: Service, rel: str) -> dict[str, Any]:
    path = service.path(rel)
    if not path.exists():
        service.fail(f"{rel} does not exist", service.cite(path, "missing"))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        service.fail(f"{rel}:{exc.lineno}: not valid JSON: {exc.msg}", service.cite(path, "unparsable", exc.lineno))
    assert isinstance(data, dict), f"{rel} must hold a JSON object"
    return data


def _bots_only(service: Service) -> None:
    if service.kind != "bot":
        service.not_applicable("Hummingbot criteria apply to the bot row only")


@pytest.mark.readiness(id="hummingbot.paper-live-parity", level="L2", critical=True)
def test_paper_live_parity(service: Service) -> None:
    """Paper and live fills agree within the tolerance, and the parity windows are not mostly noise."""
    _bots_only(service)
    rel = service.spec.raw.get("live", {}).get("parity_report", "reports/parity/latest.json")
    report = _load(service, rel)
    path = service.path(rel)
    tolerance = float(report.get("tolerance_bps", DEFAULT_TOLERANCE_BPS))
    max_share = float(report.get("max_insufficient_share", DEFAULT_MAX_INSUFFICIENT_SHARE))
    windows = [w for w in report.get("windows", []) if isinstance(w, dict)]
    assert windows, f"{rel} has no parity windows"

    bots = set(service.spec.compose_services)
    ours = [w for w in windows if not bots or w.get("bot") in bots]
    insufficient = [w for w in ours if w.get("status") == "insufficient_data"]
    outside = [w for w in ours
               if isinstance(w.get("paper_vs_live_bps"), int | float) and abs(w["paper_vs_live_bps"]) > tolerance]
    share = len(insufficient) / len(ours) if ours else 1.0
    service.cite(path, f"{len(ours)} windows, {len(insufficient)} insufficient_data, tolerance {tolerance} bps")
    for w in outside:
        service.cite(path, f"{w.get('bot')} {w.get('window')}: {w['paper_vs_live_bps']} bps > {tolerance}")

    problems = []
    if outside:
        problems.append(f"{len(outside)} window(s) deviate more than {tolerance} bps between paper and live")
    if share > max_share:
        problems.append(f"parity is noisy: {len(insufficient)}/{len(ours)} windows ({share:.0%}) are "
                        f"insufficient_data (max {max_share:.0%})")
    assert not problems, "; ".join(problems)
    service.pass_reason = f"paper/live parity within {tolerance} bps over {len(ours)} windows"


@pytest.mark.readiness(id="hummingbot.fills-recorded", level="L2", critical=True)
def test_fills_recorded(service: Service) -> None:
    """The ops DB actually holds the bots' fills (the blotter can be validated)."""
    _bots_only(service)
    table = service.spec.raw.get("live", {}).get("fills_table", "fills")
    report = _load(service, OPS_DB_SANITY_REPORT)
    path = service.path(OPS_DB_SANITY_REPORT)
    rows = report.get("tables", {}).get(table, {}).get("rows")
    per_bot = {bot: (report.get("by_bot", {}).get(bot) or {}).get(table) for bot in service.spec.compose_services}
    service.cite(path, f"{table} rows = {rows}; per bot: {per_bot}")
    assert isinstance(rows, int), f"{OPS_DB_SANITY_REPORT} does not report a row count for table {table!r}"
    empty = [bot for bot, n in per_bot.items() if not n]
    assert rows > 0, f"ops DB table {table!r} holds 0 rows: the bots' fills are not recorded"
    assert not empty, f"no {table} rows recorded for {', '.join(empty)}"
    service.pass_reason = f"{rows} {table} rows recorded in the ops DB"
