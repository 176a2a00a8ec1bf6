"""What a container's Dockerfile says about runtime, read with dockerfile-parse through the door.

The judged stage is the one Compose builds: ``build.target`` when set, else the last stage. A stage
written ``FROM base`` (an earlier stage) inherits that stage's instructions, as Docker does, so a
``CMD``, ``USER`` or ``HEALTHCHECK`` set in a base stage counts.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerfile_parse import DockerfileParser

from .artifacts import ArtifactError, Artifacts
from .errors import InputError


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction of the judged stage, with its 1-based line."""

    name: str
    value: str
    line: int


def exec_form(value: str) -> list[str] | None:
    """The argv of a Dockerfile exec form (``["a", "b"]``), or None for the shell form."""
    text = value.strip()
    if not text.startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return None
    if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
        return parsed
    return None


@dataclass
class Dockerfile:
    """The judged stage of a container's Dockerfile: its instructions (inherited ones first)."""

    path: Path
    shown: str
    context: Path
    stage: str | None
    final: list[Instruction] = field(default_factory=list)
    door: Artifacts | None = field(default=None, repr=False)
    # the judged chain plus every stage it copies from (``COPY --from=build``): what shaped the image
    contributing: list[Instruction] = field(default_factory=list)

    def requirement_files(self) -> set[str] | None:
        """Base names of the pip requirement files the image installs (``-r``/``-c`` in a RUN of a
        contributing stage, ARG defaults substituted); None when a name cannot be resolved (judge all)."""
        args: dict[str, str] = {}
        names: set[str] = set()
        for ins in self.contributing or self.final:
            if ins.name == "ARG":
                key, _, default = ins.value.strip().partition("=")
                if default:
                    args[key.strip()] = default.strip().strip("'\"")
            if ins.name != "RUN" or "pip" not in ins.value:
                continue
            for match in _REQUIREMENT_ARG.finditer(ins.value):
                word = _substitute(match.group(1), args)
                if word is None:
                    return None
                names.add(posixpath.basename(word))
        return names

    def last(self, name: str) -> Instruction | None:
        found = [i for i in self.final if i.name == name]
        return found[-1] if found else None

    def all(self, name: str) -> list[Instruction]:
        return [i for i in self.final if i.name == name]

    def where(self, instruction: Instruction) -> str:
        return f"{self.shown}:{instruction.line}"

    def workdir(self) -> str:
        """The stage's working directory (``/`` when never set)."""
        cur = "/"
        for ins in self.final:
            if ins.name == "WORKDIR" and ins.value.strip():
                cur = posixpath.normpath(posixpath.join(cur, ins.value.strip().strip('"')))
        return cur

    def copies(self) -> list[tuple[str, list[str], bool, Instruction]]:
        """``(container destination, sources in the build context, dest is a folder, instruction)`` of COPY/ADD."""
        out: list[tuple[str, list[str], bool, Instruction]] = []
        cur = "/"
        for ins in self.final:
            if ins.name == "WORKDIR" and ins.value.strip():
                cur = posixpath.normpath(posixpath.join(cur, ins.value.strip().strip('"')))
            if ins.name not in ("COPY", "ADD"):
                continue
            text = ins.value.strip()
            args = exec_form(text)
            if args is None:
                try:
                    args = shlex.split(text)
                except ValueError:
                    args = text.split()
            if any(a.startswith("--from") for a in args):
                continue  # from another stage or image: nothing in the build context
            args = [a for a in args if not a.startswith("--")]
            if len(args) < 2:
                continue
            *srcs, dest = args
            is_dir = dest.endswith("/") or len(srcs) > 1
            dest_abs = posixpath.normpath(posixpath.join(cur, dest))
            out.append((dest_abs, srcs, is_dir, ins))
        return out

    def context_file(self, container_path: str) -> tuple[Path, Instruction] | None:
        """The build-context file a container path was copied from (the latest COPY wins), if any."""
        path = posixpath.normpath(posixpath.join(self.workdir(), container_path))
        door = self.door
        for dest, srcs, is_dir, ins in reversed(self.copies()):
            for src in srcs:
                if any(c in src for c in "*?["):
                    matches = door.glob(src, self.context) if door else sorted(self.context.glob(src))
                else:
                    matches = [self.context / src]
                for src_path in matches:
                    try:
                        real = door.resolve(src_path) if door else src_path.resolve()
                    except ArtifactError:
                        continue
                    if real.is_dir():
                        prefix = dest.rstrip("/") + "/"
                        if path == dest.rstrip("/"):
                            continue
                        candidate = real / path[len(prefix) :]
                        if path.startswith(prefix) and (door.is_file(candidate) if door else candidate.is_file()):
                            return candidate, ins
                    elif (door.is_file(real) if door else real.is_file()) and (
                        path == posixpath.join(dest, real.name) or (path == dest and not is_dir)
                    ):
                        return real, ins
        return None


