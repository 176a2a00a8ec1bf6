from app import create_app
from app.notes import normalise_title


def make_client():
    app = create_app({"CONNECT_AT_START": False, "TESTING": True})
    return app.test_client()


def test_health_without_database():
    response = make_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_create_note_requires_a_title():
    response = make_client().post("/notes", json={"title": "   "})
    assert response.status_code == 400


def test_normalise_title_collapses_whitespace_and_truncates():
    assert normalise_title("  hello   world ") == "hello world"
    assert len(normalise_title("x" * 500)) == 120
