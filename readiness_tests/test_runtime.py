"""Runtime reliability criteria: healthchecks, restarts, bounded startup, backoff/retry, limits."""

from __future__ import annotations

import pytest

from pytest_readiness import Service
from pytest_readiness.checks import runtime


@pytest.mark.readiness(id="runtime.healthcheck", level="L1", critical=True)
def test_healthcheck(service: Service) -> None:
    """Every container of the row has a healthcheck (compose or Dockerfile) that is not disabled."""
    service.decide(runtime.healthcheck(service))


@pytest.mark.readiness(id="runtime.healthcheck-liveness", level="L2", critical=True)
def test_healthcheck_liveness(service: Service) -> None:
    """Each healthcheck probes the service's own process or port, not a dependency or a file's age."""
    service.decide(runtime.healthcheck_liveness(service))


@pytest.mark.readiness(id="runtime.restart-policy", level="L1")
def test_restart_policy(service: Service) -> None:
    """Long-running containers restart on failure (always, unless-stopped or on-failure)."""
    service.decide(runtime.restart_policy(service))


@pytest.mark.readiness(id="runtime.startup-bounded", level="L2")
def test_startup_bounded(service: Service) -> None:
    """Healthcheck start_period, interval and retries are set and bounded."""
    service.decide(runtime.startup_bounded(service))


@pytest.mark.readiness(id="runtime.backoff-retry", level="L2")
def test_backoff_retry(service: Service) -> None:
    """Dependencies are awaited healthy, and config or code retries them with backoff."""
    service.decide(runtime.backoff_retry(service))


@pytest.mark.readiness(id="runtime.resource-limits", level="L2")
def test_resource_limits(service: Service) -> None:
    """Every container has memory and CPU limits."""
    service.decide(runtime.resource_limits(service))


@pytest.mark.readiness(id="runtime.startup-drill", level="L3")
def test_startup_drill(service: Service) -> None:
    """A restart drill (--readiness-drills): every container is healthy again within its startup bound."""
    service.decide(runtime.startup_drill(service))


@pytest.mark.readiness(id="runtime.resource-usage", level="L3")
def test_resource_usage(service: Service) -> None:
    """Live: memory use below 90% of the limit, no OOM kill, at most 3 restarts by the engine."""
    service.decide(runtime.resource_usage(service))
