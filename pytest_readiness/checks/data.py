"""Data criteria: backup/restore drills, idempotent (key-unique) outputs, one source of truth per
dataset, and retention that actually holds (sizes, ages, file counts, container log rotation).

``data.restart-idempotency`` is a drill (``--readiness-drills``): it restarts the row's containers through
``pytest_readiness.live.drills`` and reads the keyed outputs before and after."""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..compose import ComposeService
from ..context import Service
from ..errors import InputError
from ..images import kind_of_image
from ..live import DrillLockTimeout, DrillResult, Unobservable, drill_containers, missing_container
from ..results import CriterionFailed, CriterionOutcome, Evidence, Scope, Verdict
from ..units import after_evaluation, format_age, parse_duration, parse_size, parse_timestamp
from .common import add_key, fixes, has_own_code, join_reasons
from .qa import report_fix, report_gaps

CAPPED_DRIVERS = frozenset(
    {
        "local",
        "journald",
        "syslog",
        "fluentd",
        "gelf",
        "awslogs",
        "splunk",
        "gcplogs",
        "etwlogs",
        "logentries",
        "loki",
        "none",
    }
)

TIMESTAMP_FIELDS = (
    "ts",
    "timestamp",
    "@timestamp",
    "time",
    "generated_at",
    "created_at",
    "recorded_at",
    "event_time",
    "written_at",
    "at",
)


@dataclass(frozen=True)
class Output:
    """One declared output of a row, with where services.yaml declares it."""

    index: int
    dataset: str
    rel: str
    path: Path
    fmt: str
    key: str | None
    retention: dict[str, Any] | None
    where: str


def outputs(service: Service) -> list[Output]:
    out = []
    for i, raw in enumerate(service.spec.raw.get("outputs") or []):
        path = service.path(str(raw["path"]))
        fmt = str(raw.get("format") or ("dir" if service.artifacts.is_dir(path) else path.suffix.lstrip(".") or "file"))
        out.append(
            Output(
                index=i,
                dataset=str(raw["dataset"]),
                rel=str(raw["path"]),
                path=path,
                fmt=fmt,
                key=raw.get("key"),
                retention=raw.get("retention"),
                where=service.config.where(("services", service.spec.index, "outputs", i)),
            )
        )
    return out


@dataclass(frozen=True)
class Record:
    """One record of an output: where it is (``path:LINE`` or a file) and its fields."""

    where: str
    data: Any


def read_records(service: Service, output: Output) -> Iterator[Record]:
    """Records of an output (jsonl lines, a JSON list, CSV rows, or one JSON file per record in a dir),
    streamed through the artifacts door. Raises InputError naming the file and line of the first
    unreadable record."""
    path, fmt = output.path, output.fmt
    door = service.artifacts
    shown = service.show(path)
    if not door.exists(path):
        raise InputError(shown, None, "does not exist")
    if fmt == "dir":
        for child in door.files_under(path, (".json", ".jsonl")):
            doc = door.json(child)
            yield Record(doc.shown, doc.data)
    elif fmt == "jsonl":
        with door.open_text(path) as fh:
            for no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    yield Record(f"{shown}:{no}", json.loads(line))
                except (ValueError, RecursionError) as exc:
                    raise InputError(shown, no, f"not valid JSON: {getattr(exc, 'msg', str(exc))[:120]}") from None
    elif fmt == "json":
        data = door.json(path).data
        if not isinstance(data, list):
            raise InputError(shown, 1, "a json output must hold a list of records")
        for i, item in enumerate(data):
            yield Record(f"{shown} record #{i + 1}", item)
    elif fmt == "csv":
        with door.open_text(path) as fh:
            try:
                reader = csv.DictReader(fh)
                for row in reader:
                    yield Record(f"{shown}:{reader.line_num}", row)
            except csv.Error as exc:
                raise InputError(shown, None, f"not valid CSV: {exc}") from None
    else:
        raise InputError(shown, None, f"format {fmt!r} has no records; use jsonl, json, csv or dir")


