"""Finding a project's compose files, profiles and name the way ``docker compose`` does.

Order of precedence, as in Compose v2: ``-f`` files; else ``COMPOSE_FILE`` (split on
``COMPOSE_PATH_SEPARATOR``, default ``:``); else the first of ``compose.yaml``, ``compose.yml``,
``docker-compose.yml``, ``docker-compose.yaml`` in the folder or the nearest parent that has one,
plus its override file. ``COMPOSE_*`` variables may also come from the ``.env`` file of the folder
(Compose reads them there too).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import parse_stream

CANDIDATES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


class NoComposeFile(Exception):
    """No compose file where Compose would look."""


@dataclass(frozen=True)
class Discovered:
    """The compose files of a project, in merge order, and where they were found from."""

    files: tuple[Path, ...]
    how: str  # "-f", "COMPOSE_FILE", or "found in FOLDER"
    profiles: tuple[str, ...]

    @property
    def project_dir(self) -> Path:
        return self.files[0].parent


def dotenv_values(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` pairs of a ``.env`` file as written (no interpolation); {} when absent or unreadable."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return {b.key: b.value or "" for b in parse_stream(io.StringIO(text)) if b.key and not b.error}


def compose_environ(folder: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment Compose sees in ``folder``: the process environment over the folder's ``.env``."""
    env = dict(os.environ if environ is None else environ)
    for key, value in dotenv_values(folder / ".env").items():
        env.setdefault(key, value)
    return env


def split_profiles(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def discover(folder: Path, explicit: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> Discovered:
    """The compose files Compose would load from ``folder``; NoComposeFile when there are none."""
    folder = folder.resolve()
    env = compose_environ(folder, environ)
    profiles = split_profiles(env.get("COMPOSE_PROFILES"))
    if explicit:
        files = tuple((folder / f).resolve() for f in explicit)
        return Discovered(files, "-f", profiles)
    listed = env.get("COMPOSE_FILE")
    if listed:
        separator = env.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        files = tuple((folder / f).resolve() for f in listed.split(separator) if f)
        return Discovered(files, "COMPOSE_FILE", profiles)
    for here in (folder, *folder.parents):
        first = next((here / name for name in CANDIDATES if (here / name).is_file()), None)
        if first is not None:
            override = next((here / name for name in OVERRIDES if (here / name).is_file()), None)
            files = (first,) if override is None else (first, override)
            return Discovered(files, f"found in {here}", profiles)
    raise NoComposeFile(
        f"no compose file in {folder} or its parents (looked for {', '.join(CANDIDATES)}); "
        "pass -f FILE or set COMPOSE_FILE"
    )
