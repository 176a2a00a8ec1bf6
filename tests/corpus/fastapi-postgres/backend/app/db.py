"""Engine, sessions, and a bounded wait for the database at start-up."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from tenacity import before_sleep_log, retry, stop_after_attempt, wait_exponential

from app.core.config import settings

log = logging.getLogger(__name__)

engine = create_engine(settings.database_url, pool_pre_ping=True, pool_size=5, max_overflow=5)
SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


@retry(
    stop=stop_after_attempt(10),
    wait=wait_exponential(multiplier=0.5, max=10),
    before_sleep=before_sleep_log(log, logging.WARNING),
    reraise=True,
)
def wait_for_db() -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session
