"""Run history for ``--readiness-history DIR``: one JSON file per run, the last full run as a baseline.

Each run is the result dict (what ``--readiness-json`` writes), stored unchanged in a file named
``<recorded>-<evaluated>-<id>.json``: ``recorded`` is the wall clock when the run was appended
(UTC, microseconds, never earlier than the newest file already there, so names sort in append
order even within one second), ``evaluated`` is the run's ``evaluated_at`` (``--readiness-now``)
and ``id`` a random suffix so two runs never collide. Reading never raises for a bad file: it is
skipped and a warning line says why.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .files import write_atomic
from .levels import level_number
from .results import CriterionResult

DEFAULT_KEEP = 100
SCHEMA_VERSION = 1
STALE_TEMP_SECONDS = 3600
RUN_NAME = re.compile(r"^(?P<recorded>\d{8}T\d{6}\.\d{6}Z)-(?P<evaluated>\d{8}T\d{6}Z|unknown)-[0-9a-f]{8}\.json$")
_RECORDED_FORMAT = "%Y%m%dT%H%M%S.%fZ"
ARROWS = {"up": "▲", "down": "▼"}


def _compact(timestamp: object) -> str:
    """``2026-02-27T12:00:00+00:00`` -> ``20260227T120000Z``; anything unparsable -> ``unknown``."""
    if not isinstance(timestamp, str):
        return "unknown"
    try:
        value = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "unknown"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _run_files(folder: Path) -> list[Path]:
    """This folder's run files, oldest first (their names sort by the time they were appended)."""
    return sorted((p for p in folder.iterdir() if RUN_NAME.match(p.name) and p.is_file()), key=lambda p: p.name)


def _recorded(path: Path) -> datetime:
    match = RUN_NAME.match(path.name)
    assert match is not None
    return datetime.strptime(match["recorded"], _RECORDED_FORMAT).replace(tzinfo=UTC)


def append_run(folder: Path, result: Mapping[str, Any], *, now: datetime | None = None) -> Path:
    """Write ``result`` as this run's file in ``folder`` (created if missing), atomically; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    recorded = (now or datetime.now(UTC)).astimezone(UTC)
    existing = _run_files(folder)
    if existing:
        # Same microsecond, or a wall clock that stepped back: still sort after the newest run.
        recorded = max(recorded, _recorded(existing[-1]) + timedelta(microseconds=1))
    name = f"{recorded.strftime(_RECORDED_FORMAT)}-{_compact(result.get('evaluated_at'))}-{uuid.uuid4().hex[:8]}.json"
    path = folder / name
    write_atomic(path, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return path


def _problem(data: Any) -> str | None:
    """Why a parsed file cannot serve as a run (only the fields history reads are checked)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("schema_version") != SCHEMA_VERSION:
        return f"schema_version is {data.get('schema_version')!r}, expected {SCHEMA_VERSION}"
    if not isinstance(data.get("stack"), str):
        return "no stack name"
    if not isinstance(data.get("partial", False), bool):
        return "'partial' is not true/false"
    services = data.get("services")
    if not isinstance(services, list):
        return "no services list"
    for i, service in enumerate(services):
        if not isinstance(service, dict) or not isinstance(service.get("name"), str):
            return f"services[{i}] has no name"
        try:
            level_number(str(service.get("level")))
        except ValueError:
            return f"services[{i}] ({service['name']}): level {service.get('level')!r} is not a level"
    return None


def _read(path: Path, stack: str) -> tuple[dict[str, Any] | None, str | None]:
    """(run, None) for a usable run of ``stack``; (None, warning) for a bad file; (None, None) otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, f"history: skipped {path}: cannot read it ({detail})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"history: skipped {path}: not valid JSON (line {exc.lineno}: {exc.msg})"
    if isinstance(data, dict) and isinstance(data.get("stack"), str) and data["stack"] != stack:
        return None, None  # another stack sharing the folder
    problem = _problem(data)
    if problem:
        return None, f"history: skipped {path}: {problem}"
    return data, None


def _newest_first(folder: Path, stack: str) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
    try:
        files = _run_files(folder)
    except FileNotFoundError:
        return
    except OSError as exc:
        yield None, f"history: cannot list {folder}: {exc.strerror or exc}"
        return
    for path in reversed(files):
        yield _read(path, stack)


def load_history(folder: Path, stack: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every full run of ``stack`` in ``folder``, oldest first, and a warning per unusable file.

    Partial runs (``"partial": true``: -k, -m, missing results) are left out: a partial run
    proves nothing about levels, so it is never a baseline. A missing folder is an empty history.
    """
    runs: list[dict[str, Any]] = []
    warnings: list[str] = []
    for run, warning in _newest_first(folder, stack):
        if warning:
            warnings.append(warning)
        elif run is not None and not run.get("partial", False):
            runs.append(run)
    runs.reverse()
    return runs, warnings


