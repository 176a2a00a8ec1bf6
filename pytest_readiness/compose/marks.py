"""Where each value of a compose project was written: ``file:line`` for evidence and errors.

Compose itself resolves the model (``resolver``); it does not say which file and line a value came
from. This module reads the same files as written (through the artifacts door, bounded YAML) and
follows the same structure, only to locate values:

* ``-f`` files in merge order: a later file's keys win, list entries accumulate;
* ``include:`` (short and long syntax, ``project_directory``): the included project's services are
  located in the included files;
* ``extends:`` (same file or another file): the base service's keys, then the service's own;
* ``env_file:`` entries and the project's ``.env``: a variable's line in the env file;
* ``!reset`` / ``!override``, YAML anchors and ``<<:`` merge keys (anchored keys cite the anchor).

Nothing here decides a verdict; a file it cannot read only costs marks (the location falls back to
the line that refers to it), since Compose has already validated the project.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv.parser import parse_stream

from ..artifacts import ArtifactError, Artifacts, KeyPath, MarkedDocument, Tagged

Location = tuple[Path, int]
COMPOSE_TAGS = ("!reset", "!override")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
MAX_DEPTH = 20  # include/extends chains


@dataclass(frozen=True)
class Entry:
    """One item of a list or mapping key as written (a port, a volume, an environment variable)."""

    key: str | None  # the variable name for mappings / KEY=VALUE lists, else None
    value: Any  # as written, before interpolation
    location: Location
    source: str = "compose"  # compose | env_file


@dataclass
class ServiceMarks:
    """The locations of one service's keys and entries, after merges, includes and extends."""

    name: str
    origin: Location
    locations: dict[KeyPath, Location] = field(default_factory=dict)
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    env_files: list[tuple[Path, Location]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def where(self, *keys: str | int) -> Location:
        """The location of the deepest key along ``keys`` that was written; the service's own line if none."""
        best = self.locations.get((), self.origin)
        for depth in range(1, len(keys) + 1):
            found = self.locations.get(tuple(keys[:depth]))
            if found is None:
                break
            best = found
        return best

    def entry(self, key: str, name: str) -> Entry | None:
        """The winning entry named ``name`` under a mapping-like key (environment, labels)."""
        found = [e for e in self.entries.get(key, []) if e.key == name]
        return found[-1] if found else None


@dataclass
class ProjectMarks:
    """Locations for a whole project: services, top-level keys, variables and the files read."""

    services: dict[str, ServiceMarks] = field(default_factory=dict)
    top: dict[KeyPath, Location] = field(default_factory=dict)
    variables: dict[str, Location] = field(default_factory=dict)  # first ${VAR} reference
    dotenv: dict[str, Entry] = field(default_factory=dict)  # the project's .env, as written
    files: list[Path] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # why a referenced file could not be located

    def where_dotted(self, dotted: str) -> Location | None:
        """A Compose key path in its own spellings (``services.api.environment.TOKEN``,
        ``services[api].healthcheck.interval``, ``services.web.ports.0``) -> its location."""
        parts = [p for p in re.split(r"\.|\[|\]", dotted) if p]
        if len(parts) >= 2 and parts[0] == "services" and parts[1] in self.services:
            marks = self.services[parts[1]]
            keys: list[str | int] = [int(p) if p.isdigit() else p for p in parts[2:]]
            if len(keys) >= 2 and isinstance(keys[0], str) and keys[0] in marks.entries:
                items = marks.entries[keys[0]]
                second = keys[1]
                if isinstance(second, int) and second < len(items):
                    return items[second].location
                named = [e for e in items if e.key == str(second)]
                if named:
                    return named[-1].location
            return marks.where(*keys)
        best: Location | None = None
        for depth in range(1, len(parts) + 1):
            found = self.top.get(tuple(parts[:depth]))
            if found is None:
                break
            best = found
        return best


def interpolate_simple(text: str, env: Mapping[str, str]) -> str:
    """``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}`` in a path (include/extends/env_file); marks only."""

    def repl(match: re.Match[str]) -> str:
        body = match.group(1)
        name, op, default = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?(.*)", body).groups()  # type: ignore[union-attr]
        value = env.get(name)
        if (op in (":-", ":?") and not value) or (op in ("-", "?") and value is None):
            return "" if op and "?" in op else default
        if op in (":+", "+"):
            return default if value else ""
        return value or ""

    text = re.sub(r"\$\{([^}]*)\}", repl, text.replace("$$", "\0"))
    text = re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", lambda m: env.get(m.group(1), ""), text)
    return text.replace("\0", "$")


def _walk(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
    yield path, value
    if isinstance(value, Tagged):
        yield from _walk(value.value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


def _untag(value: Any) -> Any:
    return value.value if isinstance(value, Tagged) else value


def _list_entries(key: str, value: Any, doc: MarkedDocument, prefix: KeyPath, file: Path) -> list[Entry]:
    """Entries of a list or mapping key: ``KEY=VALUE`` lists and mappings are keyed by the name."""
    items: list[Entry] = []
    value = _untag(value)
    if isinstance(value, dict):
        for name, item in value.items():
            items.append(Entry(str(name), _untag(item), (file, doc.line_of((*prefix, key, name)))))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            item = _untag(item)
            name = None
            if key in ("environment", "labels", "annotations", "extra_hosts") and isinstance(item, str):
                name = item.split("=", 1)[0] if key != "extra_hosts" else item.split(":", 1)[0]
            elif isinstance(item, dict) and key in ("secrets", "configs"):
                name = str(item.get("source", ""))
            elif isinstance(item, str) and key in ("secrets", "configs"):
                name = item
            items.append(Entry(name, item, (file, doc.line_of((*prefix, key, index)))))
    elif value is not None:
        items.append(Entry(None, value, (file, doc.line_of((*prefix, key)))))
    return items


class _Reader:
    """Reads one project's sources; ``load`` returns its services' marks."""

    def __init__(self, door: Artifacts, env: Mapping[str, str], marks: ProjectMarks) -> None:
        self.door = door
        self.env = env
        self.marks = marks
        self.docs: dict[Path, MarkedDocument | None] = {}

    def doc(self, path: Path, referred_at: Location | None) -> MarkedDocument | None:
        if path not in self.docs:
            try:
                real = self.door.resolve(path)
                self.docs[path] = self.door.yaml(real, COMPOSE_TAGS)
                self.marks.files.append(real)
            except ArtifactError as exc:
                where = f" (referred to at {self.door.show(referred_at[0])}:{referred_at[1]})" if referred_at else ""
                self.marks.unread.append(f"{exc}{where}")
                self.docs[path] = None
        return self.docs[path]

    def project(self, files: list[Path], depth: int = 0) -> dict[str, ServiceMarks]:
        """Marks of a project made of ``files`` (merge order), includes first, as Compose loads them."""
        out: dict[str, ServiceMarks] = {}
        for file in files:
            doc = self.doc(file, None)
            if doc is None or not isinstance(doc.data, dict):
                continue
            self.variables(file, doc)
            if depth == 0:
                for path, line in doc.lines.items():
                    if path and path[0] != "services":
                        self.marks.top.setdefault(path, (file, line))
            for included in self.includes(file, doc, depth):
                for name, marks in included.items():
                    out.setdefault(name, marks)
            services = _untag(doc.data.get("services"))
            if not isinstance(services, dict):
                continue
            for name, raw in services.items():
                raw = _untag(raw)
                if not isinstance(raw, dict):
                    continue
                here = (file, doc.line_of(("services", name)))
                target = out.get(name)
                if target is None:
                    target = self.extended(file, doc, name, raw, depth, set())
                    target.origin = here
                    out[name] = target
                self.apply(target, file, doc, ("services", name), raw)
        return out

    def includes(self, file: Path, doc: MarkedDocument, depth: int) -> Iterator[dict[str, ServiceMarks]]:
        items = _untag(doc.data.get("include")) if isinstance(doc.data, dict) else None
        if not isinstance(items, list) or depth >= MAX_DEPTH:
            return
        for index, item in enumerate(items):
            at = (file, doc.line_of(("include", index)))
            paths = item if isinstance(item, str) else (item or {}).get("path") if isinstance(item, dict) else None
            listed = [paths] if isinstance(paths, str) else [p for p in paths or [] if isinstance(p, str)]
            files = [(file.parent / interpolate_simple(p, self.env)) for p in listed]
            if files:
                yield self.project([f for f in files if self.doc(f, at) is not None], depth + 1)

    def extended(
        self, file: Path, doc: MarkedDocument, name: str, raw: dict[str, Any], depth: int, seen: set[tuple[Path, str]]
    ) -> ServiceMarks:
        """Marks that ``name`` inherits through ``extends`` (empty marks when it extends nothing)."""
        here = (file, doc.line_of(("services", name)))
        marks = ServiceMarks(name, here)
        spec = _untag(raw.get("extends"))
        if spec is None or depth >= MAX_DEPTH or (file, name) in seen:
            return marks
        seen = {*seen, (file, name)}
        if isinstance(spec, str):
            base_file, base_name = file, spec
        elif isinstance(spec, dict) and isinstance(spec.get("service"), str):
            base_name = spec["service"]
            base_file = (file.parent / interpolate_simple(str(spec["file"]), self.env)) if spec.get("file") else file
        else:
            return marks
        base_doc = self.doc(base_file, (file, doc.line_of(("services", name, "extends"))))
        if base_doc is None or not isinstance(base_doc.data, dict):
            return marks
        services = _untag(base_doc.data.get("services")) or {}
        base_raw = _untag(services.get(base_name)) if isinstance(services, dict) else None
        if not isinstance(base_raw, dict):
            return marks
        self.variables(base_file, base_doc)
        inherited = self.extended(base_file, base_doc, base_name, base_raw, depth + 1, seen)
        self.apply(inherited, base_file, base_doc, ("services", base_name), base_raw)
        inherited.name, inherited.origin = name, here
        inherited.locations.pop((), None)
        return inherited

    def apply(self, marks: ServiceMarks, file: Path, doc: MarkedDocument, prefix: KeyPath, raw: dict[str, Any]) -> None:
        """Merge one file's definition of a service into its marks (later keys win, list entries add up)."""
        for key, value in raw.items():
            if key == "extends":
                marks.locations[("extends",)] = (file, doc.line_of((*prefix, key)))
                continue
            if isinstance(value, Tagged) and value.tag == "!reset":
                for stale in [p for p in marks.locations if p[:1] == (key,)]:
                    del marks.locations[stale]
                marks.entries.pop(key, None)
                marks.raw.pop(key, None)
                continue
            replace = isinstance(value, Tagged) and value.tag == "!override"
            plain = _untag(value)
            if replace or not isinstance(plain, dict | list):
                for stale in [p for p in marks.locations if p[:1] == (key,)]:
                    del marks.locations[stale]
            for path, line in doc.lines.items():
                if path[: len(prefix) + 1] == (*prefix, key):
                    marks.locations[path[len(prefix) :]] = (file, line)
            if isinstance(plain, dict | list):
                fresh = _list_entries(key, plain, doc, prefix, file)
                marks.entries[key] = fresh if replace else [*marks.entries.get(key, []), *fresh]
                merged = marks.raw.get(key)
                if isinstance(merged, dict) and isinstance(plain, dict) and not replace:
                    marks.raw[key] = {**merged, **plain}
                elif isinstance(merged, list) and isinstance(plain, list) and not replace:
                    marks.raw[key] = [*merged, *plain]
                else:
                    marks.raw[key] = plain
            else:
                marks.entries.pop(key, None)
                marks.raw[key] = plain
            if key == "env_file":
                self.env_files(marks, file, doc, prefix, plain)

    def env_files(self, marks: ServiceMarks, file: Path, doc: MarkedDocument, prefix: KeyPath, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            text = item.get("path") if isinstance(item, dict) else item
            if not isinstance(text, str):
                continue
            line = doc.line_of((*prefix, "env_file", index) if isinstance(value, list) else (*prefix, "env_file"))
            path = file.parent / interpolate_simple(text, self.env)
            marks.env_files.append((path, (file, line)))
            for entry in read_env_file(self.door, path, (file, line), self.marks):
                marks.entries.setdefault("env_file_vars", []).append(entry)

    def variables(self, file: Path, doc: MarkedDocument) -> None:
        for path, value in _walk(doc.data, ()):
            if isinstance(value, str) and "$" in value:
                for match in _VARIABLE.finditer(value.replace("$$", "")):
                    name = match.group(1) or match.group(2)
                    self.marks.variables.setdefault(name, (file, doc.line_of(path)))


def read_env_file(door: Artifacts, path: Path, referred_at: Location, marks: ProjectMarks) -> list[Entry]:
    """``KEY=VALUE`` entries of an env file with their lines (values as written)."""
    try:
        text = door.text(door.resolve(path)).text
    except ArtifactError as exc:
        marks.unread.append(f"{exc} (referred to at {door.show(referred_at[0])}:{referred_at[1]})")
        return []
    real = door.resolve(path)
    if real not in marks.files:
        marks.files.append(real)
    return [
        Entry(b.key, b.value, (real, b.original.line), "env_file")
        for b in parse_stream(io.StringIO(text))
        if b.key and not b.error
    ]


def read_marks(door: Artifacts, files: list[Path], project_dir: Path, env: Mapping[str, str]) -> ProjectMarks:
    """Locations for the project made of ``files``; never raises for a file it cannot read."""
    marks = ProjectMarks()
    dotenv = project_dir / ".env"
    if door.is_file(dotenv):
        marks.dotenv = {e.key or "": e for e in read_env_file(door, dotenv, (dotenv, 1), marks)}
    marks.services = _Reader(door, env, marks).project(list(files))
    return marks
