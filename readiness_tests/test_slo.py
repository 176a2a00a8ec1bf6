"""SLO criteria: the SLO matrix's evidence is fresh and every SLO and alert has a real owner."""

from __future__ import annotations

import pytest

from pytest_readiness import Service
from pytest_readiness.checks import slo


@pytest.mark.readiness(id="slo.freshness", level="L2", critical=True)
def test_slo_freshness(service: Service) -> None:
    """Each SLO row's evidence report is within its baseline age."""
    service.decide(slo.freshness(service))


@pytest.mark.readiness(id="slo.alert-ownership", level="L3")
def test_alert_ownership(service: Service) -> None:
    """Each SLO row and alert rule has a named owner other than the default, and SLO alerts exist."""
    service.decide(slo.alert_ownership(service))
