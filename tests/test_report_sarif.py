"""SARIF 2.1.0 over the real desk result: valid against the OASIS schema, located, one rule per criterion."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_readiness.report_sarif import dump_sarif, render_sarif, split_location

ROOT = Path(__file__).resolve().parent.parent
XSS = "<script>document.title='PWNED'</script>"
# The shared folder sits beside the repository.
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "shared/data/sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    if not SCHEMA_PATH.exists():
        reason = f"the OASIS SARIF 2.1.0 schema is not at {SCHEMA_PATH}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text()))


def schema_errors(validator: jsonschema.Draft4Validator, sarif: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(sarif)]


def small_result(results: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "schema_version": 1,
        "stack": "mini",
        "config": "stack/services.yaml",
        "evaluated_at": "2026-02-27T12:00:00+00:00",
        "criteria": [
            {"id": "runtime.healthcheck-liveness", "level": "L2", "critical": True, "title": "Liveness healthcheck"},
            {"id": "data.retention", "level": "L2", "critical": False, "title": ""},
        ],
        "services": [],
        "results": results,
        "slos": [],
        "checkpoint": {"overall": "L1", "gate": "FAIL", "reasons": []},
    }
    result.update(overrides)
    return result


def one(service: str, criterion: str, outcome: str, *locations: str, **extra: Any) -> dict[str, Any]:
    return {
        "service": service,
        "criterion": criterion,
        "level": "L2",
        "outcome": outcome,
        "reason": f"{criterion} {outcome}",
        "evidence": [{"location": loc, "detail": f"at {loc}"} for loc in locations],
        **extra,
    }


# --- the desk -------------------------------------------------------------------------------------------------


def test_desk_sarif_validates_against_the_oasis_schema(
    desk: dict[str, Any], validator: jsonschema.Draft4Validator
) -> None:
    sarif = render_sarif(desk, tool_version="0.1.0")
    assert sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"]) == 1
    assert schema_errors(validator, sarif) == []
    # And the bytes the lead writes parse back to the same log.
    assert json.loads(dump_sarif(sarif)) == sarif


def test_desk_results_are_located_with_lines(desk: dict[str, Any]) -> None:
    run = render_sarif(desk, tool_version="0.1.0")["runs"][0]
    failed = [r for r in desk["results"] if r["outcome"] in ("failed", "error", "waived")]
    assert len(run["results"]) == len(failed)
    located = [r for r in run["results"] if r["locations"][0]["physicalLocation"].get("region", {}).get("startLine")]
    assert len(located) >= 5
    # GitHub code scanning rejects the whole file if any result has no location.
    assert all(
        r["locations"] and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    )
    by = {(r["properties"]["service"], r["ruleId"]): r for r in run["results"]}
    pinned = by[("coordination-service", "build.lockfile-pinned")]
    loc = pinned["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {
        "uri": "examples/desk/services/coordination_service/requirements.txt",
        "uriBaseId": "SRCROOT",
    }
    assert loc["region"] == {"startLine": 1}
    assert [x["physicalLocation"]["region"]["startLine"] for x in pinned["relatedLocations"]] == [1, 2, 3]
    assert pinned["message"]["text"].startswith("coordination-service: 3 unpinned dependencies")
    fix = pinned["properties"].pop("fix")
    assert fix.startswith(
        "examples/desk/services/coordination_service/requirements.txt:1: pin redis==5.2.1 (the version "
    )
    assert pinned["properties"] == {
        "service": "coordination-service",
        "level": "L2",
        "outcome": "failed",
        "critical": False,
        "scope": "static",
        "nodeid": "readiness_tests/test_build.py::test_lockfile_pinned[coordination-service]",
    }


def test_a_fix_that_adds_compose_keys_is_a_sarif_edit(desk: dict[str, Any]) -> None:
    run = render_sarif(desk, tool_version="0.1.0")["runs"][0]
    edits = [r for r in run["results"] if "fixes" in r]
    assert edits, "some desk gaps are fixed by adding compose keys"
    change = edits[0]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"].endswith("docker-compose.yml")
    inserted = change["replacements"][0]["insertedContent"]["text"]
    assert inserted.startswith("    ")
    assert inserted.endswith("\n")
    assert edits[0]["fixes"][0]["description"]["text"].split("  ", 1)[1].strip() == inserted.strip()


def test_desk_rules_are_the_criteria_and_indexes_point_at_them(desk: dict[str, Any]) -> None:
    run = render_sarif(desk, tool_version="9.9.9")["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pytest-readiness"
    assert driver["version"] == "9.9.9"
    assert [r["id"] for r in driver["rules"]] == [c["id"] for c in desk["criteria"]]
    critical = {c["id"]: c["critical"] for c in desk["criteria"]}
    for rule in driver["rules"]:
        assert rule["defaultConfiguration"]["level"] == ("error" if critical[rule["id"]] else "warning")
        assert rule["properties"]["critical"] is critical[rule["id"]]
        assert rule["shortDescription"]["text"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == driver["rules"][result["ruleIndex"]]["defaultConfiguration"]["level"]
    assert run["originalUriBaseIds"]["SRCROOT"]
    assert run["properties"]["overall"] == "L1.5"
    assert run["properties"]["gate"] == "FAIL"


# --- hand-made results ----------------------------------------------------------------------------------------


def test_waived_is_a_suppressed_note_and_passed_or_na_are_not_reported(validator: jsonschema.Draft4Validator) -> None:
    result = small_result(
        [
            one("api", "runtime.healthcheck-liveness", "failed", "compose.yml:12"),
            one("api", "data.retention", "waived", "compose.yml:30", "stack/services.yaml:40"),
            one("db", "data.retention", "passed", "compose.yml:40"),
            one("db", "runtime.healthcheck-liveness", "not_applicable"),
            one("db", "runtime.healthcheck-liveness", "not_observed", "http://127.0.0.1:9090/-/healthy"),
            one("cache", "custom.only-in-results", "error", "x.py:3", critical=True),
        ]
    )
    sarif = render_sarif(result, tool_version="0.1.0")
    assert schema_errors(validator, sarif) == []
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["runtime.healthcheck-liveness", "data.retention", "custom.only-in-results"]
    assert rules[0]["shortDescription"]["text"] == "Liveness healthcheck"
    assert rules[1]["shortDescription"]["text"] == "data.retention"
    assert rules[2]["defaultConfiguration"]["level"] == "error"
    results = run["results"]
    assert [(r["properties"]["service"], r["ruleId"], r["level"]) for r in results] == [
        ("api", "runtime.healthcheck-liveness", "error"),
        ("api", "data.retention", "note"),
        ("cache", "custom.only-in-results", "error"),
    ]
    assert "suppressions" not in results[0]
    assert results[1]["suppressions"] == [{"kind": "external", "justification": "data.retention waived"}]
    assert results[0]["message"]["text"] == "api: runtime.healthcheck-liveness failed"
    assert results[2]["message"]["text"] == "cache: check error: custom.only-in-results error"
    assert results[2]["ruleIndex"] == 2


def test_url_only_or_lineless_evidence(validator: jsonschema.Draft4Validator) -> None:
    result = small_result(
        [
            one("api", "data.retention", "failed", "http://127.0.0.1:9090/api/v1/rules"),
            one("api", "data.retention", "failed", "reports/latest.json"),
            one("api", "data.retention", "failed", "reports/latest.json", "compose.yml:7"),
            one("api", "data.retention", "failed"),
        ]
    )
    sarif = render_sarif(result, tool_version="0.1.0")
    assert schema_errors(validator, sarif) == []
    locs = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]]
    # A URL has no file: the result is anchored to the config that declares the service, without a line.
    assert locs[0] == {"artifactLocation": {"uri": "stack/services.yaml", "uriBaseId": "SRCROOT"}}
    assert locs[1] == {"artifactLocation": {"uri": "reports/latest.json", "uriBaseId": "SRCROOT"}}
    assert locs[2] == {
        "artifactLocation": {"uri": "compose.yml", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 7},
    }
    assert locs[3] == locs[0]
    no_config = render_sarif(small_result([one("api", "data.retention", "failed")], config=""), tool_version="0")
    assert "locations" not in no_config["runs"][0]["results"][0]
    assert schema_errors(validator, no_config) == []


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("a/b.yml:12", ("a/b.yml", 12)),
        ("a/b.yml", ("a/b.yml", None)),
        ("a:b/c.log:7", ("a:b/c.log", 7)),
        ("C:/stack/compose.yml:3", ("C:/stack/compose.yml", 3)),
        ("notes.md:intro", ("notes.md:intro", None)),
        ("x.yml:0", ("x.yml", None)),
        ("http://127.0.0.1:9090/metrics", None),
        ("redis://127.0.0.1:6379/0", None),
        ("", None),
    ],
)
def test_split_location(location: str, expected: tuple[str, int | None] | None) -> None:
    assert split_location(location) == expected


def test_paths_become_uris(validator: jsonschema.Draft4Validator) -> None:
    result = small_result(
        [
            one("api", "data.retention", "failed", "./my reports/a#1.json:4"),
            one("api", "data.retention", "failed", "/srv/stack/compose.yml:9"),
        ]
    )
    sarif = render_sarif(result, tool_version="0")
    assert schema_errors(validator, sarif) == []
    first, second = (r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"])
    assert first["artifactLocation"] == {"uri": "my%20reports/a%231.json", "uriBaseId": "SRCROOT"}
    assert first["region"] == {"startLine": 4}
    assert second["artifactLocation"] == {"uri": "file:///srv/stack/compose.yml"}


def test_dump_keeps_markup_out_of_the_file() -> None:
    result = small_result([{**one("api", "data.retention", "failed", "a.yml:1"), "reason": XSS + " & co"}])
    sarif = render_sarif(result, tool_version="0")
    text = dump_sarif(sarif)
    assert XSS not in text
    assert "<" not in text
    assert ">" not in text
    assert json.loads(text) == sarif
    assert json.loads(text)["runs"][0]["results"][0]["message"]["text"] == f"api: {XSS} & co"
