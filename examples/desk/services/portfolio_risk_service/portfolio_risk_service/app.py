"""portfolio-risk-service: assesses the latest snapshot, publishes actions, writes the risk report."""

from __future__ import annotations

import argparse
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
import yaml
from prometheus_client import Gauge, start_http_server

from portfolio_risk_service.risk import assess
from portfolio_risk_service.runtime import call_with_backoff, setup_logging, write_json_atomic

log = logging.getLogger("portfolio_risk_service")
SHARE = Gauge("portfolio_risk_top_asset_share", "Share of equity in the largest asset")
REPORT_AGE = Gauge("portfolio_risk_report_age_seconds", "Seconds since the latest risk report")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portfolio_risk_service")
    parser.add_argument("--config", required=True)
    config = yaml.safe_load(Path(parser.parse_args(argv).config).read_text())
    setup_logging(config["logs"]["path"], config.get("log_level", "INFO"))
    start_http_server(int(config["metrics_port"]))
    rcfg = config["redis"]
    retry = rcfg["retry"]
    client = redis.Redis.from_url(rcfg["url"], decode_responses=True, socket_timeout=5)
    thresholds = config["thresholds"]
    peak = 0.0
    while True:
        started = time.time()
        latest = call_with_backoff(
            lambda: client.xrevrange(rcfg["snapshots_stream"], count=1),
            retry_on=(redis.ConnectionError, redis.TimeoutError), attempts=int(retry["attempts"]),
            initial_delay=float(retry["initial_delay_s"]), max_delay=float(retry["max_delay_s"]),
            what="read latest snapshot")
        if latest:
            snapshot_id, fields = latest[0]
            values = {k[len("value_"):]: float(v) for k, v in fields.items() if k.startswith("value_")}
            peak = max(peak, sum(values.values()))
            result = assess(values, peak, max_share=float(thresholds["max_asset_concentration"]),
                            warn_share=float(thresholds["warn_asset_concentration"]),
                            max_drawdown_pct=float(thresholds["max_drawdown_pct"]))
            now = datetime.now(UTC)
            SHARE.set(result.top_share)
            for action in result.actions:
                record = {"action_id": f"{snapshot_id}:{action}", "ts": now.isoformat(), "action": action,
                          "snapshot_id": snapshot_id, "status": result.status}
                call_with_backoff(lambda record=record: client.xadd(rcfg["actions_stream"], record, maxlen=10000),
                                  retry_on=(redis.ConnectionError,), attempts=int(retry["attempts"]),
                                  initial_delay=float(retry["initial_delay_s"]),
                                  max_delay=float(retry["max_delay_s"]), what="publish action")
                with Path(config["outputs"]["actions"]).open("a") as handle:
                    handle.write(json.dumps(record) + "\n")
            write_json_atomic(Path(config["outputs"]["report"]), {
                "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "service": "portfolio-risk-service",
                "status": result.status, "equity": result.equity, "top_asset": result.top_asset,
                "top_share": result.top_share, "drawdown_pct": result.drawdown_pct,
                "actions": list(result.actions), "snapshot_id": snapshot_id})
            log.info("risk assessed", extra={"status": result.status, "top_share": result.top_share})
        while time.time() - started < float(config["every_s"]):
            REPORT_AGE.set(time.time() - started)
            time.sleep(5)
