"""reconciliation-service (desk service, second generation)."""

__version__ = "1.1.4"