def datastore_state(service: Service) -> str | None:
    """Where the row keeps its state when it is a datastore's client, not a file writer (None if not)."""
    try:
        containers = service.compose_services
    except (InputError, CriterionOutcome):
        return None
    project = service.stack.compose
    if project is None:
        return None
    rows = {n: spec.kind for spec in service.config.services for n in spec.compose_services}
    for container in containers:
        for name in container.depends_on:
            other = project.services.get(name)
            known = kind_of_image(other.image) if other is not None and other.image else None
            kind = rows.get(name) or (known[0] if known else None)
            if kind == "datastore":
                return f"depends on datastore {name} ({container.where('depends_on', name)})"
        for var, value in container.environment.items():
            if value and re.match(
                r"^(postgres(ql)?|mysql|mariadb|mongodb(\+srv)?|redis|rediss|amqp|clickhouse)://", value
            ):
                where = container.env_location(var) or container.where("environment")
                return f"{var} points at a datastore ({where})"
    return None


# --------------------------------------------------------------------------------------------------
# data.backup-restore
# --------------------------------------------------------------------------------------------------


def backup_restore(service: Service) -> Verdict:
    """A stateful row has a backup/restore drill report that passed and is within its cadence."""
    if not service.spec.stateful:
        return Verdict.not_applicable(f"{service.kind} row holds no state of its own (not stateful)")
    spec = service.report_spec("backup_drill")
    if spec is None:
        return Verdict.failed(
            f"stateful {service.name} declares no backup_drill report; run a backup/restore "
            "drill and declare its report",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=f"{service.spec.where}: run a backup + restore drill that writes a report, and add  backup_drill: "
            f"{{path: reports/{service.name}/backup_drill_latest.json, max_age: 7d, timestamp: finished_at, "
            "status: {field: status, pass: [pass]}}",
        )
    reading, gaps, evidence = report_gaps(service, spec, "backup drill")
    if gaps:
        return Verdict.failed("; ".join(gaps), *evidence, fix=report_fix(reading, gaps, "backup/restore drill"))
    return Verdict.passed(
        f"backup drill {reading.shown} passed ({spec.status_field}={reading.status!r}) "
        f"within its cadence ({reading.freshness_text()})",
        *evidence,
    )


# --------------------------------------------------------------------------------------------------
# data.idempotent-writes
# --------------------------------------------------------------------------------------------------


def _key_text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class KeyScan:
    """One keyed output read through: how many records, which keys repeat (where), which records lack one."""

    count: int = 0
    dups: dict[str, list[str]] = field(default_factory=dict)  # key (as JSON) -> every place it appears
    lacking: list[str] = field(default_factory=list)


def scan_keys(service: Service, out: Output) -> KeyScan:
    """Count the records of a keyed output and find its repeated keys; InputError when unreadable."""
    key = str(out.key)
    seen: dict[str, list[str]] = {}
    scan = KeyScan()
    for rec in read_records(service, out):
        scan.count += 1
        value = rec.data.get(key) if isinstance(rec.data, dict) else None
        if value is None or value == "":
            scan.lacking.append(rec.where)
        else:
            seen.setdefault(json.dumps(value, sort_keys=True), []).append(rec.where)
    scan.dups = {k: w for k, w in seen.items() if len(w) > 1}
    return scan


def _first_line(service: Service, out: Output) -> str:
    shown = service.show(out.path)
    return f"{shown}:1" if out.fmt in ("jsonl", "csv") else shown


