"""Turns allowed risk decisions into order intents for the bots, one intent per pair at a time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    bot: str
    pair: str
    side: str
    notional: float


def route(pair: str, side: str, notional: float, routes: dict[str, str], in_flight: set[str]) -> Intent | None:
    """The bot that trades ``pair``; None when no bot does or an intent for it is still in flight."""
    bot = routes.get(pair)
    if bot is None or pair in in_flight:
        return None
    return Intent(bot, pair, side, notional)
