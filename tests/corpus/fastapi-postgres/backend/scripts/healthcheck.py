"""Container healthcheck: exit 0 when this API answers its own health route."""

import sys
import urllib.request

URL = "http://127.0.0.1:8000/api/v1/utils/health-check/"

try:
    with urllib.request.urlopen(URL, timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:  # noqa: BLE001 - any failure means unhealthy
    sys.exit(1)
