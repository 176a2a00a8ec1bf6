"""coordination-service: first-generation desk service (desk.risk -> desk.orders)."""

__version__ = "0.0.0+dev"
