"""event-store-service: one consumer group over every desk stream, appended to /data/events.jsonl."""

from __future__ import annotations

import argparse
import logging
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
import yaml
from prometheus_client import Counter, Gauge, start_http_server

from event_store_service.runtime import call_with_backoff, setup_logging, write_json_atomic
from event_store_service.store import EventLog, integrity

log = logging.getLogger("event_store_service")
EVENTS = Counter("event_store_events_total", "Events appended", ["stream"])
LAST_EVENT = Gauge("event_store_last_event_timestamp_seconds", "Time of the last appended event")
LAST_EVENT_AGE = Gauge("event_store_last_event_age_seconds", "Seconds since the last appended event")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="event_store_service")
    parser.add_argument("--config", required=True)
    config = yaml.safe_load(Path(parser.parse_args(argv).config).read_text())
    setup_logging(config["logs"]["path"], config.get("log_level", "INFO"))
    start_http_server(int(config["metrics_port"]))
    rcfg = config["redis"]
    retry = rcfg["retry"]
    client = redis.Redis.from_url(rcfg["url"], decode_responses=True, socket_timeout=5)

    def with_retry(action, what):  # type: ignore[no-untyped-def]
        return call_with_backoff(action, retry_on=(redis.ConnectionError, redis.TimeoutError),
                                 attempts=int(retry["attempts"]), initial_delay=float(retry["initial_delay_s"]),
                                 max_delay=float(retry["max_delay_s"]), what=what)

    for stream in config["streams"]:
        def create(stream: str = stream) -> None:
            try:
                client.xgroup_create(stream, rcfg["consumer_group"], id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        with_retry(create, f"create group on {stream}")
    events = EventLog(Path(config["events"]["path"]))
    report_dir = Path(config["integrity"]["report_dir"])
    next_integrity = 0.0
    last_event = time.time()
    consumer = socket.gethostname()
    log.info("event store started", extra={"streams": config["streams"], "events": len(events.seen)})
    while True:
        reply = with_retry(lambda: client.xreadgroup(
            rcfg["consumer_group"], consumer, dict.fromkeys(config["streams"], ">"),
            count=int(config["read_count"]), block=int(config["block_ms"])), "read streams")
        for stream, messages in reply or []:
            ids = []
            for message_id, fields in messages:
                if events.append(stream, message_id, fields, datetime.now(UTC).isoformat()):
                    EVENTS.labels(stream).inc()
                    last_event = time.time()
                    LAST_EVENT.set(last_event)
                ids.append(message_id)
            with_retry(lambda stream=stream, ids=ids: client.xack(stream, rcfg["consumer_group"], *ids), "ack")
        LAST_EVENT_AGE.set(time.time() - last_event)
        if time.time() >= next_integrity:
            now = datetime.now(UTC)
            summary = integrity(events.path)
            report = {"generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "service": "event-store-service",
                      "source": str(events.path), **summary}
            write_json_atomic(report_dir / f"integrity_{now:%Y%m%d}.json", report)
            log.info("integrity report written", extra={"status": summary["status"], "events": summary["events"]})
            next_integrity = time.time() + float(config["integrity"]["every_s"])
