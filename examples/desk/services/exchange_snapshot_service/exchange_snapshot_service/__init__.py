"""exchange-snapshot-service (desk service, second generation)."""

__version__ = "0.6.1"
