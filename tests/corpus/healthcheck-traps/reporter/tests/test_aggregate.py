from reporter.aggregate import revenue_by_month


def test_sums_per_month():
    invoices = [
        {"issued": "2024-03-02", "gross": "24.00"},
        {"issued": "2024-03-30", "gross": "6.00"},
        {"issued": "2024-04-01", "gross": "1.50"},
    ]
    assert revenue_by_month(invoices) == {"2024-03": "30.00", "2024-04": "1.50"}


def test_empty():
    assert revenue_by_month([]) == {}