def idempotent_writes(service: Service) -> Verdict:
    """Every keyed output holds each key once: a repeated key is a write that was replayed."""
    outs = outputs(service)
    keyed = [o for o in outs if o.key]
    if not keyed:
        if not outs and (state := datastore_state(service)):
            return Verdict.not_applicable(
                f"{service.name} keeps its state in a datastore: {state}; file outputs do not apply"
            )
        if has_own_code(service) or service.kind == "bot":
            what = "declares no outputs" if not outs else "declares no output with a key"
            return Verdict.failed(
                f"{service.name} writes data but {what}; declare outputs with a key field so "
                "duplicate writes can be detected",
                Evidence(service.spec.where, "services.yaml entry"),
                fix=f"{service.spec.where}: add  "
                "outputs: [{dataset: NAME, path: PATH, format: jsonl, key: ID_FIELD}]",
            )
        return Verdict.not_applicable(f"{service.kind} row declares no keyed outputs")
    gaps: list[str] = []
    evidence: list[Evidence] = []
    for out in keyed:
        key = str(out.key)
        try:
            scan = scan_keys(service, out)
        except InputError as exc:
            gaps.append(f"{out.dataset}: {exc}")
            evidence.append(Evidence(out.where, f"output {out.dataset}"))
            continue
        dups, lacking, count = scan.dups, scan.lacking, scan.count
        shown = service.show(out.path)
        if dups:
            first_key, first_where = next(iter(dups.items()))
            extra = sum(len(w) - 1 for w in dups.values())
            gaps.append(
                f"{shown}: {len(dups)} {key} value(s) written more than once ({extra} extra record(s)); "
                f"first {key}={_key_text(json.loads(first_key))} at {', '.join(first_where)}"
            )
            evidence += [
                Evidence(w[1], f"duplicate {key}={_key_text(json.loads(k))} (first at {w[0]})") for k, w in dups.items()
            ]
        if lacking:
            gaps.append(f"{shown}: {len(lacking)} record(s) lack the key {key!r} (first at {lacking[0]})")
            evidence += [Evidence(w, f"no {key}") for w in lacking[:20]]
        if not dups and not lacking:
            evidence.append(Evidence(_first_line(service, out), f"{count} records, every {key} unique"))
        if count == 0:
            evidence.append(Evidence(shown, "no records yet"))
    if gaps:
        return Verdict.failed(
            f"non-idempotent writes: {'; '.join(gaps)}",
            *evidence,
            fix=f"{keyed[0].where}: write each record once per {keyed[0].key} (upsert or skip a key "
            "already written) so a restart does not replay writes",
        )
    return Verdict.passed(f"{len(keyed)} keyed output(s) of {service.name} hold no duplicate key", *evidence)


# --------------------------------------------------------------------------------------------------
# data.restart-idempotency (L3, a drill: --readiness-drills)
# --------------------------------------------------------------------------------------------------

WRITE_WAIT_S = 30.0  # after the restart, how long to wait for the service to write again
WRITE_POLL_S = 0.5


def _fingerprint(service: Service, out: Output) -> tuple[int, int, int]:
    """(files, bytes, newest mtime) of an output: changes when the service writes to it."""
    sizes: list[int] = []
    newest = 0
    for path in _files(service, out):
        try:
            st = path.stat()
        except OSError:
            continue
        sizes.append(st.st_size)
        newest = max(newest, st.st_mtime_ns)
    return len(sizes), sum(sizes), newest


def _wait_for_writes(service: Service, outs: list[Output], wait_s: float) -> dict[int, bool]:
    """Which outputs (by index) changed within ``wait_s`` (stops as soon as every one did)."""
    marks = {o.index: _fingerprint(service, o) for o in outs}
    deadline = time.monotonic() + wait_s
    while True:
        changed = {o.index: _fingerprint(service, o) != marks[o.index] for o in outs}
        if all(changed.values()) or time.monotonic() >= deadline:
            return changed
        time.sleep(WRITE_POLL_S)


def restart_idempotency(service: Service) -> Verdict:
    """data.restart-idempotency (drill): count the records and repeated keys of each keyed output, restart
    the row's containers, wait until healthy and until the service wrote again (bounded), and show that no
    key appears twice afterwards: a restart must not replay writes (no duplicate amplification)."""
    keyed = [o for o in outputs(service) if o.key]
    if not keyed:
        return Verdict.not_applicable(f"{service.kind} row declares no keyed outputs")
    if service.kind == "gate" or not service.spec.compose_services:
        return Verdict.not_applicable(f"{service.name} has no containers to restart")
    found = drill_containers(service)
    if isinstance(found, Verdict):
        return found
    missing = [missing_container(service, name) for name, containers in found.items() if not containers]
    if missing:
        return Verdict.failed(
            f"{missing[0].detail}: the restart drill needs every container of the row (no drill was run)",
            *missing,
            scope=Scope.LIVE,
        )
    runner = service.stack.live.drill_runner()
    if isinstance(runner, Unobservable):
        return Verdict.not_observed(f"drill not run: {runner.reason}")
    try:
        with runner.locked(f"data.restart-idempotency of {service.name}"):
            try:
                before = {o.index: scan_keys(service, o) for o in keyed}
            except InputError as exc:
                return Verdict.failed(f"{exc} (no drill was run)", Evidence(exc.path, exc.message))
            drilled = [runner.restart_drill(c) for containers in found.values() for c in containers]
            broken = [r for r in drilled if r.restore_error or r.problem or not r.healthy]
            wrote = {} if broken else _wait_for_writes(service, keyed, WRITE_WAIT_S)
            try:
                after = {o.index: scan_keys(service, o) for o in keyed}
            except InputError as exc:
                return Verdict.failed(f"after the restart: {exc}", Evidence(exc.path, exc.message), scope=Scope.LIVE)
    except DrillLockTimeout as exc:
        return Verdict.error(str(exc), Evidence(service.spec.where, "data.restart-idempotency: no drill was run"))
    return _judge_restart(service, keyed, drilled, before, after, wrote)


