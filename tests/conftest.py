"""The plugin's own tests: pytester drives pytest runs in temporary folders."""

from __future__ import annotations

import copy
import subprocess
from typing import Any

import pytest

from tests.desk import run_desk

pytest_plugins = ["pytester"]

# The corpus holds other people's projects, tests included: they are data here, never collected.
collect_ignore = ["corpus"]


@pytest.fixture(scope="session")
def desk_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """The desk stack scored once per test process (each renderer's tests read the same run)."""
    return run_desk(tmp_path_factory.mktemp("desk"))


@pytest.fixture
def desk(desk_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> dict[str, Any]:
    """A private copy of the desk's result dict, so no test can change what another one reads."""
    return copy.deepcopy(desk_run[1])
