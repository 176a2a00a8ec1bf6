"""ops-db-writer: tails the bots' fills/orders JSONL and loads them into postgres; writes its report."""

from __future__ import annotations

import argparse
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import yaml
from prometheus_client import Counter, Gauge, start_http_server

from ops_db_writer.db import SCHEMA, connect, upsert_fills, upsert_orders
from ops_db_writer.runtime import setup_logging, write_json_atomic

log = logging.getLogger("ops_db_writer")
ROWS = Counter("ops_db_writer_rows_total", "Rows written", ["table"])
LAST_INGEST = Gauge("ops_db_writer_last_ingest_timestamp_seconds", "Time of the last successful ingest")
INGEST_AGE = Gauge("ops_db_writer_last_ingest_age_seconds", "Seconds since the last successful ingest")


def read_new(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Records appended to ``path`` since byte ``offset`` (start over if the file was rotated)."""
    if not path.exists():
        return [], 0
    size = path.stat().st_size
    if size < offset:
        offset = 0
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    complete, _, _ = data.rpartition(b"\n")
    rows = [json.loads(line) for line in complete.decode().splitlines() if line.strip()]
    return rows, offset + len(complete) + (1 if complete else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ops_db_writer")
    parser.add_argument("--config", required=True)
    config = yaml.safe_load(Path(parser.parse_args(argv).config).read_text())
    setup_logging(config["logs"]["path"], config.get("log_level", "INFO"))
    start_http_server(int(config["metrics_port"]))
    conn = connect(config["db"])
    with conn.cursor() as cur:
        cur.execute(SCHEMA)
    conn.commit()
    offsets = {"fills": 0, "orders": 0}
    last_ok = time.time()
    while True:
        started = time.time()
        status, written, error = "pass", {"fills": 0, "orders": 0}, None
        try:
            fills, offsets["fills"] = read_new(Path(config["inputs"]["fills"]), offsets["fills"])
            orders, offsets["orders"] = read_new(Path(config["inputs"]["orders"]), offsets["orders"])
            with Path(config["outputs"]["staged"]).open("a") as handle:
                for table, rows in (("fills", fills), ("orders", orders)):
                    for row in rows:
                        key = row.get("trade_id") or row.get("order_id")
                        handle.write(json.dumps({"ingest_id": f"{table}:{key}", "table": table, "ts": row["ts"]})
                                     + "\n")
            written["fills"] = upsert_fills(conn, fills)
            written["orders"] = upsert_orders(conn, orders)
            last_ok = time.time()
            LAST_INGEST.set(last_ok)
        except psycopg.Error as exc:
            status, error = "fail", type(exc).__name__
            log.error("ingest failed", extra={"error": error})
            conn = connect(config["db"])
        for table, count in written.items():
            ROWS.labels(table).inc(count)
        now = datetime.now(UTC)
        write_json_atomic(Path(config["outputs"]["report"]), {
            "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "service": "ops-db-writer", "status": status,
            "rows_written": written, "error": error, "last_ingest_age_s": round(time.time() - last_ok, 1)})
        log.info("ingest cycle", extra={"status": status, **{f"{k}_written": v for k, v in written.items()}})
        while time.time() - started < float(config["every_s"]):
            INGEST_AGE.set(time.time() - last_ok)
            time.sleep(5)
