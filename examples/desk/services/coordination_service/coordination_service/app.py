"""coordination-service: routes allowed risk decisions to the bot that trades the pair."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import yaml
from prometheus_client import Counter, start_http_server

from coordination_service.bus import Bus
from coordination_service.policy import route

log = logging.getLogger("coordination_service")
INTENTS = Counter("coordination_service_intents_total", "Order intents published", ["bot", "pair"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coordination_service")
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
    streams = config["streams"]
    routes: dict[str, str] = config["routes"]
    hold_s = float(config["intent_hold_s"])
    in_flight: dict[str, float] = {}
    out = Path(config["outputs"]["path"])
    bus.ensure_group(streams["input"])
    while True:
        now = time.time()
        in_flight = {p: t for p, t in in_flight.items() if now - t < hold_s}
        done = []
        for msg_id, fields in bus.read(streams["input"]):
            done.append(msg_id)
            if fields.get("allowed") != "True":
                continue
            intent = route(fields["pair"], fields["side"], float(fields["notional"]), routes, set(in_flight))
            if intent is None:
                continue
            record = {"intent_id": str(uuid.uuid4()), "ts": datetime.now(UTC).isoformat(),
                      "decision_id": fields.get("decision_id", ""), "bot": intent.bot, "pair": intent.pair,
                      "side": intent.side, "notional": intent.notional}
            bus.publish(streams["output"], {k: str(v) for k, v in record.items()}, streams["maxlen"])
            with out.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            in_flight[intent.pair] = now
            INTENTS.labels(intent.bot, intent.pair).inc()
            log.info("intent %s -> %s %s %.2f", intent.pair, intent.bot, intent.side, intent.notional)
        bus.ack(streams["input"], *done)
