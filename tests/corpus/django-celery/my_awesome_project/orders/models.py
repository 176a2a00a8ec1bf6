from decimal import Decimal

from django.db import models


class Order(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"

    reference = models.CharField(max_length=32, unique=True)
    email = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    created = models.DateTimeField(auto_now_add=True)
    receipt_sent = models.BooleanField(default=False)

    def total(self) -> Decimal:
        return sum((line.subtotal() for line in self.lines.all()), Decimal("0.00"))

    def __str__(self) -> str:
        return self.reference


class OrderLine(models.Model):
    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity
