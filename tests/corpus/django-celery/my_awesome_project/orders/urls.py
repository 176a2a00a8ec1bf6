from django.urls import path

from .views import order_detail

app_name = "orders"
urlpatterns = [
    path("<str:reference>/", order_detail, name="detail"),
]
