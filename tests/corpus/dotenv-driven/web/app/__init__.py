"""Flask application factory."""

from __future__ import annotations

import os

from flask import Flask, jsonify, request

from .db import connect_with_retry
from .notes import normalise_title


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev"),
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite://"),
        CONNECT_AT_START=True,
    )
    if config:
        app.config.update(config)
    engine = connect_with_retry(app.config["DATABASE_URL"]) if app.config["CONNECT_AT_START"] else None

    @app.get("/health")
    def health():
        if engine is not None:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        return jsonify(status="ok")

    @app.post("/notes")
    def create_note():
        payload = request.get_json(silent=True) or {}
        title = normalise_title(payload.get("title", ""))
        if not title:
            return jsonify(error="title is required"), 400
        return jsonify(title=title), 201

    return app
