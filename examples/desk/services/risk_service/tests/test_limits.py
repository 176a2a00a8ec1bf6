"""Pre-trade risk limits: per-pair notional, gross exposure, signal rate."""

from risk_service.limits import Limits


def limits(**over: object) -> Limits:
    base: dict[str, object] = {"max_pair_notional": {"BTC-USDT": 1000.0, "ETH-USDT": 1000.0},
                               "max_gross_notional": 1500.0, "max_signals_per_minute": 3, "order_size_quote": 400.0}
    base.update(over)
    return Limits(**base)  # type: ignore[arg-type]


def test_signal_within_limits_is_allowed_and_updates_the_position() -> None:
    lim = limits()
    decision = lim.check("BTC-USDT", "buy", 60000.0, now=0.0)
    assert decision.allowed
    assert decision.reason == "ok"
    assert lim.positions["BTC-USDT"] * 60000.0 == 400.0


def test_pair_notional_limit_denies_the_third_buy() -> None:
    lim = limits(max_signals_per_minute=10)
    assert lim.check("BTC-USDT", "buy", 60000.0, now=0.0).allowed
    assert lim.check("BTC-USDT", "buy", 60000.0, now=1.0).allowed
    denied = lim.check("BTC-USDT", "buy", 60000.0, now=2.0)
    assert (denied.allowed, denied.reason) == (False, "pair_notional")


def test_gross_limit_counts_other_pairs() -> None:
    lim = limits(max_signals_per_minute=10, max_gross_notional=900.0)
    lim.positions = {"ETH-USDT": 0.2}  # 0.2 * 3000 = 600 quote, +400 = 1000 > 900
    denied = lim.check("BTC-USDT", "buy", 3000.0, now=0.0)
    assert (denied.allowed, denied.reason) == (False, "gross_notional")


def test_rate_limit_resets_after_a_minute() -> None:
    lim = limits(max_pair_notional={"BTC-USDT": 1e9}, max_gross_notional=1e9, max_signals_per_minute=2)
    assert lim.check("BTC-USDT", "buy", 100.0, now=0.0).allowed
    assert lim.check("BTC-USDT", "sell", 100.0, now=10.0).allowed
    assert lim.check("BTC-USDT", "buy", 100.0, now=20.0).reason == "rate_limit"
    assert lim.check("BTC-USDT", "buy", 100.0, now=75.0).allowed


def test_flatten_is_always_allowed() -> None:
    lim = limits(positions={"BTC-USDT": 0.01})
    decision = lim.check("BTC-USDT", "flat", 60000.0, now=0.0)
    assert decision.allowed
    assert decision.notional == 600.0
