"""Portfolio checks over one balance snapshot: concentration per asset and drawdown from the peak."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assessment:
    status: str  # ok | warn | critical
    equity: float
    top_asset: str
    top_share: float
    drawdown_pct: float
    actions: tuple[str, ...]


def assess(values: dict[str, float], peak_equity: float, *, max_share: float, warn_share: float,
           max_drawdown_pct: float) -> Assessment:
    equity = sum(values.values())
    if equity <= 0:
        return Assessment("critical", equity, "", 0.0, 100.0, ("halt_trading",))
    top_asset, top_value = max(values.items(), key=lambda kv: kv[1])
    share = top_value / equity
    drawdown = max(0.0, (peak_equity - equity) / peak_equity * 100) if peak_equity else 0.0
    actions: list[str] = []
    if share > max_share:
        actions.append(f"reduce_{top_asset}")
    if drawdown > max_drawdown_pct:
        actions.append("halt_trading")
    status = "critical" if actions else ("warn" if share > warn_share else "ok")
    return Assessment(status, round(equity, 2), top_asset, round(share, 4), round(drawdown, 3), tuple(actions))
