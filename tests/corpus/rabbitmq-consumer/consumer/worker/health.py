"""A tiny /health endpoint: 200 while the consumer holds a connection to the broker."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .settings import settings

_state = {"connected": False, "last_ack": time.monotonic()}


def set_connected(value: bool) -> None:
    _state["connected"] = value


def mark_progress() -> None:
    _state["last_ack"] = time.monotonic()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/health":
            self.send_error(404)
            return
        ok = _state["connected"]
        self.send_response(200 if ok else 503)
        self.end_headers()
        self.wfile.write(b"ok" if ok else b"disconnected")

    def log_message(self, *args) -> None:
        pass


def start_health_server() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", settings.health_port), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
