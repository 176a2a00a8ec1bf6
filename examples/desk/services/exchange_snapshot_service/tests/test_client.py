"""Valuation of balances and the client's handling of credentials."""

import hashlib
import hmac
from urllib.parse import urlencode

from exchange_snapshot_service.client import ExchangeClient, valuations

ACCOUNT = {"balances": [
    {"asset": "BTC", "free": "0.10", "locked": "0.05"},
    {"asset": "USDT", "free": "1200.50", "locked": "0"},
    {"asset": "DOGE", "free": "0", "locked": "0"},
    {"asset": "XYZ", "free": "10", "locked": "0"},
]}


def test_valuations_in_the_quote_asset() -> None:
    values = valuations(ACCOUNT, {"BTCUSDT": 61000.0}, "USDT")
    assert values == {"BTC": 9150.0, "USDT": 1200.5}  # zero balances and unpriced assets are skipped


def client() -> ExchangeClient:
    return ExchangeClient("https://api.example.invalid/", "unit-test-key-id", "unit-test-signing-value", retries=3,
                          backoff_factor=0.5, timeout_s=5.0, recv_window_ms=5000)


def test_repr_never_shows_the_key() -> None:
    assert "unit-test-key-id" not in repr(client())
    assert "redacted" in repr(client())


def test_requests_are_signed_over_the_query() -> None:
    params = client()._signed({"omitZeroBalances": "true"})
    query = urlencode({k: v for k, v in params.items() if k != "signature"})
    expected = hmac.new(b"unit-test-signing-value", query.encode(), hashlib.sha256).hexdigest()
    assert params["signature"] == expected
    assert params["recvWindow"] == 5000


def test_retries_with_backoff_are_mounted() -> None:
    retry = client().session.get_adapter("https://api.example.invalid/").max_retries
    assert retry.total == 3
    assert retry.backoff_factor == 0.5
