"""PostgreSQL access: idempotent upserts keyed by trade/order id, connection retried with backoff."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import psycopg
from tenacity import before_sleep_log, retry, retry_if_exception_type, stop_after_attempt, wait_exponential

log = logging.getLogger("ops_db_writer")

SCHEMA = """
CREATE TABLE IF NOT EXISTS fills (
    trade_id   text PRIMARY KEY,
    bot        text NOT NULL,
    pair       text NOT NULL,
    side       text NOT NULL,
    qty        numeric NOT NULL,
    price      numeric NOT NULL,
    ts         timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id   text PRIMARY KEY,
    bot        text NOT NULL,
    pair       text NOT NULL,
    side       text NOT NULL,
    qty        numeric NOT NULL,
    price      numeric,
    status     text NOT NULL,
    ts         timestamptz NOT NULL
);
"""


def connect(cfg: dict[str, Any]) -> psycopg.Connection[Any]:
    """Open a connection, retrying while postgres restarts (exponential backoff, capped)."""

    @retry(
        retry=retry_if_exception_type(psycopg.OperationalError),
        wait=wait_exponential(multiplier=float(cfg["connect_backoff_initial_s"]),
                              max=float(cfg["connect_backoff_max_s"])),
        stop=stop_after_attempt(int(cfg["connect_retries"])),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    )
    def _open() -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=os.environ[cfg["host_env"]], dbname=os.environ[cfg["name_env"]],
            user=os.environ[cfg["user_env"]], password=os.environ[cfg["password_env"]],
            connect_timeout=int(cfg["connect_timeout_s"]), application_name="ops-db-writer",
        )

    return _open()


def upsert_fills(conn: psycopg.Connection[Any], rows: Iterable[dict[str, Any]]) -> int:
    """Insert fills; a re-read fill (same trade_id) is ignored, so restarts never duplicate rows."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO fills (trade_id, bot, pair, side, qty, price, ts) "
            "VALUES (%(trade_id)s, %(bot)s, %(pair)s, %(side)s, %(qty)s, %(price)s, %(ts)s) "
            "ON CONFLICT (trade_id) DO NOTHING",
            list(rows),
        )
        inserted = cur.rowcount
    conn.commit()
    return max(inserted, 0)


def upsert_orders(conn: psycopg.Connection[Any], rows: Iterable[dict[str, Any]]) -> int:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO orders (order_id, bot, pair, side, qty, price, status, ts) "
            "VALUES (%(order_id)s, %(bot)s, %(pair)s, %(side)s, %(qty)s, %(price)s, %(status)s, %(ts)s) "
            "ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, ts = EXCLUDED.ts",
            list(rows),
        )
        changed = cur.rowcount
    conn.commit()
    return max(changed, 0)
