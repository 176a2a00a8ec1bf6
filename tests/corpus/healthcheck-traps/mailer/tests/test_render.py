import pytest
from jinja2 import UndefinedError

from mailer.render import render


def test_invoice_mail_names_the_invoice():
    text = render("invoice.txt.j2", name="Ana", invoice_id="INV-1001", amount="24.00 EUR")
    assert "INV-1001" in text and "Ana" in text


def test_missing_field_is_an_error():
    with pytest.raises(UndefinedError):
        render("invoice.txt.j2", name="Ana")
