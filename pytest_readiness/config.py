"""services.yaml: loaded with line numbers, validated against the shipped JSON Schema, typed."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .artifacts import KeyPath, MarkedDocument, YamlProblem, dotted, parse_yaml
from .errors import ConfigError
from .units import parse_duration

MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_SHOWN_VALUE = 80

STATEFUL_KINDS = frozenset({"datastore"})


@cache
def services_schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (also the reference for users' editors)."""
    text = resources.files("pytest_readiness").joinpath("schema/services.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True)
class ReportSpec:
    """Where a JSON report is and how to judge it: age from its own timestamp, pass from a status field."""

    path: str
    where: str
    max_age: timedelta | None = None
    timestamp: str | None = None
    status_field: str | None = None
    status_pass: tuple[object, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: dict[str, Any], where: str) -> ReportSpec:
        status = raw.get("status") or {}
        return cls(
            path=raw["path"],
            where=where,
            max_age=parse_duration(raw["max_age"]) if "max_age" in raw else None,
            timestamp=raw.get("timestamp"),
            status_field=status.get("field"),
            status_pass=tuple(status.get("pass", ())),
            extra={k: v for k, v in raw.items() if k not in {"path", "max_age", "timestamp", "status"}},
        )


@dataclass(frozen=True)
class ServiceSpec:
    """One scorecard row as declared; ``raw`` keeps every field for criteria to read."""

    name: str
    kind: str
    target: str
    owner: str
    title: str
    compose_services: tuple[str, ...]
    index: int
    where: str
    raw: dict[str, Any]

    @property
    def stateful(self) -> bool:
        return bool(self.raw.get("stateful", self.kind in STATEFUL_KINDS))

    def paths(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key) or ()
        return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class SloSpec:
    """A row of the SLO and alert ownership matrix."""

    domain: str
    service: str
    evidence: ReportSpec
    objective: str
    alert: str | None
    trigger: str
    owner: str | None
    where: str


@dataclass(frozen=True)
class Waiver:
    """A known gap accepted until ``expires`` (inclusive); an expired waiver no longer counts."""

    service: str
    criterion: str
    reason: str
    owner: str
    expires: date
    where: str


@dataclass(frozen=True)
class StackConfig:
    """The whole of services.yaml, with paths resolved and every entry's file:line remembered."""

    path: Path
    name: str
    root: Path
    stack: dict[str, Any]
    services: tuple[ServiceSpec, ...]
    slos: tuple[SloSpec, ...]
    waivers: tuple[Waiver, ...]
    level_overrides: dict[str, str]
    document: MarkedDocument

    @property
    def default_owner(self) -> str:
        return str(self.stack.get("default_owner", ""))

    def stack_paths(self, key: str) -> tuple[str, ...]:
        value = self.stack.get(key) or ()
        return (value,) if isinstance(value, str) else tuple(value)

    def resolve(self, rel: str) -> Path:
        """A path from services.yaml, relative to the stack root."""
        return (self.root / rel).resolve() if not os.path.isabs(rel) else Path(rel)

    def show(self, path: Path | str) -> str:
        return display_path(path)

    def where(self, keys: KeyPath) -> str:
        return f"{self.show(self.path)}:{self.document.line_of(keys)}"

    def service(self, name: str) -> ServiceSpec:
        for spec in self.services:
            if spec.name == name:
                return spec
        raise KeyError(name)


def display_path(path: Path | str) -> str:
    """How a path is printed: relative to the current directory when below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _shown(value: object) -> str:
    """A bad value as shown in a one-line error: never the whole of a huge or multi-line value."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 1] + "…"


def _schema_error_line(doc: MarkedDocument, error: jsonschema.ValidationError) -> tuple[int, str, str]:
    keys: KeyPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number"}
    message = error.message if len(repr(error.instance)) <= MAX_SHOWN_VALUE else f"{_shown(error.instance)} is invalid"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed)
        if extra:
            keys = (*keys, extra[0])
            message = f"unknown field {_shown(extra[0])} (allowed: {', '.join(sorted(allowed))})"
    elif error.validator == "type":
        wanted = error.validator_value
        names = [kind.get(str(w), str(w)) for w in (wanted if isinstance(wanted, list) else [wanted])]
        message = f"{_shown(error.instance)} is not {' or '.join(names)}"
    elif error.validator == "maxLength":
        message = f"is {len(str(error.instance))} characters long; at most {error.validator_value}"
    elif error.validator == "x-stack-path":
        message = str(error.message)
    elif error.validator == "enum":
        message = f"{_shown(error.instance)} is not one of {', '.join(str(v) for v in schema.get('enum', []))}"
    elif error.validator == "required":
        message = f"{message}; add it"
    elif error.validator == "pattern" and "ms|s|m|h|d|w" in json.dumps(schema):
        message = f"{_shown(error.instance)} is not a duration; write e.g. 10m, 1h30m, 7d"
    elif error.validator == "pattern":
        message = f"{_shown(error.instance)} does not match {error.validator_value}"
    return doc.line_of(keys), dotted(keys) or "(top level)", message


