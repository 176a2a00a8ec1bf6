"""Inventory API: a small Flask app that keeps stock levels and exposes /metrics."""

from __future__ import annotations

import os
import time

from flask import Flask, abort, g, jsonify, request
from prometheus_client import make_wsgi_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from .metrics import LATENCY, REGISTRY, REQUESTS, STOCK

SEED = {"demo": {"SKU-1001": 40, "SKU-1002": 12, "SKU-1003": 0}}


def create_app(stock: dict[str, int] | None = None) -> Flask:
    app = Flask(__name__)
    levels: dict[str, int] = dict(stock if stock is not None else SEED.get(os.environ.get("INVENTORY_SEED", ""), {}))
    for sku, units in levels.items():
        STOCK.labels(sku=sku).set(units)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _record(response):  # type: ignore[no-untyped-def]
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(route=route, method=request.method, status=str(response.status_code)).inc()
        LATENCY.labels(route=route).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        return response

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.get("/items/<sku>")
    def get_item(sku: str):  # type: ignore[no-untyped-def]
        if sku not in levels:
            abort(404)
        return jsonify(sku=sku, units=levels[sku])

    @app.post("/items/<sku>/reserve")
    def reserve(sku: str):  # type: ignore[no-untyped-def]
        wanted = int((request.get_json(silent=True) or {}).get("units", 1))
        if sku not in levels:
            abort(404)
        if wanted <= 0 or wanted > levels[sku]:
            return jsonify(error="insufficient stock", available=levels[sku]), 409
        levels[sku] -= wanted
        STOCK.labels(sku=sku).set(levels[sku])
        return jsonify(sku=sku, units=levels[sku])

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/metrics": make_wsgi_app(registry=REGISTRY)})  # type: ignore[method-assign]
    return app
