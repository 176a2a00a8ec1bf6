"""Concentration and drawdown assessment of one balance snapshot."""

from portfolio_risk_service.risk import assess

LIMITS = {"max_share": 0.5, "warn_share": 0.4, "max_drawdown_pct": 10.0}


def test_diversified_book_is_ok() -> None:
    result = assess({"BTC": 3800.0, "ETH": 3200.0, "USDT": 3000.0}, peak_equity=10000.0, **LIMITS)
    assert result.status == "ok"
    assert result.actions == ()
    assert result.top_asset == "BTC"


def test_concentration_between_warn_and_max_warns() -> None:
    result = assess({"BTC": 4500.0, "ETH": 2000.0, "USDT": 3500.0}, peak_equity=10000.0, **LIMITS)
    assert result.status == "warn"


def test_concentration_above_max_asks_to_reduce() -> None:
    result = assess({"BTC": 7000.0, "USDT": 3000.0}, peak_equity=10000.0, **LIMITS)
    assert result.status == "critical"
    assert result.actions == ("reduce_BTC",)


def test_drawdown_halts_trading() -> None:
    result = assess({"BTC": 3000.0, "ETH": 3000.0, "USDT": 2500.0}, peak_equity=10000.0, **LIMITS)
    assert result.drawdown_pct == 15.0
    assert "halt_trading" in result.actions


def test_empty_account_is_critical() -> None:
    assert assess({}, peak_equity=0.0, **LIMITS).status == "critical"
