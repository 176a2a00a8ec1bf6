"""signal-service: first-generation desk service (desk.marketdata -> desk.signals)."""

__version__ = "0.0.0+dev"