def find_previous(folder: Path, stack: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The newest full run of ``stack`` and the warnings for bad files newer than it (reads no further)."""
    warnings: list[str] = []
    for run, warning in _newest_first(folder, stack):
        if warning:
            warnings.append(warning)
        elif run is not None and not run.get("partial", False):
            return run, warnings
    return None, warnings


def previous_run(folder: Path, stack: str) -> dict[str, Any] | None:
    """The newest full (not partial) run of ``stack`` in ``folder``, or None."""
    return find_previous(folder, stack)[0]


def _levels(run: Mapping[str, Any]) -> dict[str, str]:
    return {str(s["name"]): str(s["level"]) for s in run.get("services", []) if isinstance(s, dict) and "name" in s}


def compare(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each service's level change: {"previous", "current", "direction": up|down|same|new|removed}.

    Services in ``current`` come first, in its order; services gone since ``previous`` follow
    with ``current`` None and direction "removed".
    """
    before = _levels(previous) if previous is not None else {}
    now = _levels(current)
    changes: dict[str, dict[str, Any]] = {}
    for name, level in now.items():
        old = before.get(name)
        if old is None:
            direction = "new"
        else:
            delta = level_number(level) - level_number(old)
            direction = "up" if delta > 0 else "down" if delta < 0 else "same"
        changes[name] = {"previous": old, "current": level, "direction": direction}
    for name, old in before.items():
        if name not in now:
            changes[name] = {"previous": old, "current": None, "direction": "removed"}
    return changes


def regressions(changes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per service whose level dropped: ``signal-service: L1 ▼ L0 (regressed since the last run)``."""
    return [
        f"{name}: {change['previous']} {ARROWS['down']} {change['current']} (regressed since the last run)"
        for name, change in changes.items()
        if change.get("direction") == "down"
    ]


def prune(folder: Path, keep: int = DEFAULT_KEEP) -> list[Path]:
    """Delete all but the newest ``keep`` runs (of every stack in the folder) and stale temp files.

    Only files named like runs are touched; returns what was deleted. A missing folder is fine.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    if not folder.is_dir():
        return []
    removed = []
    for path in _run_files(folder)[:-keep]:
        path.unlink(missing_ok=True)
        removed.append(path)
    # Leftovers of write_atomic from a run that died mid-write (".<name>.<random>.tmp").
    cutoff = time.time() - STALE_TEMP_SECONDS
    for path in folder.glob(".*.json.*.tmp"):
        if RUN_NAME.match(path.name[1:].split(".json.", 1)[0] + ".json"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed.append(path)
            except FileNotFoundError:
                continue
    return removed


TREND_RUNS = 20


def trend_point(run: Mapping[str, Any]) -> dict[str, Any]:
    """What the trend keeps of a run: when it was evaluated, the overall level and each service's level."""
    checkpoint = run.get("checkpoint")
    overall = checkpoint.get("overall") if isinstance(checkpoint, dict) else None
    return {"evaluated_at": run.get("evaluated_at"), "overall": overall, "levels": _levels(run)}


def level_trend(folder: Path, stack: str, limit: int = TREND_RUNS) -> tuple[list[dict[str, Any]], list[str]]:
    """The newest ``limit`` full runs of ``stack`` as trend points, oldest first, and warnings for bad files."""
    points: list[dict[str, Any]] = []
    warnings: list[str] = []
    for run, warning in _newest_first(folder, stack):
        if warning:
            warnings.append(warning)
        elif run is not None and not run.get("partial", False):
            try:
                points.append(trend_point(run))
            except (KeyError, TypeError):
                warnings.append(f"history: a run of {stack} in {folder} has no readable levels; left out of the trend")
        if len(points) >= limit:
            break
    points.reverse()
    return points, warnings


def carry_over(
    previous: Mapping[str, Any],
    results: Mapping[tuple[str, str], CriterionResult],
    wanted: Iterable[tuple[str, str]],
) -> tuple[dict[tuple[str, str], CriterionResult], list[str]]:
    """``results`` plus, for each wanted (service, criterion) this run did not run, the last full run's
    result marked ``from_history`` (so a ``-k`` rerun shows real levels; the gate still fails)."""
    merged = dict(results)
    missing = {key for key in wanted if key not in merged}
    if not missing:
        return merged, []
    evaluated = str(previous.get("evaluated_at") or "unknown time")
    bad = 0
    for raw in previous.get("results") or []:
        try:
            key = (str(raw["service"]), str(raw["criterion"]))
            if key not in missing:
                continue
            old = CriterionResult.from_dict(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            bad += 1
            continue
        old.from_history = evaluated
        merged[key] = old
        missing.discard(key)
    warnings = [f"history: {bad} unreadable result(s) in the run of {evaluated} were not carried over"] if bad else []
    return merged, warnings
