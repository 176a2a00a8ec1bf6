from fastapi.testclient import TestClient

from app.api.routes import ItemIn
from app.db import get_session
from app.main import app


class FakeSession:
    def __init__(self) -> None:
        self.added = []

    def execute(self, _statement):
        return None

    def add(self, row) -> None:
        row.id = len(self.added) + 1
        self.added.append(row)

    def commit(self) -> None:
        pass

    def scalar(self, _statement):
        return None


def client() -> TestClient:
    app.dependency_overrides[get_session] = lambda: FakeSession()
    return TestClient(app)  # no `with`: the lifespan (wait_for_db) is not run


def test_health_check():
    response = client().get("/api/v1/utils/health-check/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_create_item_returns_an_id():
    response = client().post("/api/v1/items/", json={"title": "first"})
    assert response.status_code == 201
    assert response.json()["id"] == 1


def test_missing_item_is_404():
    assert client().get("/api/v1/items/42").status_code == 404


def test_title_is_required():
    assert ItemIn.model_fields["title"].is_required()
