"""Bot fills vs exchange fills: breaks and the report status."""

from reconciliation_service.matching import Break, reconcile, status


def fill(qty: str, price: str, pair: str = "BTC-USDT") -> dict[str, str]:
    return {"qty": qty, "price": price, "pair": pair}


def test_matching_fills_have_no_breaks() -> None:
    bot = {"t1": fill("0.01", "61000")}
    assert reconcile(bot, {"t1": fill("0.01", "61000")}, qty_abs=1e-8, price_bps=5) == []
    assert status([]) == "pass"


def test_price_noise_only_warns() -> None:
    breaks = reconcile({"t1": fill("0.01", "61000")}, {"t1": fill("0.01", "61100")}, qty_abs=1e-8, price_bps=5)
    assert [b.kind for b in breaks] == ["price_mismatch"]
    assert status(breaks) == "warn"


def test_quantity_mismatch_and_missing_fills_fail() -> None:
    bot = {"t1": fill("0.01", "61000"), "t2": fill("0.02", "61000")}
    exchange = {"t1": fill("0.02", "61000"), "t3": fill("0.5", "3300", pair="ETH-USDT")}
    breaks = reconcile(bot, exchange, qty_abs=1e-8, price_bps=5)
    assert {(b.trade_id, b.kind) for b in breaks} == {
        ("t1", "qty_mismatch"), ("t2", "missing_on_exchange"), ("t3", "missing_in_bot")}
    assert status(breaks) == "fail"
    assert Break("t3", "missing_in_bot", "ETH-USDT") in breaks
