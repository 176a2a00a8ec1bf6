"""Render a PNG thumbnail of an invoice's first page preview."""

import io
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from PIL import Image, ImageDraw

INVOICE_API_URL = os.environ.get("INVOICE_API_URL", "http://localhost:8000")


def render(invoice_id: str, size: int = 256) -> bytes:
    image = Image.new("RGB", (size, int(size * 1.414)), "white")
    ImageDraw.Draw(image).text((10, 10), f"Invoice {invoice_id}", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")
            return
        if self.path.startswith("/thumb/"):
            invoice_id = self.path.rsplit("/", 1)[-1]
            requests.get(f"{INVOICE_API_URL}/healthz", timeout=2).raise_for_status()
            body = render(invoice_id)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
