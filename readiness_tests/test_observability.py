"""Observability criteria: metrics scraped, logs structured, alerts defined, tested and charted."""

from __future__ import annotations

import pytest

from pytest_readiness import Service
from pytest_readiness.checks import observability


@pytest.mark.readiness(id="observability.metrics", level="L2")
def test_metrics(service: Service) -> None:
    """A Prometheus scrape job targets the service (live: its endpoint carries a freshness/lag metric)."""
    service.decide(observability.metrics(service))


@pytest.mark.readiness(id="observability.structured-logs", level="L2")
def test_structured_logs(service: Service) -> None:
    """The service's logs are JSON lines with a level field, so an error rate is measurable."""
    service.decide(observability.structured_logs(service))


@pytest.mark.readiness(id="observability.alerts", level="L2", critical=True)
def test_alerts(service: Service) -> None:
    """Valid alert rules watch the service for staleness, failure and lag."""
    service.decide(observability.alerts(service))


@pytest.mark.readiness(id="observability.alert-tests", level="L3")
def test_alert_tests(service: Service) -> None:
    """promtool unit tests fire each of the service's alerts, and pass (the alert fire-drill)."""
    service.decide(observability.alert_tests(service))


@pytest.mark.readiness(id="observability.dashboards", level="L3")
def test_dashboards(service: Service) -> None:
    """Every metric the service's alerts and SLO read is charted on a Grafana dashboard."""
    service.decide(observability.dashboards(service))
