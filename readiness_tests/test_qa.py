"""QA and change-control criteria: unit tests, their results, integration and promotion gates."""

from __future__ import annotations

import pytest

from pytest_readiness import Service
from pytest_readiness.checks import qa


@pytest.mark.readiness(id="qa.unit-tests", level="L1")
def test_unit_tests(service: Service) -> None:
    """The service's own code has a tests folder with test functions."""
    service.decide(qa.unit_tests(service))


@pytest.mark.readiness(id="qa.unit-test-results", level="L2")
def test_unit_test_results(service: Service) -> None:
    """A fresh JUnit XML for the service's tests shows them run and green."""
    service.decide(qa.unit_test_results(service))


@pytest.mark.readiness(id="qa.integration-gate", level="L2")
def test_integration_gate(service: Service) -> None:
    """A replay/regression gate report exists, passes and is fresh."""
    service.decide(qa.integration_gate(service))


@pytest.mark.readiness(id="qa.promotion-gate", level="L3", critical=True)
def test_promotion_gate(service: Service) -> None:
    """The promotion gate is PASS, strict, fails closed on stale inputs, and CI runs it."""
    service.decide(qa.promotion_gate(service))
