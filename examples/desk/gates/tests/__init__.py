"""Unit tests of the promotion gate."""
