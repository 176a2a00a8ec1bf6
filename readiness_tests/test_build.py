"""Build & reproducibility criteria: pinned dependencies, immutable images, versioned releases."""

from __future__ import annotations

import pytest

from pytest_readiness import Service
from pytest_readiness.checks import build


@pytest.mark.readiness(id="build.lockfile-pinned", level="L2")
def test_lockfile_pinned(service: Service) -> None:
    """Every dependency in the service's lockfiles is pinned with ==, so builds are repeatable."""
    service.decide(build.lockfile_pinned(service))


@pytest.mark.readiness(id="build.lockfile-hashes", level="L3")
def test_lockfile_hashes(service: Service) -> None:
    """Every lock entry carries a hash, so a swapped artifact cannot be installed."""
    service.decide(build.lockfile_hashes(service))


@pytest.mark.readiness(id="build.no-install-at-start", level="L2")
def test_no_install_at_start(service: Service) -> None:
    """No pip/apt/npm install in the compose command, Dockerfile CMD/ENTRYPOINT or entry scripts."""
    service.decide(build.no_install_at_start(service))


@pytest.mark.readiness(id="build.versioned-image", level="L2")
def test_versioned_image(service: Service) -> None:
    """Each container runs an explicitly versioned image that the release manifest lists."""
    service.decide(build.versioned_image(service))
