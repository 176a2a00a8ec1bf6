"""portfolio-risk-service (desk service, second generation)."""

__version__ = "1.0.3"
