"""risk-service: gates signals through pre-trade limits and publishes allow/deny decisions."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path

import yaml
from prometheus_client import Counter, start_http_server

from risk_service.bus import Bus
from risk_service.limits import Limits

log = logging.getLogger("risk_service")
DECISIONS = Counter("risk_service_decisions_total", "Risk decisions", ["pair", "allowed", "reason"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="risk_service")
    parser.add_argument("--config", default="config.yaml")
    args = parser.parse_args(argv)
    config = yaml.safe_load(Path(args.config).read_text())
    logging.basicConfig(
        level=config.get("log_level", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(config["logs"]["path"])],
    )
    start_http_server(int(config.get("metrics_port", 8000)))
    rcfg = config["redis"]
    bus = Bus(os.environ.get("REDIS_URL", rcfg["url"]), rcfg["consumer_group"], socket.gethostname(),
              backoff_initial=float(rcfg["reconnect_backoff_initial_s"]),
              backoff_max=float(rcfg["reconnect_backoff_max_s"]),
              max_attempts=int(rcfg.get("max_reconnect_attempts", 0)))
    lcfg = config["limits"]
    limits = Limits(lcfg["max_pair_notional"], float(lcfg["max_gross_notional"]),
                    int(lcfg["max_signals_per_minute"]), float(lcfg["order_size_quote"]))
    streams = config["streams"]
    out = Path(config["outputs"]["path"])
    bus.ensure_group(streams["input"])
    while True:
        done = []
        for msg_id, fields in bus.read(streams["input"]):
            decision = limits.check(fields["pair"], fields["side"], float(fields["mid"]))
            record = {"decision_id": str(uuid.uuid4()), "ts": datetime.now(UTC).isoformat(),
                      "signal_id": fields.get("signal_id", ""), "pair": fields["pair"], "side": fields["side"],
                      "allowed": decision.allowed, "reason": decision.reason,
                      "notional": round(decision.notional, 2)}
            bus.publish(streams["output"], {k: str(v) for k, v in record.items()}, streams["maxlen"])
            with out.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            DECISIONS.labels(fields["pair"], str(decision.allowed).lower(), decision.reason).inc()
            if not decision.allowed:
                log.warning("deny %s %s: %s", fields["pair"], fields["side"], decision.reason)
            done.append(msg_id)
        bus.ack(streams["input"], *done)
