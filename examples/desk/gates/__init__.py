"""Desk promotion gates: decide from the services' own reports whether a release may be promoted."""
