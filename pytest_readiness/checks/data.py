"""Data criteria: backup/restore drills, idempotent (key-unique) outputs, one source of truth per
dataset, and retention that actually holds (sizes, ages, file counts, container log rotation)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..compose import ComposeService
from ..context import Service
from ..errors import InputError
from ..results import CriterionFailed, Evidence, Verdict
from ..units import after_evaluation, format_age, parse_duration, parse_size, parse_timestamp
from .qa import has_own_code, report_gaps

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
        fmt = str(raw.get("format") or ("dir" if path.is_dir() else path.suffix.lstrip(".") or "file"))
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
    """Records of an output (jsonl lines, a JSON list, CSV rows, or one JSON file per record in a dir).

    Raises InputError naming the file and line of the first unreadable record.
    """
    path, fmt = output.path, output.fmt
    shown = service.show(path)
    if not path.exists():
        raise InputError(shown, None, "does not exist")
    try:
        if fmt == "dir":
            for child in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl")):
                cshown = service.show(child)
                try:
                    yield Record(cshown, json.loads(child.read_text(encoding="utf-8")))
                except json.JSONDecodeError as exc:
                    raise InputError(cshown, exc.lineno, f"not valid JSON: {exc.msg}") from None
        elif fmt == "jsonl":
            with path.open(encoding="utf-8") as fh:
                for no, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        yield Record(f"{shown}:{no}", json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(shown, no, f"not valid JSON: {exc.msg}") from None
        elif fmt == "json":
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise InputError(shown, exc.lineno, f"not valid JSON: {exc.msg}") from None
            if not isinstance(data, list):
                raise InputError(shown, 1, "a json output must hold a list of records")
            for i, item in enumerate(data):
                yield Record(f"{shown} record #{i + 1}", item)
        elif fmt == "csv":
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                for row in reader:
                    yield Record(f"{shown}:{reader.line_num}", row)
        else:
            raise InputError(shown, None, f"format {fmt!r} has no records; use jsonl, json, csv or dir")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(shown, None, f"unreadable: {exc}") from None


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
        )
    reading, gaps, evidence = report_gaps(service, spec, "backup drill")
    if gaps:
        return Verdict.failed("; ".join(gaps), *evidence)
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


def idempotent_writes(service: Service) -> Verdict:
    """Every keyed output holds each key once: a repeated key is a write that was replayed."""
    outs = outputs(service)
    keyed = [o for o in outs if o.key]
    if not keyed:
        if has_own_code(service) or service.kind == "bot":
            what = "declares no outputs" if not outs else "declares no output with a key"
            return Verdict.failed(
                f"{service.name} writes data but {what}; declare outputs with a key field so "
                "duplicate writes can be detected",
                Evidence(service.spec.where, "services.yaml entry"),
            )
        return Verdict.not_applicable(f"{service.kind} row declares no keyed outputs")
    gaps: list[str] = []
    evidence: list[Evidence] = []
    for out in keyed:
        key = str(out.key)
        seen: dict[str, list[str]] = {}
        lacking: list[str] = []
        count = 0
        try:
            for rec in read_records(service, out):
                count += 1
                value = rec.data.get(key) if isinstance(rec.data, dict) else None
                if value is None or value == "":
                    lacking.append(rec.where)
                else:
                    seen.setdefault(json.dumps(value, sort_keys=True), []).append(rec.where)
        except InputError as exc:
            gaps.append(f"{out.dataset}: {exc}")
            evidence.append(Evidence(out.where, f"output {out.dataset}"))
            continue
        dups = {k: w for k, w in seen.items() if len(w) > 1}
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
            evidence.append(
                Evidence(f"{shown}:1" if out.fmt in ("jsonl", "csv") else shown, f"{count} records, every {key} unique")
            )
        if count == 0:
            evidence.append(Evidence(shown, "no records yet"))
    if gaps:
        return Verdict.failed(f"non-idempotent writes: {'; '.join(gaps)}", *evidence)
    return Verdict.passed(f"{len(keyed)} keyed output(s) of {service.name} hold no duplicate key", *evidence)


# --------------------------------------------------------------------------------------------------
# data.source-of-truth
# --------------------------------------------------------------------------------------------------


def source_of_truth(service: Service) -> Verdict:
    """Each output is declared, claimed by this row alone (dataset name and path), and exists."""
    outs = outputs(service)
    if not outs:
        if has_own_code(service) or service.kind == "bot":
            return Verdict.failed(
                f"{service.name} writes data but declares no outputs; declare each dataset "
                "and its path (the source of truth)",
                Evidence(service.spec.where, "services.yaml entry"),
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
        exists = out.path.exists()
        if not exists:
            gaps.append(f"{out.dataset}: {shown} does not exist")
        evidence.append(Evidence(out.where, f"dataset {out.dataset} -> {shown}" + ("" if exists else " (missing)")))
    if gaps:
        return Verdict.failed("; ".join(gaps), *evidence)
    return Verdict.passed(
        f"{len(outs)} output(s) declared, each the single source of its dataset, and present: "
        f"{', '.join(o.dataset for o in outs)}",
        *evidence,
    )


# --------------------------------------------------------------------------------------------------
# data.retention
# --------------------------------------------------------------------------------------------------


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _files(out: Output) -> list[Path]:
    if out.path.is_dir():
        return [p for p in out.path.rglob("*") if p.is_file()]
    rotated = [p for p in out.path.parent.glob(out.path.name + ".*") if p.is_file()]
    return [out.path, *rotated] if out.path.exists() else rotated


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
    files = _files(out)
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
    if not out.path.exists():
        return [f"{out.dataset}: {shown} does not exist"], [Evidence(where, "retention")]
    gaps: list[str] = []
    held: list[str] = []
    ret = out.retention
    if "max_size" in ret:
        limit = parse_size(ret["max_size"])
        size = _size(out.path)
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
        n = len(_files(out))
        ok = n <= int(ret["max_files"])
        (held if ok else gaps).append(f"{n} file(s) {'<=' if ok else '>'} max_files {ret['max_files']}")
    detail = "; ".join(held + gaps)
    if gaps:
        return [f"{out.dataset} ({shown}) breaks its retention: {'; '.join(gaps)}"], [Evidence(where, detail)]
    return [], [Evidence(where, f"{out.dataset}: {detail}")]


def _container_gaps(containers: list[ComposeService]) -> tuple[list[str], list[Evidence]]:
    gaps: list[str] = []
    evidence: list[Evidence] = []
    for c in containers:
        size = c.logging_options.get("max-size")
        if size:
            evidence.append(
                Evidence(c.where("logging", "options", "max-size"), f"container {c.name}: logging max-size {size}")
            )
        elif c.logging_driver in ("none",):
            evidence.append(Evidence(c.where("logging", "driver"), f"container {c.name}: logging driver none"))
        else:
            gaps.append(f"container {c.name} sets no logging max-size ({c.where('logging')})")
            evidence.append(Evidence(c.where("logging"), f"container {c.name}: no logging max-size"))
    return gaps, evidence


def retention(service: Service) -> Verdict:
    """Every output has a retention policy that holds, and every container caps its log size."""
    outs = outputs(service)
    if not outs and not service.spec.compose_services:
        return Verdict.not_applicable(f"{service.kind} row has no outputs and no containers")
    gaps: list[str] = []
    evidence: list[Evidence] = []
    for out in outs:
        g, e = _output_retention_gaps(service, out)
        gaps += g
        evidence += e
    try:
        containers = service.compose_services
    except CriterionFailed as exc:
        return Verdict.failed(exc.reason, *service.evidence, *evidence)
    except InputError as exc:
        return Verdict.failed(
            str(exc), Evidence(exc.path if exc.line is None else f"{exc.path}:{exc.line}", "compose file"), *evidence
        )
    g, e = _container_gaps(containers)
    gaps += g
    evidence += e
    if gaps:
        return Verdict.failed(f"retention: {'; '.join(gaps)}", *evidence)
    parts = []
    if outs:
        parts.append(f"{len(outs)} output(s) within their retention")
    if containers:
        parts.append(f"{len(containers)} container(s) cap log size")
    return Verdict.passed(" and ".join(parts), *evidence)
