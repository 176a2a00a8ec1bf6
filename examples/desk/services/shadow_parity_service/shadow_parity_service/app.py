"""shadow-parity-service: writes reports/parity/latest.json comparing paper and live fills."""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
import yaml
from prometheus_client import Gauge, start_http_server

from shadow_parity_service.parity import compare, overall
from shadow_parity_service.runtime import call_with_backoff, setup_logging, write_json_atomic

log = logging.getLogger("shadow_parity_service")
SLIPPAGE = Gauge("parity_slippage_bps", "Paper vs live slippage", ["bot"])
REPORT_AGE = Gauge("parity_report_age_seconds", "Seconds since the latest parity report")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shadow_parity_service")
    parser.add_argument("--config", required=True)
    config = yaml.safe_load(Path(parser.parse_args(argv).config).read_text())
    setup_logging(config["logs"]["path"], config.get("log_level", "INFO"))
    start_http_server(int(config["metrics_port"]))
    rcfg = config["redis"]
    client = redis.Redis.from_url(rcfg["url"], decode_responses=True, socket_timeout=5)
    pcfg = config["parity"]
    while True:
        started = time.time()
        paper_raw = call_with_backoff(
            lambda: client.xrevrange(rcfg["paper_fills_stream"], count=10000),
            retry_on=(redis.ConnectionError, redis.TimeoutError), attempts=int(rcfg["retry"]["attempts"]),
            initial_delay=float(rcfg["retry"]["initial_delay_s"]), max_delay=float(rcfg["retry"]["max_delay_s"]),
            what="read paper fills")
        live: dict[str, list[dict[str, Any]]] = defaultdict(list)
        paper: dict[str, list[dict[str, Any]]] = defaultdict(list)
        live_path = Path(config["inputs"]["live_fills"])
        if live_path.exists():
            for line in live_path.read_text().splitlines():
                if line.strip():
                    record = json.loads(line)
                    live[record["bot"]].append(record)
        for _, fields in paper_raw:
            paper[fields.get("bot", "")].append(fields)
        results = [compare(bot, live[bot], paper[bot], min_fills=int(pcfg["min_fills"]),
                           max_slippage_bps=float(pcfg["max_slippage_bps"]),
                           max_fill_ratio_gap=float(pcfg["max_fill_ratio_gap"]))
                   for bot in sorted(set(live) | set(paper))]
        now = datetime.now(UTC)
        with Path(config["outputs"]["snapshots"]).open("a") as handle:
            for result in results:
                handle.write(json.dumps({"snapshot_id": f"{now:%Y%m%dT%H%M}:{result.bot}", "ts": now.isoformat(),
                                         **asdict(result)}) + "\n")
                SLIPPAGE.labels(result.bot).set(result.slippage_bps)
        status = overall(results)
        write_json_atomic(Path(config["outputs"]["report"]), {
            "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "service": "shadow-parity-service",
            "status": status, "bots": [asdict(r) for r in results]})
        log.info("parity run", extra={"status": status, "bots": len(results)})
        while time.time() - started < float(config["every_s"]):
            REPORT_AGE.set(time.time() - started)
            time.sleep(5)
