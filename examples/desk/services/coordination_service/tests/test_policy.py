"""Routing of allowed risk decisions to the bot that trades the pair."""

from coordination_service.policy import Intent, route

ROUTES = {"BTC-USDT": "bot1", "ETH-USDT": "bot4"}


def test_routes_to_the_pair_bot() -> None:
    assert route("ETH-USDT", "buy", 400.0, ROUTES, set()) == Intent("bot4", "ETH-USDT", "buy", 400.0)


def test_unknown_pair_is_not_routed() -> None:
    assert route("SOL-USDT", "buy", 400.0, ROUTES, set()) is None


def test_one_intent_per_pair_in_flight() -> None:
    assert route("BTC-USDT", "sell", 400.0, ROUTES, {"BTC-USDT"}) is None
    assert route("ETH-USDT", "sell", 400.0, ROUTES, {"BTC-USDT"}) is not None
