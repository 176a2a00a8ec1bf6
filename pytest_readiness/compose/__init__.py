"""Compose projects, read as ``docker compose`` reads them.

* ``files``: which files make the project (``-f``, ``COMPOSE_FILE``, the default names and override);
* ``resolver``: Compose's own ``config --format json`` for the model (include, extends, overrides,
  profiles, interpolation, anchors);
* ``marks``: where each value was written, for ``file:line`` in evidence and errors;
* ``model``: the typed service model the checks read.

``load_project`` is the entry point; any problem is one :class:`ComposeError` line, ``FILE:LINE: what``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..artifacts import ArtifactError, Artifacts
from ..errors import InputError
from .files import Discovered, NoComposeFile, compose_environ, discover, split_profiles
from .marks import Entry, Location, ProjectMarks, ServiceMarks, read_marks
from .model import ComposeProject, ComposeService, Healthcheck, Mount, Port, parse_duration, parse_memory
from .resolver import ResolverFailed, ResolverMissing, compose_binary, resolve

__all__ = [
    "ComposeError",
    "ComposeProject",
    "ComposeService",
    "Discovered",
    "Entry",
    "Healthcheck",
    "Mount",
    "NoComposeFile",
    "Port",
    "ProjectMarks",
    "ResolverMissing",
    "ServiceMarks",
    "compose_binary",
    "compose_environ",
    "discover",
    "load_project",
    "parse_duration",
    "parse_memory",
    "split_profiles",
]


class ComposeError(InputError):
    """A compose project that Compose (or the artifacts door) rejects: one located line."""


_KEY_PATH = re.compile(
    r"(?:error while interpolating |')?((?:services|volumes|networks|secrets|configs)[.\[][^\s':,]*)"
)
_FILE_LINE = re.compile(r"(/[^\s:]+):\s*(?:yaml:\s*)?line (\d+):\s*(.*)")
_SERVICE = re.compile(r'service "?([A-Za-z0-9._-]+)"?')
_VARIABLE = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)" variable is not set')


def _locate(message: str, marks: ProjectMarks, files: Sequence[Path]) -> Location | None:
    """Where Compose's error points: a key path, a file and line, a file named in it, or a service."""
    match = _FILE_LINE.search(message)
    if match:
        return Path(match.group(1)), int(match.group(2))
    match = _KEY_PATH.search(message)
    if match:
        found = marks.where_dotted(match.group(1).rstrip("."))
        if found is not None:
            return found
    for path in sorted(marks.files, key=lambda p: -len(str(p))):
        if str(path) in message:
            for service in marks.services.values():
                for env_path, at in service.env_files:
                    if str(env_path) in message or env_path.name in message:
                        return at
            return path, 1
    for service in marks.services.values():
        for env_path, at in service.env_files:
            if str(env_path.resolve()) in message:
                return at
    match = _SERVICE.search(message)
    if match and match.group(1) in marks.services:
        return marks.services[match.group(1)].origin
    return None


def _clean(message: str, files: Sequence[Path], show: object) -> str:
    text = message
    for path in sorted({*files, *(f.parent for f in files)}, key=lambda p: -len(str(p))):
        text = text.replace(str(path) + os.sep, "").replace(str(path), "")
    return text.strip(" :")[:400]


def unescape(value: Any) -> Any:
    """Compose prints ``$$`` escaped in its model (so the output loads again); the container gets ``$``."""
    if isinstance(value, str):
        return value.replace("$$", "$") if "$$" in value else value
    if isinstance(value, dict):
        return {k: unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape(v) for v in value]
    return value


def located_warnings(
    warnings: Sequence[str], marks: ProjectMarks, show: Callable[[Path | str], str]
) -> tuple[str, ...]:
    """Compose's warnings, each prefixed with the line that triggers it (an unset variable's first use)."""
    out = []
    for text in warnings:
        match = _VARIABLE.search(text)
        at = marks.variables.get(match.group(1)) if match else None
        prefix = f"{show(at[0])}:{at[1]}: " if at else ""
        out.append(prefix + text)
    return tuple(out)


def load_project(
    door: Artifacts,
    files: Sequence[Path],
    *,
    project_dir: Path | None = None,
    profiles: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> ComposeProject:
    """Resolve the project made of ``files`` with Compose and locate its values; ComposeError if it is bad."""
    if not files:
        raise ComposeError("<compose>", None, "no compose file given; pass at least one compose.yaml")
    show = door.show
    real: list[Path] = []
    for file in files:
        try:
            path = door.resolve(file)
            door.yaml(path, ("!reset", "!override"))  # syntax, duplicate keys, bombs: located, before Compose
        except ArtifactError as exc:
            raise ComposeError(exc.path, exc.line, exc.message) from None
        real.append(path)
    project_dir = (project_dir or real[0].parent).resolve()
    env = compose_environ(project_dir, environ)
    marks = read_marks(door, real, project_dir, env)
    try:
        resolved = resolve(real, project_dir, profiles=profiles, environ=environ)
    except ResolverFailed as exc:
        at = _locate(exc.message, marks, real)
        shown = show(at[0]) if at else show(real[0])
        raise ComposeError(shown, at[1] if at else None, _clean(exc.message, real, show)) from None
    except ResolverMissing as exc:
        raise ComposeError(show(real[0]), None, str(exc)) from None
    model = unescape(resolved.model)
    services_model = model.get("services") or {}
    services: dict[str, ComposeService] = {}
    for name, svc_model in services_model.items():
        svc_marks = marks.services.get(name) or ServiceMarks(name, (real[0], 1))
        services[name] = ComposeService(str(name), svc_model or {}, svc_marks, show, project_dir)
    return ComposeProject(
        name=str(model.get("name") or ""),
        project_dir=project_dir,
        files=tuple(dict.fromkeys([*real, *marks.files])),
        services=services,
        model=model,
        marks=marks,
        warnings=located_warnings(resolved.warnings, marks, show),
        show=show,
    )
