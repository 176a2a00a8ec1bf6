from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from .models import Order


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def order_detail(request: HttpRequest, reference: str) -> JsonResponse:
    order = get_object_or_404(Order, reference=reference)
    return JsonResponse({"reference": order.reference, "status": order.status, "total": str(order.total())})
