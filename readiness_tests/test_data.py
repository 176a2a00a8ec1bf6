"""Data criteria: backups drilled, writes idempotent, one source of truth, retention that holds."""

from __future__ import annotations

import pytest

from pytest_readiness import Service
from pytest_readiness.checks import data


@pytest.mark.readiness(id="data.backup-restore", level="L2", critical=True)
def test_backup_restore(service: Service) -> None:
    """A stateful service has a passing backup/restore drill within its cadence."""
    service.decide(data.backup_restore(service))


@pytest.mark.readiness(id="data.idempotent-writes", level="L2")
def test_idempotent_writes(service: Service) -> None:
    """Keyed outputs hold no duplicate key (no duplicate amplification on restart)."""
    service.decide(data.idempotent_writes(service))


@pytest.mark.readiness(id="data.source-of-truth", level="L2")
def test_source_of_truth(service: Service) -> None:
    """Outputs are declared, each dataset has one owner, and the path exists."""
    service.decide(data.source_of_truth(service))


@pytest.mark.readiness(id="data.retention", level="L2")
def test_retention(service: Service) -> None:
    """Every output has a retention policy that holds, and container logs are size-capped."""
    service.decide(data.retention(service))


@pytest.mark.readiness(id="data.restart-idempotency", level="L3")
def test_restart_idempotency(service: Service) -> None:
    """A restart drill (--readiness-drills): after a restart no key of a keyed output appears twice."""
    service.decide(data.restart_idempotency(service))
