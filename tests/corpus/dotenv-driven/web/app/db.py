"""Database engine with a bounded connect retry at start-up."""

from __future__ import annotations

import logging
import os
import time

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


def connect_with_retry(url: str) -> Engine:
    retries = int(os.environ.get("DB_CONNECT_RETRIES", "5"))
    engine = create_engine(url, pool_pre_ping=True)
    for attempt in range(1, retries + 1):
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return engine
        except OperationalError:
            if attempt == retries:
                raise
            log.warning("database not ready (attempt %d/%d)", attempt, retries)
            time.sleep(min(2**attempt, 30))
    return engine
