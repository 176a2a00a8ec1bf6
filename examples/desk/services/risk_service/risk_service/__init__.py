"""risk-service: first-generation desk service (desk.signals -> desk.risk)."""

__version__ = "0.0.0+dev"
