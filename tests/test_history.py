"""Run history: file naming and order, baselines (same stack, full runs), bad files, changes, pruning."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.history import (
    RUN_NAME,
    append_run,
    compare,
    find_previous,
    load_history,
    previous_run,
    prune,
    regressions,
)

T0 = datetime(2026, 2, 27, 12, 0, 0, tzinfo=UTC)


def run(stack: str = "desk", partial: bool = False, tag: str = "", **levels: str) -> dict[str, Any]:
    """A minimal result dict: service name (underscores for dashes) -> level."""
    return {
        "schema_version": 1,
        "stack": stack,
        "evaluated_at": "2026-02-27T12:00:00+00:00",
        "generated_at": "2026-02-27T12:00:05+00:00",
        "partial": partial,
        "tag": tag,
        "services": [{"name": name.replace("_", "-"), "level": level} for name, level in levels.items()],
    }


def test_append_creates_the_folder_and_stores_the_dict_unchanged(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "history"
    data = run(signal_service="L1")
    path = append_run(folder, data, now=T0)
    assert path.parent == folder
    assert json.loads(path.read_text()) == data
    match = RUN_NAME.match(path.name)
    assert match is not None, path.name
    assert match["recorded"] == "20260227T120000.000000Z"
    assert match["evaluated"] == "20260227T120000Z"
    assert [p.name for p in folder.iterdir()] == [path.name]  # no temp file left behind


def test_runs_in_the_same_second_or_microsecond_keep_append_order(tmp_path: Path) -> None:
    paths = [append_run(tmp_path, run(tag=str(i), api="L1"), now=T0) for i in range(5)]
    assert len(set(paths)) == 5
    assert sorted(p.name for p in paths) == [p.name for p in paths]
    runs, warnings = load_history(tmp_path, "desk")
    assert [r["tag"] for r in runs] == ["0", "1", "2", "3", "4"]
    assert warnings == []
    assert previous_run(tmp_path, "desk")["tag"] == "4"  # type: ignore[index]


def test_a_clock_that_steps_back_still_sorts_after_the_newest_run(tmp_path: Path) -> None:
    append_run(tmp_path, run(tag="later-clock", api="L1"), now=datetime(2026, 3, 1, tzinfo=UTC))
    append_run(tmp_path, run(tag="earlier-clock", api="L2"), now=T0)
    assert previous_run(tmp_path, "desk")["tag"] == "earlier-clock"  # type: ignore[index]


def test_the_wall_clock_orders_runs_not_evaluated_at(tmp_path: Path) -> None:
    late_eval = run(tag="first", api="L1") | {"evaluated_at": "2027-01-01T00:00:00Z"}
    append_run(tmp_path, late_eval)
    append_run(tmp_path, run(tag="second", api="L1"))
    assert previous_run(tmp_path, "desk")["tag"] == "second"  # type: ignore[index]


def test_other_stacks_are_ignored(tmp_path: Path) -> None:
    append_run(tmp_path, run(stack="desk", tag="desk", api="L1"))
    append_run(tmp_path, run(stack="other", tag="other", api="L3"))
    assert previous_run(tmp_path, "desk")["tag"] == "desk"  # type: ignore[index]
    assert previous_run(tmp_path, "nothing") is None
    runs, warnings = load_history(tmp_path, "other")
    assert [r["tag"] for r in runs] == ["other"]
    assert warnings == []


def test_a_missing_folder_is_an_empty_history(tmp_path: Path) -> None:
    assert load_history(tmp_path / "nope", "desk") == ([], [])
    assert previous_run(tmp_path / "nope", "desk") is None
    assert prune(tmp_path / "nope") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "not a JSON object"),
        ('{"schema_version": 99, "stack": "desk", "services": []}', "schema_version is 99"),
        ('{"schema_version": 1, "stack": "desk"}', "no services list"),
        ('{"schema_version": 1, "stack": "desk", "services": [{"name": "api", "level": "L9"}]}', "'L9' is not a level"),
        ('{"schema_version": 1, "stack": "desk", "services": [{"level": "L1"}]}', "services[0] has no name"),
        ('{"schema_version": 1, "stack": "desk", "partial": "yes", "services": []}', "'partial' is not true/false"),
    ],
)
def test_a_bad_file_is_skipped_with_a_message(tmp_path: Path, text: str, message: str) -> None:
    append_run(tmp_path, run(tag="good", api="L1"), now=T0)
    bad = append_run(tmp_path, run(tag="to-corrupt", api="L1"), now=T0)
    bad.write_text(text)
    runs, warnings = load_history(tmp_path, "desk")
    assert [r["tag"] for r in runs] == ["good"]
    assert len(warnings) == 1
    assert bad.name in warnings[0]
    assert message in warnings[0]
    previous, newer_warnings = find_previous(tmp_path, "desk")
    assert previous is not None
    assert previous["tag"] == "good"
    assert newer_warnings == warnings


def test_undecodable_bytes_are_a_message_not_a_traceback(tmp_path: Path) -> None:
    append_run(tmp_path, run(api="L1")).write_bytes(b"\xff\xfe\x00garbage")
    runs, warnings = load_history(tmp_path, "desk")
    assert runs == []
    assert len(warnings) == 1
    assert "cannot read it" in warnings[0]


def test_files_not_named_like_runs_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("{broken")
    (tmp_path / "README").write_text("hello")
    append_run(tmp_path, run(tag="run", api="L1"))
    runs, warnings = load_history(tmp_path, "desk")
    assert [r["tag"] for r in runs] == ["run"]
    assert warnings == []
    prune(tmp_path, keep=1)
    assert (tmp_path / "notes.json").exists()
    assert (tmp_path / "README").exists()


def test_a_partial_run_is_never_a_baseline(tmp_path: Path) -> None:
    append_run(tmp_path, run(tag="full", api="L2"), now=T0)
    append_run(tmp_path, run(tag="partial", partial=True, api="L0"), now=T0)
    assert previous_run(tmp_path, "desk")["tag"] == "full"  # type: ignore[index]
    runs, _ = load_history(tmp_path, "desk")
    assert [r["tag"] for r in runs] == ["full"]
    only_partial = tmp_path / "only-partial"
    append_run(only_partial, run(partial=True, api="L0"))
    assert previous_run(only_partial, "desk") is None


def test_compare_directions() -> None:
    before = run(a="L1", b="L1.5", c="L2", gone="L1")
    after = run(a="L1.5", b="L1", c="L2", fresh="L0")
    changes = compare(before, after)
    assert changes == {
        "a": {"previous": "L1", "current": "L1.5", "direction": "up"},
        "b": {"previous": "L1.5", "current": "L1", "direction": "down"},
        "c": {"previous": "L2", "current": "L2", "direction": "same"},
        "fresh": {"previous": None, "current": "L0", "direction": "new"},
        "gone": {"previous": "L1", "current": None, "direction": "removed"},
    }
    assert list(changes) == ["a", "b", "c", "fresh", "gone"]


def test_compare_without_a_previous_run_marks_everything_new() -> None:
    changes = compare(None, run(a="L1", b="L2"))
    assert {c["direction"] for c in changes.values()} == {"new"}
    assert regressions(changes) == []


def test_regressions_name_each_dropped_service() -> None:
    changes = compare(run(signal_service="L1", risk="L2", api="L1"), run(signal_service="L0", risk="L1.5", api="L2"))
    assert regressions(changes) == [
        "signal-service: L1 ▼ L0 (regressed since the last run)",
        "risk: L2 ▼ L1.5 (regressed since the last run)",
    ]


def test_history_round_trip_finds_the_regression(tmp_path: Path) -> None:
    append_run(tmp_path, run(signal_service="L1", redis="L1"))
    current = run(signal_service="L0", redis="L1")
    previous, warnings = find_previous(tmp_path, "desk")
    assert warnings == []
    assert regressions(compare(previous, current)) == ["signal-service: L1 ▼ L0 (regressed since the last run)"]


def test_prune_keeps_the_newest_runs(tmp_path: Path) -> None:
    paths = [append_run(tmp_path, run(tag=str(i), api="L1"), now=T0) for i in range(7)]
    removed = prune(tmp_path, keep=3)
    assert removed == paths[:4]
    assert sorted(tmp_path.iterdir()) == paths[4:]
    runs, _ = load_history(tmp_path, "desk")
    assert [r["tag"] for r in runs] == ["4", "5", "6"]
    assert prune(tmp_path, keep=3) == []
    with pytest.raises(ValueError, match="at least 1"):
        prune(tmp_path, keep=0)


def test_prune_removes_only_stale_temp_files_of_runs(tmp_path: Path) -> None:
    name = append_run(tmp_path, run(api="L1")).name
    stale = tmp_path / f".{name}.abc123.tmp"
    fresh = tmp_path / f".{name}.def456.tmp"
    foreign = tmp_path / ".other.json.zzz.tmp"
    for path in (stale, fresh, foreign):
        path.write_text("{")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    os.utime(foreign, (old, old))
    assert prune(tmp_path) == [stale]
    assert fresh.exists()
    assert foreign.exists()
