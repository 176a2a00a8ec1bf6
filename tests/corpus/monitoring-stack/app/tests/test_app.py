import pytest

from inventory.app import create_app


@pytest.fixture()
def client():
    app = create_app({"SKU-1": 5})
    app.config.update(TESTING=True)
    return app.test_client()


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_reserve_decrements_stock(client):
    response = client.post("/items/SKU-1/reserve", json={"units": 2})
    assert response.status_code == 200
    assert response.get_json()["units"] == 3


def test_reserve_more_than_available_is_a_conflict(client):
    response = client.post("/items/SKU-1/reserve", json={"units": 9})
    assert response.status_code == 409


def test_unknown_sku_is_404(client):
    assert client.get("/items/NOPE").status_code == 404


def test_metrics_exposes_request_counter(client):
    client.get("/healthz")
    body = client.get("/metrics").get_data(as_text=True)
    assert "inventory_http_requests_total" in body
    assert 'inventory_stock_units{sku="SKU-1"}' in body
