from digest.summary import digest_lines


def test_changes_against_previous_month():
    assert digest_lines({"2024-04": "1.50", "2024-03": "30.00"}) == ["2024-03: 30.00", "2024-04: 1.50 (-28.50)"]


def test_empty_report():
    assert digest_lines({}) == []
