"""Fetch the latest report every morning and log the digest; touch a heartbeat every loop."""

import logging
import os
import time
from pathlib import Path

import httpx
import schedule

from .summary import digest_lines

REPORTER_URL = os.environ.get("REPORTER_URL", "http://localhost:9000")
REPORTER_RETRIES = int(os.environ.get("REPORTER_RETRIES", "5"))
REPORTER_BACKOFF_SECONDS = float(os.environ.get("REPORTER_BACKOFF_SECONDS", "2"))
HEARTBEAT = Path("/tmp/heartbeat")

log = logging.getLogger("digest")


def fetch_report() -> dict:
    for attempt in range(1, REPORTER_RETRIES + 1):
        try:
            response = httpx.get(f"{REPORTER_URL}/reports/latest", timeout=10)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPError as exc:
            log.warning("reporter unavailable (attempt %d/%d): %s", attempt, REPORTER_RETRIES, exc)
            time.sleep(REPORTER_BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise RuntimeError("reporter unreachable")


def run_digest() -> None:
    for line in digest_lines(fetch_report()):
        log.info(line)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    schedule.every().day.at("06:00").do(run_digest)
    while True:
        schedule.run_pending()
        HEARTBEAT.touch()
        time.sleep(20)


if __name__ == "__main__":
    main()
