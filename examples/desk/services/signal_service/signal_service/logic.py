"""Mean-reversion signal: z-score of the mid price against a rolling window."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    pair: str
    side: str  # "buy" | "sell" | "flat"
    zscore: float
    mid: float


class ZScore:
    """Rolling mean/std over the last ``window`` mids of one pair."""

    def __init__(self, window: int) -> None:
        self.values: deque[float] = deque(maxlen=window)

    def push(self, value: float) -> float | None:
        self.values.append(value)
        if len(self.values) < self.values.maxlen:  # type: ignore[operator]
            return None
        mean = sum(self.values) / len(self.values)
        var = sum((v - mean) ** 2 for v in self.values) / (len(self.values) - 1)
        std = math.sqrt(var)
        return 0.0 if std == 0 else (value - mean) / std


def decide(pair: str, mid: float, z: float | None, entry: float, exit_: float) -> Signal | None:
    """Enter against a stretched price, flatten when it has reverted."""
    if z is None:
        return None
    if z >= entry:
        return Signal(pair, "sell", z, mid)
    if z <= -entry:
        return Signal(pair, "buy", z, mid)
    if abs(z) <= exit_:
        return Signal(pair, "flat", z, mid)
    return None
