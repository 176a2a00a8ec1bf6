"""ops-db-writer (desk service, second generation)."""

__version__ = "1.4.2"
