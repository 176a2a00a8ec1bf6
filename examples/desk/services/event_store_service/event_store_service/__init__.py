"""event-store-service (desk service, second generation)."""

__version__ = "1.3.0"