def _judge_restart(
    service: Service,
    keyed: list[Output],
    drilled: list[DrillResult],
    before: dict[int, KeyScan],
    after: dict[int, KeyScan],
    wrote: dict[int, bool],
) -> Verdict:
    drill_ev = [
        Evidence(r.location, f"{'NOT RESTORED: ' + r.restore_error + '; ' if r.restore_error else ''}{r.timing_text()}")
        for r in drilled
    ]
    errors = [r.restore_error for r in drilled if r.restore_error]
    if errors:
        return Verdict.error(
            "; ".join(errors) + "; the stack is left disturbed: bring it back (docker compose up -d)", *drill_ev
        )
    broken = [r for r in drilled if r.problem or not r.healthy]
    if broken:
        why = "; ".join(f"{r.location}: {r.problem or 'not healthy again'}" for r in broken[:2])
        return Verdict.failed(
            f"the restart drill did not bring the row back healthy: {why}", *drill_ev, scope=Scope.LIVE
        )
    bad: list[Evidence] = []
    good: list[Evidence] = []
    silent: list[str] = []
    for out in keyed:
        key, b, a = str(out.key), before[out.index], after[out.index]
        counts = (
            f"before the restart {b.count} records, {len(b.dups)} repeated {key}; "
            f"after {a.count} records ({a.count - b.count:+d}), {len(a.dups)} repeated {key}"
        )
        new = {k: w for k, w in a.dups.items() if k not in b.dups or len(w) > len(b.dups[k])}
        if new:
            k, where = next(iter(new.items()))
            bad.append(
                Evidence(
                    where[-1],
                    f"duplicate amplification: {len(new)} {key} value(s) written again after the restart, first "
                    f"{key}={_key_text(json.loads(k))} at {', '.join(where)}; {counts}",
                )
            )
        elif a.dups:
            bad.append(Evidence(_first_line(service, out), f"repeated {key} already before the restart; {counts}"))
        elif not wrote.get(out.index):
            silent.append(out.dataset)
            good.append(Evidence(_first_line(service, out), f"not written within {WRITE_WAIT_S:g}s; {counts}"))
        else:
            good.append(Evidence(_first_line(service, out), f"written again, every {key} unique; {counts}"))
    if bad:
        reasons = [f"{e.location}: {e.detail}" for e in bad]
        return Verdict.failed(join_reasons(reasons, 2), *bad, *good, *drill_ev, scope=Scope.LIVE)
    if silent:
        return Verdict.not_observed(
            f"the restart drill ran and restored the row, but {', '.join(silent)} got no new record within "
            f"{WRITE_WAIT_S:g}s after it was healthy again: no re-write observed",
            *good,
            *drill_ev,
        )
    return Verdict.passed(
        f"no duplicate amplification: after restarting {len(drilled)} container(s), "
        f"{len(keyed)} keyed output(s) were written again and every key is still unique",
        *good,
        *drill_ev,
        scope=Scope.LIVE,
    )


# --------------------------------------------------------------------------------------------------
# data.source-of-truth
# --------------------------------------------------------------------------------------------------


