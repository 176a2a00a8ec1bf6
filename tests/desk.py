"""Run the embedded desk stack at the seed's Day 27 as a user would, and read back its JSON result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-02-27T12:00:00Z"


def run_desk(folder: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """One `pytest --readiness` over the repository's services.yaml; the result JSON lands in folder."""
    out = folder / "desk.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness", "--readiness-now", NOW, f"--readiness-json={out}",
         "-q", "-p", "no:cacheprovider", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    data: dict[str, Any] = json.loads(out.read_text())
    return proc, data
