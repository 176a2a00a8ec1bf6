from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "my_awesome_project.orders"
    verbose_name = "Orders"