_REQUIREMENT_ARG = re.compile(r"(?:^|\s)(?:-r|-c|--requirement|--constraint)[=\s]+([^\s;&|]+)")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _substitute(word: str, args: dict[str, str]) -> str | None:
    """``word`` with ``$NAME``/``${NAME}``/``${NAME:-x}`` from ARG defaults; None when one has no value."""
    unresolved = False

    def one(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(3)
        value = args.get(name, match.group(2))
        if value is None:
            unresolved = True
            return ""
        return value

    out = _VARIABLE.sub(one, word.strip("'\""))
    return None if unresolved else out


def _stages(structure: list[dict[str, Any]]) -> list[tuple[str | None, str, list[Instruction]]]:
    """(alias, base image or stage, instructions) per stage, in file order."""
    stages: list[tuple[str | None, str, list[Instruction]]] = []
    for item in structure:
        ins = Instruction(str(item["instruction"]).upper(), str(item["value"]), int(item["startline"]) + 1)
        if ins.name == "FROM":
            words = [w for w in ins.value.split() if not w.startswith("--")]
            base = words[0] if words else ""
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append((alias, base, [ins]))
        elif stages:
            stages[-1][2].append(ins)
    return stages


def read_dockerfile(door: Artifacts, path: Path, context: Path, target: str | None = None) -> Dockerfile:
    """Parse the Dockerfile at ``path``; InputError (located) when it is missing, unreadable or unparsable."""
    shown = door.show(path)
    data = door.read_bytes(door.resolve(path))
    try:
        parser = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False)
        structure: list[dict[str, Any]] = parser.structure
    except Exception as exc:  # dockerfile-parse raises several types on odd input
        raise InputError(shown, None, f"cannot parse Dockerfile: {str(exc)[:200]}") from None
    stages = _stages(structure)
    if not stages:
        raise InputError(shown, 1, "not a Dockerfile: no FROM instruction")
    index = len(stages) - 1
    if target:
        named = [i for i, (alias, _, _) in enumerate(stages) if alias and alias.lower() == target.lower()]
        if not named:
            known = ", ".join(a for a, _, _ in stages if a) or "none named"
            raise InputError(shown, 1, f"build target {target!r} is not a stage of this Dockerfile (stages: {known})")
        index = named[0]
    index_of_judged = index
    chain: list[list[Instruction]] = []
    seen: set[int] = set()
    while index not in seen:
        seen.add(index)
        _alias, base, instructions = stages[index]
        chain.insert(0, instructions)
        parent = next((i for i, (a, _, _) in enumerate(stages[:index]) if a and a.lower() == base.lower()), None)
        if parent is None:
            break
        index = parent
    final = [ins for part in chain for ins in part]
    contributing: list[Instruction] = []
    pending, visited = [index_of_judged], set()
    while pending:
        current = pending.pop()
        if current in visited:
            continue
        visited.add(current)
        for stage in _chain(stages, current):
            contributing.extend(i for i in stages[stage][2] if i not in contributing)
            for ins in stages[stage][2]:
                source = _copy_from(ins)
                found = _stage_index(stages, source, stage) if source else None
                if found is not None:
                    pending.append(found)
    return Dockerfile(path, shown, context, target, final, door, contributing)


def _stage_index(stages: list[tuple[str | None, str, list[Instruction]]], name: str, before: int) -> int | None:
    """The stage ``name`` (an alias or a 0-based number) refers to, among the stages before ``before``."""
    if name.isdigit():
        return int(name) if int(name) < before else None
    return next((i for i, (a, _, _) in enumerate(stages[:before]) if a and a.lower() == name.lower()), None)


def _chain(stages: list[tuple[str | None, str, list[Instruction]]], index: int) -> list[int]:
    """Stage ``index`` and the stages it is built FROM, base first."""
    out: list[int] = []
    while index not in out:
        out.insert(0, index)
        parent = _stage_index(stages, stages[index][1], index)
        if parent is None:
            break
        index = parent
    return out


def _copy_from(ins: Instruction) -> str | None:
    if ins.name not in ("COPY", "ADD"):
        return None
    match = re.search(r"--from=(\S+)", ins.value)
    return match.group(1) if match else None
