"""Signed, read-only exchange REST client with HTTP retry/backoff. The key and secret are never logged."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry


class ExchangeClient:
    def __init__(self, base_url: str, api_key: str, api_secret: str, *, retries: int, backoff_factor: float,
                 timeout_s: float, recv_window_ms: int) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_secret = api_secret.encode()
        self.timeout_s = timeout_s
        self.recv_window_ms = recv_window_ms
        self.session = requests.Session()
        self.session.headers["X-MBX-APIKEY"] = api_key
        retry = Retry(total=retries, backoff_factor=backoff_factor, status_forcelist=(418, 429, 500, 502, 503, 504),
                      allowed_methods=frozenset({"GET"}), respect_retry_after_header=True)
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def __repr__(self) -> str:
        return f"ExchangeClient({self.base_url!r}, key=<redacted>)"

    def _signed(self, params: dict[str, Any]) -> dict[str, Any]:
        params = {**params, "timestamp": int(time.time() * 1000), "recvWindow": self.recv_window_ms}
        query = urlencode(params)
        params["signature"] = hmac.new(self._api_secret, query.encode(), hashlib.sha256).hexdigest()
        return params

    def account(self, path: str) -> dict[str, Any]:
        response = self.session.get(self.base_url + path, params=self._signed({}), timeout=self.timeout_s)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def prices(self, path: str) -> dict[str, float]:
        response = self.session.get(self.base_url + path, timeout=self.timeout_s)
        response.raise_for_status()
        return {row["symbol"]: float(row["price"]) for row in response.json()}


def valuations(account: dict[str, Any], prices: dict[str, float], quote: str) -> dict[str, float]:
    """Value of each non-zero balance in the quote asset."""
    out: dict[str, float] = {}
    for balance in account.get("balances", []):
        qty = float(balance["free"]) + float(balance["locked"])
        if qty <= 0:
            continue
        asset = balance["asset"]
        price = 1.0 if asset == quote else prices.get(f"{asset}{quote}")
        if price is not None:
            out[asset] = round(qty * price, 2)
    return out
