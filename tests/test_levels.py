"""The level engine: levels, half steps, waivers, fail-closed outcomes, gaps and the checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from pytest_readiness.levels import (
    Criterion,
    ServiceTarget,
    apply_waiver,
    checkpoint,
    level_number,
    median_level,
    service_level,
)
from pytest_readiness.results import CriterionResult, Outcome

CATALOG = [
    Criterion("a.one", "L1", critical=True),
    Criterion("a.two", "L1"),
    Criterion("b.one", "L2"),
    Criterion("b.two", "L2", critical=True),
    Criterion("b.three", "L2"),
    Criterion("b.four", "L2"),
    Criterion("c.one", "L3"),
    Criterion("c.two", "L3"),
]


def results_for(service: str, outcomes: dict[str, Outcome]) -> dict[tuple[str, str], CriterionResult]:
    out = {}
    for c in CATALOG:
        outcome = outcomes.get(c.id, Outcome.PASSED)
        out[(service, c.id)] = CriterionResult(
            service, c.id, c.level, outcome, f"{c.id} {outcome}", critical=c.critical
        )
    return out


def level_of(outcomes: dict[str, Outcome], half: float = 0.5) -> str:
    res = results_for("s", outcomes)
    return service_level(ServiceTarget("s", "L2"), CATALOG, res, half_step=half).level


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ({}, "L3"),
        ({"a.one": Outcome.FAILED}, "L0"),  # no half step below L1: failing any L1 criterion is L0
        ({"a.one": Outcome.FAILED, "a.two": Outcome.FAILED}, "L0"),
        ({"b.one": Outcome.FAILED}, "L1.5"),
        ({"b.one": Outcome.FAILED, "b.two": Outcome.FAILED}, "L1.5"),
        ({"b.one": Outcome.FAILED, "b.two": Outcome.FAILED, "b.three": Outcome.FAILED}, "L1"),
        ({"c.one": Outcome.FAILED}, "L2.5"),
        ({"c.one": Outcome.FAILED, "c.two": Outcome.FAILED}, "L2"),
        ({"b.one": Outcome.NOT_APPLICABLE, "b.two": Outcome.NOT_APPLICABLE}, "L3"),
        ({"b.one": Outcome.WAIVED}, "L3"),
    ],
)
def test_levels_and_half_steps(outcomes: dict[str, Outcome], expected: str) -> None:
    assert level_of(outcomes) == expected


@pytest.mark.parametrize("outcome", [Outcome.NOT_OBSERVED, Outcome.ERROR, Outcome.FAILED])
def test_fail_closed_outcomes_never_count_as_passed(outcome: Outcome) -> None:
    assert level_of({"a.two": outcome}) == "L0"
    assert level_of({"b.three": outcome}) == "L1.5"


def test_missing_result_fails_closed() -> None:
    res = results_for("s", {})
    del res[("s", "b.four")]
    level = service_level(ServiceTarget("s", "L2"), CATALOG, res)
    assert level.level == "L1.5"
    assert level.gaps[0].criterion == "b.four"
    assert "not run" in level.gaps[0].reason


def test_half_step_threshold_is_configurable() -> None:
    two_of_four = {"b.one": Outcome.FAILED, "b.two": Outcome.FAILED}
    assert level_of(two_of_four, half=0.5) == "L1.5"
    assert level_of(two_of_four, half=0.75) == "L1"


def test_gaps_lowest_level_then_critical_then_id_top_three() -> None:
    res = results_for(
        "s", {"c.one": Outcome.FAILED, "b.one": Outcome.FAILED, "b.two": Outcome.FAILED, "b.four": Outcome.FAILED}
    )
    level = service_level(ServiceTarget("s", "L2"), CATALOG, res)
    assert [g.criterion for g in level.gaps] == ["b.two", "b.four", "b.one"]
    assert level.all_gaps == 4
    assert not level.meets_target


def test_meets_target_compares_half_levels() -> None:
    res = results_for("s", {"b.one": Outcome.FAILED})
    assert service_level(ServiceTarget("s", "L1"), CATALOG, res).meets_target
    assert not service_level(ServiceTarget("s", "L2"), CATALOG, res).meets_target


@dataclass(frozen=True)
class W:
    service: str
    criterion: str
    reason: str
    owner: str
    expires: date
    where: str = "services.yaml:9"


def test_unexpired_waiver_waives_and_expired_waiver_says_so() -> None:
    failed = CriterionResult("s", "b.one", "L2", Outcome.FAILED, "no alert")
    waived = apply_waiver(failed, [W("s", "b.one", "drill booked", "ops", date(2026, 3, 10))], date(2026, 3, 10))
    assert waived.outcome is Outcome.WAIVED
    assert "drill booked" in waived.reason
    assert "no alert" in waived.reason
    failed2 = CriterionResult("s", "b.one", "L2", Outcome.FAILED, "no alert")
    expired = apply_waiver(failed2, [W("s", "b.one", "drill booked", "ops", date(2026, 3, 10))], date(2026, 3, 11))
    assert expired.outcome is Outcome.FAILED
    assert "waiver expired on 2026-03-10" in expired.reason


def test_waiver_for_another_service_does_not_apply() -> None:
    failed = CriterionResult("s", "b.one", "L2", Outcome.FAILED, "x")
    assert (
        apply_waiver(failed, [W("t", "b.one", "r", "o", date(2030, 1, 1))], date(2026, 1, 1)).outcome is Outcome.FAILED
    )


def test_median_rounds_down_to_half_steps() -> None:
    assert median_level([1, 1, 1.5, 2, 2]) == 1.5
    assert median_level([1, 1.5]) == 1.0
    assert median_level([1, 2]) == 1.5
    assert median_level([0, 3]) == 1.5
    assert median_level([0, 1]) == 0.0


def test_checkpoint_overall_weakest_blocking_and_gate() -> None:
    res = {}
    res.update(results_for("x", {"b.two": Outcome.FAILED, "b.one": Outcome.FAILED, "b.three": Outcome.FAILED}))
    res.update(results_for("y", {"b.two": Outcome.FAILED}))
    res.update(results_for("z", {}))
    levels = [service_level(ServiceTarget(n, "L2"), CATALOG, res) for n in "xyz"]
    cp = checkpoint(levels, CATALOG, res)
    assert [s.level for s in levels] == ["L1", "L1.5", "L3"]
    assert cp.overall == "L1.5"
    assert cp.weakest == ["x"]
    assert cp.next_level == "L2"
    assert next(iter(cp.blocking)) == "b.two"
    assert cp.blocking["b.two"] == ["x", "y"]
    assert cp.gate == "FAIL"
    assert "x: L1 < target L2" in cp.below_target


def test_gate_passes_only_when_all_meet_target_and_nothing_errored() -> None:
    res = results_for("x", {"c.one": Outcome.FAILED, "c.two": Outcome.FAILED})
    levels = [service_level(ServiceTarget("x", "L2"), CATALOG, res)]
    assert checkpoint(levels, CATALOG, res).gate == "PASS"
    assert checkpoint(levels, CATALOG, res, selection="-k").gate == "FAIL"
    res[("x", "c.one")].outcome = Outcome.ERROR
    cp = checkpoint(levels, CATALOG, res)
    assert cp.gate == "FAIL"
    assert any("errored" in r for r in cp.reasons)


def test_level_number_rejects_nonsense() -> None:
    assert level_number("L2.5") == 2.5
    for bad in ("L5", "2", "Lx", "L1.25", "L0.5"):
        with pytest.raises(ValueError, match="level"):
            level_number(bad)