def source_of_truth(service: Service) -> Verdict:
    """Each output is declared, claimed by this row alone (dataset name and path), and exists."""
    outs = outputs(service)
    if not outs:
        if state := datastore_state(service):
            return Verdict.not_applicable(
                f"{service.name} keeps its state in a datastore: {state}; file outputs do not apply"
            )
        if has_own_code(service) or service.kind == "bot":
            return Verdict.failed(
                f"{service.name} writes data but declares no outputs; declare each dataset "
                "and its path (the source of truth)",
                Evidence(service.spec.where, "services.yaml entry"),
                fix=f"{service.spec.where}: add  outputs: [{{dataset: NAME, path: PATH}}]  for each dataset it writes",
            )
        return Verdict.not_applicable(f"{service.kind} row declares no outputs")
    claims_ds: dict[str, list[str]] = {}
    claims_path: dict[Path, list[str]] = {}
    for other in service.config.services:
        for raw in other.raw.get("outputs") or []:
            claims_ds.setdefault(str(raw["dataset"]), []).append(other.name)
            claims_path.setdefault(service.config.resolve(str(raw["path"])), []).append(other.name)
    gaps: list[str] = []
    evidence: list[Evidence] = []
    for out in outs:
        shown = service.show(out.path)
        others = sorted({n for n in claims_ds.get(out.dataset, []) if n != service.name})
        if others or claims_ds.get(out.dataset, []).count(service.name) > 1:
            also = ", ".join(others) or "itself twice"
            gaps.append(f"dataset {out.dataset!r} is claimed by {service.name} and {also}")
        others_p = sorted({n for n in claims_path.get(out.path, []) if n != service.name})
        if others_p or claims_path.get(out.path, []).count(service.name) > 1:
            gaps.append(f"path {shown} is claimed by {service.name} and {', '.join(others_p) or 'itself twice'}")
        exists = service.artifacts.exists(out.path)
        if not exists:
            gaps.append(f"{out.dataset}: {shown} does not exist")
        evidence.append(Evidence(out.where, f"dataset {out.dataset} -> {shown}" + ("" if exists else " (missing)")))
    if gaps:
        return Verdict.failed(
            "; ".join(gaps), *evidence, fix=f"{outs[0].where}: give each dataset one owning row and a path that exists"
        )
    return Verdict.passed(
        f"{len(outs)} output(s) declared, each the single source of its dataset, and present: "
        f"{', '.join(o.dataset for o in outs)}",
        *evidence,
    )


# --------------------------------------------------------------------------------------------------
# data.retention
# --------------------------------------------------------------------------------------------------


def _size(service: Service, path: Path) -> int:
    door = service.artifacts
    if door.is_dir(path):
        return sum(_stat_size(service, p) for p in door.files_under(path))
    return _stat_size(service, path)


def _stat_size(service: Service, path: Path) -> int:
    try:
        return path.stat().st_size if service.artifacts.inside(path) else 0
    except OSError:
        return 0


def _files(service: Service, out: Output) -> list[Path]:
    door = service.artifacts
    if door.is_dir(out.path):
        return door.files_under(out.path)
    rotated = [p for p in door.glob(out.path.name + ".*", out.path.parent)]
    return [out.path, *rotated] if door.exists(out.path) else rotated


def _record_time(data: Any) -> datetime | None:
    if not isinstance(data, dict):
        return None
    for name in TIMESTAMP_FIELDS:
        if name in data:
            try:
                return parse_timestamp(data[name])
            except ValueError:
                continue
    return None


def _oldest(service: Service, out: Output) -> tuple[datetime, str] | None:
    """The oldest record's time (from a timestamp field), else the oldest file's mtime."""
    times: list[datetime] = []
    try:
        for rec in read_records(service, out):
            t = _record_time(rec.data)
            if t is not None:
                times.append(t)
    except InputError:
        times = []
    if times:
        return min(times), "oldest record's timestamp"
    files = _files(service, out)
    if not files:
        return None
    oldest = min(p.stat().st_mtime for p in files)
    return datetime.fromtimestamp(oldest).astimezone(), "oldest file mtime"


