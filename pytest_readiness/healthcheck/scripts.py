"""Reading a script a healthcheck runs (``/healthcheck.sh``, ``python healthcheck.py``), from the build.

A script is judged by what it does, never by its name: it is found where the container gets it, the
judged Dockerfile stage's ``COPY``/``ADD`` from the build context, or a bind mount in compose, and
read through the artifacts door. When it cannot be found it is *not observed*: an image's own
script (a third-party image) cannot be seen offline.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from ..artifacts import ArtifactError, Artifacts
from ..dockerfile import Dockerfile


@dataclass(frozen=True)
class Script:
    """A script found in the repository: where it is, its text and its language."""

    path: Path
    shown: str
    text: str
    language: str  # shell | python | node | binary | other
    via: str  # how the container gets it: "COPY at Dockerfile:7" / "bind mount at compose.yaml:12"


@dataclass(frozen=True)
class Unseen:
    """Why a script could not be read (it is in the image only, or nowhere in the repository)."""

    reason: str


def language_of(path: str, text: str) -> str:
    first = text.split("\n", 1)[0] if text.startswith("#!") else ""
    if "\x00" in text[:1024]:
        return "binary"
    if path.endswith((".py",)) or "python" in first:
        return "python"
    if path.endswith((".js", ".mjs", ".cjs")) or "node" in first:
        return "node"
    if path.endswith((".sh", ".bash")) or any(s in first for s in ("sh", "bash", "ash")):
        return "shell"
    return "other"


@dataclass
class ScriptLocator:
    """Finds the files a container runs: from its Dockerfile's COPY/ADD, or its bind mounts."""

    door: Artifacts
    dockerfile: Dockerfile | None
    mounts: tuple[tuple[str, str, str], ...]  # (host source, container target, where)
    third_party: bool

    def find(self, container_path: str) -> Script | Unseen:
        workdir = self.dockerfile.workdir() if self.dockerfile else "/"
        path = posixpath.normpath(posixpath.join(workdir, container_path))
        for source, target, where in self.mounts:
            target = target.rstrip("/")
            if path == target or path.startswith(target + "/"):
                host = Path(source) / path[len(target) :].lstrip("/") if path != target else Path(source)
                return self._read(host, f"bind mount at {where}")
        if self.dockerfile is not None:
            found = self.dockerfile.context_file(path)
            if found is not None:
                host, ins = found
                return self._read(host, f"{ins.name} at {self.dockerfile.where(ins)}")
            return Unseen(
                f"{container_path} is not copied in by {self.dockerfile.shown} (no COPY/ADD puts it there) "
                "nor bind-mounted: its contents cannot be read"
            )
        if self.third_party:
            return Unseen(f"{container_path} comes with the image; its contents cannot be read offline")
        return Unseen(f"{container_path} is in no build context or bind mount: its contents cannot be read")

    def _read(self, host: Path, via: str) -> Script | Unseen:
        try:
            text = self.door.text(self.door.resolve(host)).text
        except ArtifactError as exc:
            return Unseen(f"{exc} ({via})")
        return Script(host, self.door.show(host), text, language_of(host.name, text), via)
