"""Paper/live parity: fill-count ratio and average price slippage per bot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Parity:
    bot: str
    live_fills: int
    paper_fills: int
    fill_ratio_gap: float
    slippage_bps: float
    status: str


def _avg(fills: list[dict[str, Any]]) -> float:
    return sum(float(f["price"]) for f in fills) / len(fills) if fills else 0.0


def compare(bot: str, live: list[dict[str, Any]], paper: list[dict[str, Any]], *, min_fills: int,
            max_slippage_bps: float, max_fill_ratio_gap: float) -> Parity:
    if len(live) < min_fills or len(paper) < min_fills:
        return Parity(bot, len(live), len(paper), 0.0, 0.0, "insufficient_data")
    gap = abs(len(live) - len(paper)) / max(len(live), len(paper))
    ref = _avg(paper)
    slippage = abs(_avg(live) - ref) / ref * 10_000 if ref else 0.0
    ok = gap <= max_fill_ratio_gap and slippage <= max_slippage_bps
    return Parity(bot, len(live), len(paper), round(gap, 4), round(slippage, 2), "pass" if ok else "fail")


def overall(results: list[Parity]) -> str:
    statuses = {r.status for r in results}
    if "fail" in statuses:
        return "fail"
    return "insufficient_data" if "insufficient_data" in statuses or not results else "pass"
