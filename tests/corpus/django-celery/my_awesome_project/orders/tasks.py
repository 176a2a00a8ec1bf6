from smtplib import SMTPException

from celery import shared_task
from django.core.mail import send_mail

from .models import Order


@shared_task(autoretry_for=(SMTPException,), retry_backoff=True, max_retries=5)
def send_receipt(order_id: int) -> None:
    order = Order.objects.get(pk=order_id)
    if order.receipt_sent:
        return
    send_mail(
        subject=f"Your order {order.reference}",
        message=f"Thanks! Total: {order.total()}",
        from_email=None,
        recipient_list=[order.email],
    )
    order.receipt_sent = True
    order.save(update_fields=["receipt_sent"])


@shared_task
def send_pending_receipts() -> int:
    """Run by celery beat every 5 minutes (django_celery_beat PeriodicTask)."""
    pending = Order.objects.filter(status=Order.Status.PAID, receipt_sent=False).values_list("pk", flat=True)
    for pk in pending:
        send_receipt.delay(pk)
    return len(pending)
