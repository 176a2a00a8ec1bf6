"""Match bot-side fills to exchange-side fills by trade id; anything else is a break."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Break:
    trade_id: str
    kind: str  # missing_on_exchange | missing_in_bot | qty_mismatch | price_mismatch
    detail: str


def reconcile(bot: dict[str, dict[str, Any]], exchange: dict[str, dict[str, Any]], *, qty_abs: float,
              price_bps: float) -> list[Break]:
    breaks: list[Break] = []
    for trade_id, fill in bot.items():
        other = exchange.get(trade_id)
        if other is None:
            breaks.append(Break(trade_id, "missing_on_exchange", fill.get("pair", "")))
            continue
        if abs(float(fill["qty"]) - float(other["qty"])) > qty_abs:
            breaks.append(Break(trade_id, "qty_mismatch", f"{fill['qty']} vs {other['qty']}"))
        price, ref = float(fill["price"]), float(other["price"])
        if ref and abs(price - ref) / ref * 10_000 > price_bps:
            breaks.append(Break(trade_id, "price_mismatch", f"{price} vs {ref}"))
    breaks.extend(Break(t, "missing_in_bot", f.get("pair", "")) for t, f in exchange.items() if t not in bot)
    return breaks


def status(breaks: list[Break]) -> str:
    """pass: no breaks; warn: only price noise; fail: quantities or missing fills."""
    if not breaks:
        return "pass"
    return "warn" if all(b.kind == "price_mismatch" for b in breaks) else "fail"
