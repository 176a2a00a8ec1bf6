from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from my_awesome_project.orders.views import healthz

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("orders/", include("my_awesome_project.orders.urls")),
]
