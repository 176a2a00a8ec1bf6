"""Mean-reversion signal logic: rolling z-score and entry/exit decisions."""

import pytest
from signal_service.logic import Signal, ZScore, decide


def test_zscore_waits_for_a_full_window() -> None:
    z = ZScore(window=3)
    assert z.push(100.0) is None
    assert z.push(101.0) is None
    assert z.push(102.0) == pytest.approx(1.0)


def test_zscore_of_a_flat_series_is_zero() -> None:
    z = ZScore(window=4)
    for _ in range(3):
        z.push(50.0)
    assert z.push(50.0) == 0.0


def test_decide_enters_against_the_stretch_and_flattens_on_reversion() -> None:
    assert decide("BTC-USDT", 61000.0, 2.5, entry=2.0, exit_=0.5) == Signal("BTC-USDT", "sell", 2.5, 61000.0)
    assert decide("BTC-USDT", 61000.0, -2.1, entry=2.0, exit_=0.5).side == "buy"  # type: ignore[union-attr]
    assert decide("BTC-USDT", 61000.0, 0.2, entry=2.0, exit_=0.5).side == "flat"  # type: ignore[union-attr]


def test_decide_holds_between_exit_and_entry_or_without_a_score() -> None:
    assert decide("ETH-USDT", 3300.0, 1.2, entry=2.0, exit_=0.5) is None
    assert decide("ETH-USDT", 3300.0, None, entry=2.0, exit_=0.5) is None
