"""Build small throw-away stacks on disk for unit tests of check functions (no pytest plugin needed)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from pytest_readiness.config import load_config
from pytest_readiness.context import Service, Stack
from pytest_readiness.live.probes import LiveProbes

NOW = datetime(2026, 2, 27, 12, 0, tzinfo=UTC)


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write ``{relative path: text}`` below root (text is dedented)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def make_stack(
    tmp_path: Path,
    services_yaml: str,
    files: dict[str, str] | None = None,
    now: datetime = NOW,
    offline: bool = True,
    profiles: tuple[str, ...] = (),
) -> Stack:
    """services.yaml at tmp_path, stack root ``stack/`` below it, holding ``files``."""
    (tmp_path / "stack").mkdir(exist_ok=True)
    write_tree(tmp_path / "stack", files or {})
    write_tree(tmp_path, {"services.yaml": services_yaml})
    return Stack(
        load_config(tmp_path / "services.yaml"),
        now=now,
        offline=offline,
        profiles=profiles,
        live_factory=LiveProbes.for_stack,
    )


def service(stack: Stack, name: str) -> Service:
    return Service(stack, stack.config.service(name))
