"""Send invoice e-mails queued in the spool directory."""

import asyncio
import json
import logging
import os
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from .render import render

SPOOL = Path(os.environ.get("MAILER_SPOOL", "/home/app/spool"))
log = logging.getLogger("mailer")


async def send(job: dict) -> None:
    message = EmailMessage()
    message["From"] = "billing@example.com"
    message["To"] = job["to"]
    message["Subject"] = f"Invoice {job['invoice_id']}"
    message.set_content(render("invoice.txt.j2", **job))
    await aiosmtplib.send(
        message,
        hostname=os.environ["SMTP_HOST"],
        port=int(os.environ.get("SMTP_PORT", "587")),
        username=os.environ.get("SMTP_USER"),
        password=os.environ.get("SMTP_PASSWORD"),
        start_tls=True,
    )


async def main() -> None:
    SPOOL.mkdir(parents=True, exist_ok=True)
    while True:
        for path in sorted(SPOOL.glob("*.json")):
            await send(json.loads(path.read_text()))
            path.unlink()
        await asyncio.sleep(5)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())
