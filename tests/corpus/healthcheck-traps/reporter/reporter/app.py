import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from .aggregate import revenue_by_month

REPORTS_DIR = Path(os.environ.get("REPORTS_DIR", "/var/lib/reporter"))


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def monthly(request: Request) -> JSONResponse:
    invoices = await request.json()
    report = revenue_by_month(invoices)
    (REPORTS_DIR / "latest.json").write_text(json.dumps(report))
    return JSONResponse(report)


async def latest(request: Request) -> JSONResponse:
    path = REPORTS_DIR / "latest.json"
    if not path.exists():
        return JSONResponse({}, status_code=404)
    return JSONResponse(json.loads(path.read_text()))


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/reports/monthly", monthly, methods=["POST"]),
        Route("/reports/latest", latest),
    ]
)
