import pytest

from app.invoices import invoice_total, line_total


def test_line_total_rounds_half_up():
    assert str(line_total(3, "0.335")) == "1.01"


def test_invoice_total_adds_vat():
    total = invoice_total([{"quantity": 2, "unit_price": "10.00"}])
    assert total == {"net": "20.00", "vat": "4.00", "gross": "24.00"}


def test_zero_quantity_rejected():
    with pytest.raises(ValueError):
        line_total(0, "1.00")
