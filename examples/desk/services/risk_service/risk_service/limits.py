"""Pre-trade risk limits: per-pair notional, gross exposure and a signal rate limit."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    notional: float


@dataclass
class Limits:
    max_pair_notional: dict[str, float]
    max_gross_notional: float
    max_signals_per_minute: int
    order_size_quote: float
    positions: dict[str, float] = field(default_factory=dict)
    recent: deque[float] = field(default_factory=deque)

    def check(self, pair: str, side: str, mid: float, now: float | None = None) -> Decision:
        """Allow a signal only while every limit holds after it."""
        now = time.time() if now is None else now
        while self.recent and now - self.recent[0] > 60:
            self.recent.popleft()
        if len(self.recent) >= self.max_signals_per_minute:
            return Decision(False, "rate_limit", 0.0)
        if side == "flat":
            return Decision(True, "flatten", abs(self.positions.get(pair, 0.0)) * mid)
        signed = self.order_size_quote if side == "buy" else -self.order_size_quote
        new_pair = self.positions.get(pair, 0.0) * mid + signed
        if abs(new_pair) > self.max_pair_notional.get(pair, 0.0):
            return Decision(False, "pair_notional", abs(new_pair))
        gross = sum(abs(q) * mid for p, q in self.positions.items() if p != pair) + abs(new_pair)
        if gross > self.max_gross_notional:
            return Decision(False, "gross_notional", gross)
        self.recent.append(now)
        self.positions[pair] = new_pair / mid
        return Decision(True, "ok", abs(signed))