def _best_errors(errors: list[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """Report the deepest, most specific errors first (one per location)."""
    seen: set[KeyPath] = set()
    out = []
    for err in sorted(errors, key=lambda e: (-len(e.absolute_path), e.path)):
        leaf = jsonschema.exceptions.best_match([err, *err.context]) if err.context else err
        key = tuple(leaf.absolute_path)
        if key not in seen:
            seen.add(key)
            out.append(leaf)
    return sorted(out, key=lambda e: tuple(str(k) for k in e.absolute_path))


def _read_document(path: Path, shown: str) -> MarkedDocument:
    """services.yaml as bounded YAML: a regular file under the size cap, UTF-8, no duplicate keys."""
    import stat as stat_module

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(
            shown, None, "file not found; write one (python -m pytest_readiness init) or pass --readiness-config=PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(shown, None, f"cannot be read: {exc.strerror}") from None
    if not stat_module.S_ISREG(st.st_mode):
        raise ConfigError(shown, None, "is not a regular file; point --readiness-config at a YAML file")
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(shown, None, f"is {st.st_size // 1024} KiB; a services.yaml is at most 4 MiB")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(shown, line, "is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(shown, None, f"cannot be read: {exc.strerror}") from None
    try:
        return parse_yaml(text)
    except YamlProblem as exc:
        raise ConfigError(shown, exc.line, exc.message) from None


def _path_keyword(base: Path) -> Any:
    """The schema's ``x-stack-path`` keyword: a path must stay inside the stack root (symlinks followed);
    with the value ``"file"`` it must also be a regular file where it exists (a compose file, not a folder)."""
    real_root = [""]

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if not value or not isinstance(instance, str) or not real_root[0]:
            return
        real = os.path.realpath(os.path.join(real_root[0], instance))
        if real != real_root[0] and not real.startswith(real_root[0].rstrip(os.sep) + os.sep):
            yield jsonschema.ValidationError(
                f"{_shown(instance)} resolves outside the stack root ({display_path(real_root[0])}); "
                "keep every path inside stack.root",
                validator="x-stack-path",
            )
        elif value == "file" and os.path.lexists(real) and not os.path.isfile(real):
            what = "a folder" if os.path.isdir(real) else "not a regular file (a device, FIFO or socket)"
            yield jsonschema.ValidationError(
                f"{_shown(instance)} is {what}; name a file here", validator="x-stack-path"
            )

    def set_root(data: Any) -> None:
        stack = data.get("stack") if isinstance(data, dict) else None
        root = stack.get("root") if isinstance(stack, dict) else None
        if isinstance(root, str):
            real_root[0] = os.path.realpath(base / root)

    return check, set_root


def load_config(path: Path) -> StackConfig:
    """Load and validate services.yaml; any problem raises ConfigError with file:line and the fix."""
    shown = display_path(path)
    doc = _read_document(path, shown)
    data = doc.data
    check_path, set_root = _path_keyword(path.parent)
    set_root(data)
    validator_class = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, {"x-stack-path": check_path}
    )
    validator = validator_class(services_schema(), format_checker=jsonschema.FormatChecker())
    try:
        errors = _best_errors(list(validator.iter_errors(data)))
    except RecursionError:
        raise ConfigError(shown, None, "nested too deeply to validate") from None
    if errors:
        line, where, message = _schema_error_line(doc, errors[0])
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(shown, line, message + more, where)
    return _build(path, shown, doc)


def _build(path: Path, shown: str, doc: MarkedDocument) -> StackConfig:
    data: dict[str, Any] = doc.data

    def at(*keys: str | int) -> str:
        return f"{shown}:{doc.line_of(keys)}"

    stack = data["stack"]
    root = (path.parent / stack["root"]).resolve()
    if not root.is_dir():
        raise ConfigError(
            shown, doc.line_of(("stack", "root")), f"folder {stack['root']!r} does not exist", "stack.root"
        )
    default_owner = stack.get("default_owner", "")
    services: list[ServiceSpec] = []
    names: dict[str, int] = {}
    for i, raw in enumerate(data["services"]):
        name = raw["name"]
        if name in names:
            raise ConfigError(
                shown,
                doc.line_of(("services", i, "name")),
                f"duplicate service name {name!r} (first at services[{names[name]}])",
                f"services[{i}].name",
            )
        names[name] = i
        services.append(
            ServiceSpec(
                name=name,
                kind=raw["kind"],
                target=raw["target"],
                owner=raw.get("owner", default_owner),
                title=raw.get("title", name),
                compose_services=tuple(raw.get("compose_services", ())),
                index=i,
                where=at("services", i),
                raw=raw,
            )
        )
    slos: list[SloSpec] = []
    for i, raw in enumerate(data.get("slos", [])):
        if raw["service"] not in names:
            raise ConfigError(
                shown,
                doc.line_of(("slos", i, "service")),
                f"{raw['service']!r} is not a service declared in services",
                f"slos[{i}].service",
            )
        evidence = ReportSpec.from_raw(
            {
                "path": raw["evidence"],
                "max_age": raw["max_age"],
                **({"timestamp": raw["timestamp"]} if "timestamp" in raw else {}),
            },
            at("slos", i, "evidence"),
        )
        slos.append(
            SloSpec(
                domain=raw["domain"],
                service=raw["service"],
                evidence=evidence,
                objective=raw.get("objective", ""),
                alert=raw.get("alert"),
                trigger=raw.get("trigger", ""),
                owner=raw.get("owner"),
                where=at("slos", i),
            )
        )
    waivers: list[Waiver] = []
    for i, raw in enumerate(data.get("waivers", [])):
        if raw["service"] not in names:
            raise ConfigError(
                shown,
                doc.line_of(("waivers", i, "service")),
                f"{raw['service']!r} is not a service declared in services",
                f"waivers[{i}].service",
            )
        try:
            expires = date.fromisoformat(raw["expires"])
        except ValueError:
            raise ConfigError(
                shown,
                doc.line_of(("waivers", i, "expires")),
                f"{raw['expires']!r} is not a date; write YYYY-MM-DD",
                f"waivers[{i}].expires",
            ) from None
        waivers.append(Waiver(raw["service"], raw["criterion"], raw["reason"], raw["owner"], expires, at("waivers", i)))
    overrides = {cid: spec["level"] for cid, spec in (data.get("criteria") or {}).items() if "level" in spec}
    return StackConfig(
        path=path.resolve(),
        name=stack["name"],
        root=root,
        stack=stack,
        services=tuple(services),
        slos=tuple(slos),
        waivers=tuple(waivers),
        level_overrides=overrides,
        document=doc,
    )
