from files_api.storage import CLIENT_CONFIG, object_key


def test_object_key_keeps_extension_and_strips_path():
    key = object_key("../../etc/report 2024.pdf")
    assert key.endswith("-report-2024.pdf")
    assert "/" not in key


def test_object_key_falls_back_for_empty_names():
    assert object_key("...").endswith("-file")


def test_client_retries_are_bounded():
    assert CLIENT_CONFIG.retries == {"max_attempts": 5, "mode": "standard"}
