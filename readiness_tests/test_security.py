"""Security & access criteria: secrets kept out of logs, minimal exposure, least privilege, key rotation."""

from __future__ import annotations

import pytest

from pytest_readiness import Service
from pytest_readiness.checks import security


@pytest.mark.readiness(id="security.secrets-not-logged", level="L1", critical=True)
def test_secrets_not_logged(service: Service) -> None:
    """Logs, reports and outputs hold no declared secret value and no secret-shaped token."""
    service.decide(security.secrets_not_logged(service))


@pytest.mark.readiness(id="security.network-exposure", level="L1", critical=True)
def test_network_exposure(service: Service) -> None:
    """Every published port binds loopback or an allow-listed address."""
    service.decide(security.network_exposure(service))


@pytest.mark.readiness(id="security.least-privilege", level="L3")
def test_least_privilege(service: Service) -> None:
    """Containers run non-root, unprivileged, with capabilities dropped, no-new-privileges, read-only."""
    service.decide(security.least_privilege(service))


@pytest.mark.readiness(id="security.key-rotation", level="L3")
def test_key_rotation(service: Service) -> None:
    """A row that uses a declared secret has a reviewed key-rotation section in the runbook."""
    service.decide(security.key_rotation(service))
