"""Paper/live parity per bot and overall."""

from shadow_parity_service.parity import Parity, compare, overall

LIMITS = {"min_fills": 3, "max_slippage_bps": 15.0, "max_fill_ratio_gap": 0.3}


def fills(n: int, price: float) -> list[dict[str, float]]:
    return [{"price": price} for _ in range(n)]


def test_too_few_fills_is_insufficient_data() -> None:
    result = compare("bot4", fills(1, 3300), fills(8, 3300), **LIMITS)
    assert result.status == "insufficient_data"


def test_close_prices_and_counts_pass() -> None:
    result = compare("bot1", fills(9, 61010), fills(10, 61000), **LIMITS)
    assert result.status == "pass"
    assert result.slippage_bps == 1.64
    assert result.fill_ratio_gap == 0.1


def test_slippage_above_tolerance_fails() -> None:
    result = compare("bot1", fills(10, 61200), fills(10, 61000), **LIMITS)
    assert result.status == "fail"


def test_overall_status() -> None:
    ok = Parity("bot1", 10, 10, 0.0, 1.0, "pass")
    thin = Parity("bot4", 1, 8, 0.0, 0.0, "insufficient_data")
    bad = Parity("bot4", 10, 10, 0.0, 40.0, "fail")
    assert overall([ok]) == "pass"
    assert overall([ok, thin]) == "insufficient_data"
    assert overall([ok, thin, bad]) == "fail"
    assert overall([]) == "insufficient_data"
