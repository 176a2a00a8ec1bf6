"""exchange-snapshot-service: snapshots balances, publishes them to the bus, writes the snapshot report."""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
import requests
import yaml
from prometheus_client import Gauge, start_http_server

from exchange_snapshot_service.client import ExchangeClient, valuations
from exchange_snapshot_service.runtime import call_with_backoff, setup_logging, write_json_atomic

log = logging.getLogger("exchange_snapshot_service")
EQUITY = Gauge("exchange_snapshot_equity", "Account equity in the quote asset")
SNAPSHOT_AGE = Gauge("exchange_snapshot_age_seconds", "Seconds since the last successful snapshot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exchange_snapshot_service")
    parser.add_argument("--config", required=True)
    config = yaml.safe_load(Path(parser.parse_args(argv).config).read_text())
    setup_logging(config["logs"]["path"], config.get("log_level", "INFO"))
    start_http_server(int(config["metrics_port"]))
    ex = config["exchange"]
    client = ExchangeClient(ex["base_url"], os.environ["EXCHANGE_API_KEY"], os.environ["EXCHANGE_API_SECRET"],
                            retries=int(ex["http_retries"]), backoff_factor=float(ex["http_backoff_factor"]),
                            timeout_s=float(ex["timeout_s"]), recv_window_ms=int(ex["recv_window_ms"]))
    rcfg = config["redis"]
    bus = redis.Redis.from_url(rcfg["url"], decode_responses=True, socket_timeout=5)
    last_ok = time.time()
    while True:
        started = time.time()
        try:
            values = valuations(client.account(ex["account_path"]), client.prices(ex["prices_path"]),
                                ex["quote_asset"])
        except requests.RequestException as exc:
            log.error("snapshot failed", extra={"error": type(exc).__name__, "status": getattr(
                getattr(exc, "response", None), "status_code", None)})
        else:
            now = datetime.now(UTC)
            snapshot_id = f"snap-{now:%Y%m%dT%H%M%S}"
            fields = {"snapshot_id": snapshot_id, "ts": now.isoformat(),
                      **{f"value_{asset}": str(v) for asset, v in values.items()}}
            call_with_backoff(lambda fields=fields: bus.xadd(rcfg["snapshots_stream"], fields, maxlen=20000),
                              retry_on=(redis.ConnectionError, redis.TimeoutError),
                              attempts=int(rcfg["retry"]["attempts"]),
                              initial_delay=float(rcfg["retry"]["initial_delay_s"]),
                              max_delay=float(rcfg["retry"]["max_delay_s"]), what="publish snapshot")
            with Path(config["outputs"]["snapshots"]).open("a") as handle:
                handle.write(json.dumps({"snapshot_id": snapshot_id, "ts": now.isoformat(), "values": values}) + "\n")
            equity = round(sum(values.values()), 2)
            EQUITY.set(equity)
            write_json_atomic(Path(config["outputs"]["report"]), {
                "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "service": "exchange-snapshot-service",
                "status": "pass", "snapshot_id": snapshot_id, "assets": len(values), "equity": equity})
            last_ok = time.time()
            log.info("snapshot written", extra={"snapshot_id": snapshot_id, "assets": len(values)})
        while time.time() - started < float(config["every_s"]):
            SNAPSHOT_AGE.set(time.time() - last_ok)
            time.sleep(5)
