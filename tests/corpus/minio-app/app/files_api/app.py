"""Upload API: POST a file, get back its object key."""

from __future__ import annotations

from flask import Flask, jsonify, request

from . import storage

MAX_BYTES = 10 * 1024 * 1024

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.post("/files")
def upload():
    uploaded = request.files.get("file")
    if uploaded is None or not uploaded.filename:
        return jsonify(error="multipart field 'file' is required"), 400
    key = storage.put(uploaded.read(), uploaded.filename, uploaded.mimetype or "application/octet-stream")
    return jsonify(key=key), 201