def _output_retention_gaps(service: Service, out: Output) -> tuple[list[str], list[Evidence]]:
    shown = service.show(out.path)
    if not out.retention:
        return (
            [
                f"{out.dataset} ({shown}) has no retention policy ({out.where}); declare retention: "
                "{max_size, max_age, max_files}"
            ],
            [Evidence(out.where, f"{out.dataset}: no retention")],
        )
    where = service.config.where(("services", service.spec.index, "outputs", out.index, "retention"))
    if not service.artifacts.exists(out.path):
        return [f"{out.dataset}: {shown} does not exist"], [Evidence(where, "retention")]
    gaps: list[str] = []
    held: list[str] = []
    ret = out.retention
    if "max_size" in ret:
        limit = parse_size(ret["max_size"])
        size = _size(service, out.path)
        (held if size <= limit else gaps).append(
            f"size {size} B {'<=' if size <= limit else '>'} max_size {ret['max_size']}"
        )
    if "max_age" in ret:
        max_age = parse_duration(ret["max_age"])
        oldest = _oldest(service, out)
        if oldest is None:
            gaps.append(f"{shown}: no record or file to date")
        else:
            when, source = oldest
            if after_evaluation(when, service.now):
                gaps.append(f"{source} {when.isoformat()} is after the evaluation time; cannot date the data")
            else:
                age = max(service.now - when, timedelta(0))
                ok = age <= max_age
                (held if ok else gaps).append(
                    f"{source} is {format_age(age)} old {'<=' if ok else '>'} max_age {ret['max_age']}"
                )
    if "max_files" in ret:
        n = len(_files(service, out))
        ok = n <= int(ret["max_files"])
        (held if ok else gaps).append(f"{n} file(s) {'<=' if ok else '>'} max_files {ret['max_files']}")
    detail = "; ".join(held + gaps)
    if gaps:
        return [f"{out.dataset} ({shown}) breaks its retention: {'; '.join(gaps)}"], [Evidence(where, detail)]
    return [], [Evidence(where, f"{out.dataset}: {detail}")]


def _container_gaps(containers: list[ComposeService]) -> tuple[list[str], list[Evidence], list[str]]:
    """Container logs: capped (json-file with max-size, or a driver that rotates or ships them) or not."""
    gaps: list[str] = []
    evidence: list[Evidence] = []
    todo: list[str] = []
    for c in containers:
        size = c.logging_options.get("max-size")
        driver = c.logging_driver or "json-file (Docker's default)"
        if size and (c.logging_driver or "json-file") in ("json-file", "local"):
            evidence.append(
                Evidence(c.where("logging", "options", "max-size"), f"container {c.name}: logging max-size {size}")
            )
        elif c.logging_driver in CAPPED_DRIVERS:
            evidence.append(
                Evidence(
                    c.where("logging", "driver"),
                    f"container {c.name}: logging driver {c.logging_driver} (rotated or shipped by the driver)",
                )
            )
        else:
            gaps.append(
                f"container {c.name} logs with {driver} and no max-size, so its log grows without bound "
                f"({c.where('logging')})"
            )
            evidence.append(Evidence(c.where("logging"), f"container {c.name}: no logging max-size"))
            if "logging" in c.written:
                todo.append(f"{c.where('logging')}: under logging set  options: {{max-size: 10m, max-file: '3'}}")
            else:
                todo.append(add_key(c, "logging: {driver: json-file, options: {max-size: 10m, max-file: '3'}}"))
    return gaps, evidence, todo


def retention(service: Service) -> Verdict:
    """Every output has a retention policy that holds, and every container caps its log size."""
    outs = outputs(service)
    if not outs and not service.spec.compose_services:
        return Verdict.not_applicable(f"{service.kind} row has no outputs and no containers")
    gaps: list[str] = []
    evidence: list[Evidence] = []
    todo: list[str] = []
    for out in outs:
        g, e = _output_retention_gaps(service, out)
        gaps += g
        evidence += e
        if g:
            todo.append(
                f"{out.where}: "
                + (
                    "add  retention: {max_size: 100MB, max_age: 30d}"
                    if not out.retention
                    else "rotate or prune the output so it stays within its retention"
                )
            )
    try:
        containers = service.compose_services
    except CriterionFailed as exc:
        return Verdict.failed(exc.reason, *service.evidence, *evidence, fix=f"{service.spec.where}: {exc.reason}")
    except InputError as exc:
        where = exc.path if exc.line is None else f"{exc.path}:{exc.line}"
        return Verdict.failed(str(exc), Evidence(where, "compose file"), *evidence, fix=f"{where}: {exc.message}")
    g, e, t = _container_gaps(containers)
    gaps += g
    evidence += e
    todo += t
    if gaps:
        return Verdict.failed(f"retention: {'; '.join(gaps)}", *evidence, fix=fixes(todo))
    parts = []
    if outs:
        parts.append(f"{len(outs)} output(s) within their retention")
    if containers:
        parts.append(f"{len(containers)} container(s) cap log size")
    return Verdict.passed(" and ".join(parts), *evidence)
