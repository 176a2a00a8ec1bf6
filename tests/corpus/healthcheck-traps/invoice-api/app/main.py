from flask import Flask, jsonify, request

from .invoices import invoice_total

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/invoices/quote")
def quote():
    body = request.get_json(force=True)
    try:
        return jsonify(invoice_total(body["lines"], body.get("vat_rate", "0.20")))
    except (KeyError, ValueError) as exc:
        return jsonify(error=str(exc)), 422
