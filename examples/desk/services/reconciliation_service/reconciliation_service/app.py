"""reconciliation-service: compares bot fills with exchange fills and writes the reconciliation report."""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
import yaml
from prometheus_client import Gauge, start_http_server

from reconciliation_service.matching import reconcile, status
from reconciliation_service.runtime import call_with_backoff, setup_logging, write_json_atomic

log = logging.getLogger("reconciliation_service")
BREAKS = Gauge("reconciliation_breaks", "Breaks in the latest run", ["kind"])
REPORT_TS = Gauge("reconciliation_report_timestamp_seconds", "When the latest report was written")
REPORT_AGE = Gauge("reconciliation_report_age_seconds", "Seconds since the latest report was written")


def load_bot_fills(path: Path) -> dict[str, dict[str, Any]]:
    fills: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                fills[record["trade_id"]] = record
    return fills


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reconciliation_service")
    parser.add_argument("--config", required=True)
    config = yaml.safe_load(Path(parser.parse_args(argv).config).read_text())
    setup_logging(config["logs"]["path"], config.get("log_level", "INFO"))
    start_http_server(int(config["metrics_port"]))
    rcfg = config["redis"]
    client = redis.Redis.from_url(rcfg["url"], decode_responses=True, socket_timeout=5)
    tol = config["tolerance"]
    last_report = time.time()
    while True:
        exchange_raw = call_with_backoff(
            lambda: client.xrevrange(rcfg["exchange_fills_stream"], count=5000),
            retry_on=(redis.ConnectionError, redis.TimeoutError), attempts=int(rcfg["retry"]["attempts"]),
            initial_delay=float(rcfg["retry"]["initial_delay_s"]), max_delay=float(rcfg["retry"]["max_delay_s"]),
            what="read exchange fills")
        exchange = {f["trade_id"]: f for _, f in exchange_raw if "trade_id" in f}
        bot = load_bot_fills(Path(config["inputs"]["bot_fills"]))
        breaks = reconcile(bot, exchange, qty_abs=float(tol["qty_abs"]), price_bps=float(tol["price_bps"]))
        now = datetime.now(UTC)
        verdict = status(breaks)
        with Path(config["outputs"]["breaks"]).open("a") as handle:
            for brk in breaks:
                record = {"break_id": f"{now:%Y%m%dT%H%M}:{brk.trade_id}:{brk.kind}", "ts": now.isoformat(),
                          **asdict(brk)}
                handle.write(json.dumps(record) + "\n")
        kinds: dict[str, int] = {}
        for brk in breaks:
            kinds[brk.kind] = kinds.get(brk.kind, 0) + 1
        for kind in ("missing_on_exchange", "missing_in_bot", "qty_mismatch", "price_mismatch"):
            BREAKS.labels(kind).set(kinds.get(kind, 0))
        write_json_atomic(Path(config["outputs"]["report"]), {
            "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "service": "reconciliation-service",
            "status": verdict, "bot_fills": len(bot), "exchange_fills": len(exchange), "breaks": kinds})
        last_report = time.time()
        REPORT_TS.set(last_report)
        log.info("reconciliation run", extra={"status": verdict, "breaks": len(breaks)})
        while time.time() - last_report < float(config["every_s"]):
            REPORT_AGE.set(time.time() - last_report)
            time.sleep(5)
