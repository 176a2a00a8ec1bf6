"""shadow-parity-service (desk service, second generation)."""

__version__ = "0.9.2"
