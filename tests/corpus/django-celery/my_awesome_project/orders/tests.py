from decimal import Decimal
from unittest import mock

from django.test import TestCase

from .models import Order, OrderLine
from .tasks import send_pending_receipts, send_receipt


class OrderTotalTests(TestCase):
    def setUp(self):
        self.order = Order.objects.create(reference="A-1001", email="ada@example.com")

    def test_empty_order_totals_zero(self):
        self.assertEqual(self.order.total(), Decimal("0.00"))

    def test_total_sums_line_subtotals(self):
        OrderLine.objects.create(order=self.order, sku="MUG", quantity=2, unit_price=Decimal("7.50"))
        OrderLine.objects.create(order=self.order, sku="TEE", quantity=1, unit_price=Decimal("19.00"))
        self.assertEqual(self.order.total(), Decimal("34.00"))


class ReceiptTaskTests(TestCase):
    def test_receipt_sent_once(self):
        order = Order.objects.create(reference="A-1002", email="bob@example.com", status=Order.Status.PAID)
        with mock.patch("my_awesome_project.orders.tasks.send_mail") as send_mail:
            send_receipt(order.pk)
            send_receipt(order.pk)
        self.assertEqual(send_mail.call_count, 1)
        order.refresh_from_db()
        self.assertTrue(order.receipt_sent)

    def test_pending_receipts_are_queued(self):
        Order.objects.create(reference="A-1003", email="c@example.com", status=Order.Status.PAID)
        Order.objects.create(reference="A-1004", email="d@example.com", status=Order.Status.NEW)
        with mock.patch.object(send_receipt, "delay") as delay:
            self.assertEqual(send_pending_receipts(), 1)
        delay.assert_called_once()


class HealthzTests(TestCase):
    def test_healthz_ok(self):
        response = self.client.get("/healthz/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})
