import json

import pytest


@pytest.fixture()
def order_bytes() -> bytes:
    return json.dumps({"order_id": "0b6f-test", "sku": "SKU-1001", "quantity": 2}).encode()


@pytest.fixture()
def consumer_yaml(tmp_path):
    path = tmp_path / "consumer.yaml"
    path.write_text("kafka:\n  group.id: test\nconsumer:\n  topic: orders\n", encoding="utf-8")
    return path
