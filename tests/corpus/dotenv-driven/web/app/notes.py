"""Small pure helpers for notes."""

from __future__ import annotations


def normalise_title(title: str, limit: int = 120) -> str:
    cleaned = " ".join(str(title).split())
    return cleaned[:limit]
