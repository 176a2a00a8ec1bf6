import pytest

from worker.tasks import UnknownTask, handle


def test_resize_keeps_aspect_ratio():
    out = handle({"kind": "resize", "payload": {"width": 512, "height": 512, "src_width": 1024, "src_height": 768}})
    assert out["width"] == 512
    assert out["height"] == 384


def test_resize_rejects_zero():
    with pytest.raises(ValueError):
        handle({"kind": "resize", "payload": {"width": 0, "height": 10}})


def test_email_needs_an_address():
    with pytest.raises(ValueError):
        handle({"kind": "email", "payload": {"to": "nobody"}})


def test_unknown_kind():
    with pytest.raises(UnknownTask):
        handle({"kind": "transcode", "payload": {}})
