"""Shared plumbing: JSON logs, atomic report writes, and retry with capped exponential backoff."""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pythonjsonlogger.json import JsonFormatter

T = TypeVar("T")
log = logging.getLogger("portfolio_risk_service")


def setup_logging(path: str, level: str = "INFO") -> None:
    """One JSON object per line (ts, level, logger, message, extras) to stdout and the log file."""
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger", "message": "msg"},
        datefmt="%Y-%m-%dT%H:%M:%SZ",
    )
    formatter.converter = time.gmtime
    handlers: list[logging.Handler] = [logging.StreamHandler(), logging.FileHandler(path)]
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers, force=True)


def call_with_backoff(action: Callable[[], T], *, retry_on: tuple[type[BaseException], ...],
                      attempts: int, initial_delay: float, max_delay: float, what: str) -> T:
    """Run ``action``; on one of ``retry_on`` wait (doubling, jittered, capped) and retry.

    ``attempts`` = 0 retries forever; otherwise the last error is raised after that many tries.
    """
    delay = initial_delay
    attempt = 0
    while True:
        try:
            return action()
        except retry_on as exc:
            attempt += 1
            if attempts and attempt >= attempts:
                log.error("giving up on %s after %d attempts", what, attempt, extra={"error": str(exc)})
                raise
            log.warning("%s failed, retrying", what,
                        extra={"attempt": attempt, "delay_s": round(delay, 2), "error": str(exc)})
            time.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, max_delay)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write a report whole or not at all, so the freshness checks never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
