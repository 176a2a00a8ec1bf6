"""Task handlers, keyed by the "kind" the publisher validated."""

import io
import logging

from PIL import Image

log = logging.getLogger(__name__)


class UnknownTask(ValueError):
    pass


def resize(payload: dict) -> dict:
    width, height = int(payload["width"]), int(payload["height"])
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    image = Image.new("RGB", (payload.get("src_width", 1024), payload.get("src_height", 768)))
    image.thumbnail((width, height))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return {"width": image.width, "height": image.height, "bytes": out.tell()}


def email(payload: dict) -> dict:
    to = payload["to"]
    if "@" not in to:
        raise ValueError(f"invalid recipient {to!r}")
    log.info("would send %s to %s", payload.get("template", "default"), to)
    return {"queued": to}


HANDLERS = {"resize": resize, "email": email}


def handle(task: dict) -> dict:
    try:
        handler = HANDLERS[task["kind"]]
    except KeyError:
        raise UnknownTask(task.get("kind")) from None
    return handler(task["payload"])
