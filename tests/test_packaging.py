"""The built wheel carries what an installed plugin needs: the checklist, both schemas, the entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (built,) = out.glob("pytest_readiness-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_ships_checklist_schemas_and_entry_point(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "pytest_readiness/schema/services.schema.json" in names
    assert "pytest_readiness/schema/result.schema.json" in names
    assert "pytest_readiness/py.typed" in names
    for package in ("pytest_readiness", "readiness_tests"):
        in_repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*.py")}
        assert in_repo <= names, sorted(in_repo - names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = wheel.read(entry_points).decode()
    assert "[pytest11]" in text
    assert "readiness = pytest_readiness.plugin" in text


def test_readme_lists_every_builtin_criterion() -> None:
    from pytest_readiness.outcomes import builtin_catalog

    readme = (ROOT / "README.md").read_text()
    for criterion in builtin_catalog():
        assert f"| `{criterion.id}` | {criterion.level} |" in readme, criterion.id
