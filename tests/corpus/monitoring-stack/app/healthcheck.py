"""Container healthcheck: the API answers /healthz on its own port."""

import sys
import urllib.request

URL = "http://127.0.0.1:8000/healthz"

try:
    with urllib.request.urlopen(URL, timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:  # connection refused, timeout, HTTP error
    sys.exit(1)
