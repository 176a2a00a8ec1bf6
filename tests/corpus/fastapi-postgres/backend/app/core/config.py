"""Settings read from the environment (and Docker secrets)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _password() -> str:
    path = os.environ.get("POSTGRES_PASSWORD_FILE")
    if path and Path(path).is_file():
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get("POSTGRES_PASSWORD", "")


@dataclass(frozen=True)
class Settings:
    environment: str = field(default_factory=lambda: os.environ.get("ENVIRONMENT", "local"))
    server: str = field(default_factory=lambda: os.environ.get("POSTGRES_SERVER", "localhost"))
    port: int = field(default_factory=lambda: int(os.environ.get("POSTGRES_PORT", "5432")))
    user: str = field(default_factory=lambda: os.environ.get("POSTGRES_USER", "app"))
    db: str = field(default_factory=lambda: os.environ.get("POSTGRES_DB", "app"))
    password: str = field(default_factory=_password)

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@{self.server}:{self.port}/{self.db}"


settings = Settings()
