"""signal-service: reads market data from the bus, publishes z-score signals, appends them to JSONL."""

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
from prometheus_client import Counter, Gauge, start_http_server

from signal_service.bus import Bus
from signal_service.logic import ZScore, decide

log = logging.getLogger("signal_service")
SIGNALS = Counter("signal_service_signals_total", "Signals published", ["pair", "side"])
TICKS = Counter("signal_service_ticks_total", "Market data ticks consumed")
LAST_TICK = Gauge("signal_service_last_tick_timestamp_seconds", "Time of the last tick consumed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="signal_service")
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
    scfg = config["signals"]
    windows = {pair: ZScore(int(scfg["lookback_ticks"])) for pair in scfg["pairs"]}
    out = Path(config["outputs"]["path"])
    bus.ensure_group(streams["input"])
    log.info("consuming %s as %s", streams["input"], rcfg["consumer_group"])
    while True:
        batch = bus.read(streams["input"])
        done = []
        for msg_id, fields in batch:
            TICKS.inc()
            LAST_TICK.set_to_current_time()
            pair = fields.get("pair", "")
            if pair in windows:
                mid = (float(fields["bid"]) + float(fields["ask"])) / 2
                signal = decide(pair, mid, windows[pair].push(mid), scfg["zscore_entry"], scfg["zscore_exit"])
                if signal is not None:
                    record = {"signal_id": str(uuid.uuid4()), "ts": datetime.now(UTC).isoformat(),
                              "pair": signal.pair, "side": signal.side, "zscore": round(signal.zscore, 4),
                              "mid": signal.mid, "source_id": msg_id}
                    bus.publish(streams["output"], {k: str(v) for k, v in record.items()}, streams["maxlen"])
                    with out.open("a") as handle:
                        handle.write(json.dumps(record) + "\n")
                    SIGNALS.labels(signal.pair, signal.side).inc()
                    log.info("signal %s %s z=%.2f", signal.pair, signal.side, signal.zscore)
            done.append(msg_id)
        bus.ack(streams["input"], *done)
