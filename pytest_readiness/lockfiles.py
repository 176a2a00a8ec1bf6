"""Lockfiles and requirement files, parsed through the artifacts door: is every dependency pinned, hashed?

Formats: pip requirements (``-r``/``-c`` includes, ``--hash``, URLs, editables), ``poetry.lock``,
``uv.lock``, ``pdm.lock``, ``Pipfile.lock``, ``package-lock.json``/``npm-shrinkwrap.json``,
``yarn.lock``, ``pnpm-lock.yaml``, ``go.sum`` (with ``go.mod``), ``Cargo.lock``, ``Gemfile.lock``,
``composer.lock``, and a bare ``package.json`` (whose ranges pin nothing). Each entry keeps its
``file:line``. Requirement pinning is read with ``packaging``, TOML with ``tomllib``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .artifacts import ArtifactError, Artifacts
from .errors import InputError

LOCK_NAMES = (
    "poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
    "pnpm-lock.yaml", "go.sum", "Cargo.lock", "Gemfile.lock", "composer.lock",
)  # fmt: skip
REQUIREMENT_GLOBS = ("requirements*.txt", "requirements/*.txt")
MANIFESTS_WITHOUT_LOCK = {
    "package.json": ("package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json"),
    "go.mod": ("go.sum",),
    "Cargo.toml": ("Cargo.lock",),
    "Gemfile": ("Gemfile.lock",),
    "pyproject.toml": ("poetry.lock", "uv.lock", "pdm.lock"),
    "Pipfile": ("Pipfile.lock",),
}


@dataclass(frozen=True)
class LockEntry:
    """One dependency of a lockfile: where it is, whether it is pinned and hashed, and why not."""

    name: str
    location: str
    text: str
    pinned: bool
    hashed: bool
    why: str = ""
    version: str | None = None


@dataclass
class Lockfile:
    """A parsed lockfile and the files it includes."""

    path: Path
    shown: str
    fmt: str
    entries: list[LockEntry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


_PIN_OPS = ("==", "===")
_VCS_COMMIT = re.compile(r"@[0-9a-f]{40}(?:#|$)")
_GLOBAL_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--trusted-host", "--pre",
    "--prefer-binary", "--require-hashes", "--only-binary", "--no-binary", "--use-feature",
}  # fmt: skip


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's view of a requirements file: comments stripped, backslash continuations joined."""
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s+)#.*$", "", raw)
        if not buf:
            start = number
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        joined = " ".join(part.strip() for part in buf).strip()
        buf = []
        if joined:
            yield start, joined
    if buf:
        joined = " ".join(part.strip() for part in buf).strip()
        if joined:
            yield start, joined


def _split_options(line: str) -> tuple[str, list[str]]:
    tokens = line.split()
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]), tokens[index:]
    return line, []


def _option_value(options: list[str], *names: str) -> list[str]:
    values = []
    for index, token in enumerate(options):
        for name in names:
            if token == name and index + 1 < len(options):
                values.append(options[index + 1])
            elif token.startswith(name + "="):
                values.append(token[len(name) + 1 :])
            elif name.startswith("-") and not name.startswith("--") and token.startswith(name) and len(token) > 2:
                values.append(token[len(name) :])
    return values


def judge_requirement(text: str, hashed: bool) -> tuple[str, bool, str, str | None]:
    """(name, pinned, why-not, pinned version) for one requirement string."""
    if re.match(r"^(https?|file|git\+[a-z]+)://", text) or text.endswith((".whl", ".tar.gz", ".zip")):
        pinned = hashed or bool(_VCS_COMMIT.search(text))
        return text, pinned, "" if pinned else "direct URL without --hash", None
    if text.startswith((".", "/")):
        return text, False, "local path, not a pinned release", None
    req = Requirement(text)
    name = canonicalize_name(req.name)
    if req.url:
        pinned = hashed or bool(_VCS_COMMIT.search(req.url))
        return name, pinned, "" if pinned else f"URL {req.url} without --hash or commit", None
    specs = list(req.specifier)
    if not specs:
        return name, False, "no version: bare name", None
    if len(specs) == 1 and specs[0].operator in _PIN_OPS and not specs[0].version.endswith(".*"):
        return name, True, "", specs[0].version
    return name, False, f"range {req.specifier}, not ==", None


class _Reader:
    def __init__(self, door: Artifacts) -> None:
        self.door = door

    def text(self, path: Path) -> str:
        return self.door.text(self.door.resolve(path)).text

    def pip(self, path: Path, lock: Lockfile, seen: set[Path], constraints: dict[str, str]) -> None:
        real = self.door.resolve(path)
        shown = self.door.show(real)
        if real in seen:
            return
        seen.add(real)
        lock.files.append(shown)
        text = self.text(real)
        pending: list[tuple[int, str, list[str]]] = []
        for number, line in _logical_lines(text):
            req_text, options = _split_options(line)
            if not req_text:
                head = options[0].split("=", 1)[0]
                if head in ("-r", "--requirement") or head.startswith("-r"):
                    for inc in _option_value(options, "-r", "--requirement"):
                        self.pip(real.parent / inc, lock, seen, constraints)
                    continue
                if head in ("-c", "--constraint") or head.startswith("-c"):
                    for inc in _option_value(options, "-c", "--constraint"):
                        sub = Lockfile(real.parent / inc, self.door.show(real.parent / inc), "pip")
                        self.pip(real.parent / inc, sub, seen, {})
                        lock.files.extend(f for f in sub.files if f not in lock.files)
                        constraints.update({e.name: e.location for e in sub.entries if e.pinned})
                    continue
                if head in ("-e", "--editable") or head.startswith("-e"):
                    target = " ".join(options[1:]) or options[0][2:]
                    lock.entries.append(
                        LockEntry(
                            target, f"{shown}:{number}", line, False, False, "editable install, not a pinned release"
                        )
                    )
                    continue
                if head in _GLOBAL_OPTIONS:
                    continue
                raise InputError(shown, number, f"unknown option {options[0][:40]!r} in requirements file")
            pending.append((number, req_text, options))
        for number, req_text, options in pending:
            hashed = bool(_option_value(options, "--hash"))
            try:
                name, pinned, why, version = judge_requirement(req_text, hashed)
            except InvalidRequirement as exc:
                raise InputError(shown, number, f"not a valid requirement {req_text[:60]!r}: {exc}") from None
            if not pinned and name in constraints:
                pinned, why = True, ""
            lock.entries.append(LockEntry(name, f"{shown}:{number}", req_text, pinned, hashed, why, version))

    def toml_packages(self, path: Path, lock: Lockfile, hash_keys: tuple[str, ...]) -> None:
        text = self.text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            at = re.search(r"line (\d+)", str(exc))
            raise InputError(lock.shown, int(at.group(1)) if at else None, f"invalid TOML: {exc}") from None
        packages = data.get("package", [])
        if not isinstance(packages, list):
            raise InputError(lock.shown, 1, "no [[package]] tables")
        legacy_files = (data.get("metadata") or {}).get("files") or {}
        for pkg in packages:
            if not isinstance(pkg, dict) or "name" not in pkg:
                continue
            name = str(pkg["name"])
            line = _line_index(text, rf'^name = "{re.escape(name)}"')
            source = pkg.get("source") or {}
            if isinstance(source, dict) and any(k in source for k in ("editable", "virtual", "directory")):
                continue  # the project itself (or a workspace member), not a dependency
            version = pkg.get("version")
            hashed = any(pkg.get(k) for k in hash_keys)
            hashed = hashed or any(isinstance(f, dict) and f.get("hash") for f in pkg.get("files", []) or [])
            hashed = hashed or any(isinstance(w, dict) and w.get("hash") for w in pkg.get("wheels", []) or [])
            sdist = pkg.get("sdist")
            hashed = hashed or (isinstance(sdist, dict) and bool(sdist.get("hash")))
            hashed = hashed or any(isinstance(f, dict) and f.get("hash") for f in legacy_files.get(name, []) or [])
            lock.entries.append(
                LockEntry(
                    canonicalize_name(name),
                    f"{lock.shown}:{line}",
                    f"{name} {version}",
                    bool(version),
                    hashed,
                    "" if version else "no version in lock entry",
                    str(version) if version else None,
                )
            )

    def pipfile(self, path: Path, lock: Lockfile) -> None:
        doc = self.door.json(self.door.resolve(path))
        data = doc.data if isinstance(doc.data, dict) else {}
        for section in ("default", "develop"):
            for name, spec in (data.get(section) or {}).items():
                if not isinstance(spec, dict):
                    continue
                line = _line_index(doc.text, rf'^\s*"{re.escape(name)}": \{{')
                version = str(spec.get("version", ""))
                pinned = version.startswith("==") or bool(spec.get("ref"))
                lock.entries.append(
                    LockEntry(
                        canonicalize_name(name),
                        f"{lock.shown}:{line}",
                        f"{name}{version}",
                        pinned,
                        bool(spec.get("hashes")),
                        "" if pinned else "no ==version in lock entry",
                        version.lstrip("=") or None,
                    )
                )

    def npm(self, path: Path, lock: Lockfile) -> None:
        doc = self.door.json(self.door.resolve(path))
        data = doc.data if isinstance(doc.data, dict) else {}
        packages = data.get("packages")
        items: list[tuple[str, Any]] = []
        if isinstance(packages, dict):
            items = [(k.rsplit("node_modules/", 1)[-1], v) for k, v in packages.items() if k]
        elif isinstance(data.get("dependencies"), dict):
            items = list(data["dependencies"].items())
        for name, spec in items:
            if not isinstance(spec, dict) or spec.get("link"):
                continue
            version = spec.get("version")
            line = doc.line_of_key(f"node_modules/{name}") or doc.line_of_key(name) or 1
            lock.entries.append(
                LockEntry(
                    name,
                    f"{lock.shown}:{line}",
                    f"{name}@{version}",
                    bool(version),
                    bool(spec.get("integrity")),
                    "" if version else "no version in lock entry",
                    str(version) if version else None,
                )
            )

    def line_based(self, path: Path, lock: Lockfile, entry: re.Pattern[str], hashed: re.Pattern[str] | None) -> None:
        """yarn.lock, pnpm-lock.yaml, Gemfile.lock, go.sum: pinned by construction; hashes where written."""
        text = self.text(path)
        lines = text.splitlines()
        for number, line in enumerate(lines, start=1):
            match = entry.match(line)
            if match is None:
                continue
            block = "\n".join(lines[number : number + 8])
            has_hash = hashed is None or bool(hashed.search(line + "\n" + block))
            name = match.group(1)
            lock.entries.append(LockEntry(name, f"{lock.shown}:{number}", line.strip()[:80], True, has_hash, ""))

    def package_json(self, path: Path, lock: Lockfile) -> None:
        doc = self.door.json(self.door.resolve(path))
        data = doc.data if isinstance(doc.data, dict) else {}
        for section in ("dependencies", "devDependencies", "optionalDependencies"):
            deps = data.get(section)
            if not isinstance(deps, dict):
                continue
            for name, spec in deps.items():
                text = str(spec)
                exact = re.fullmatch(r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?", text) is not None
                line = doc.line_of_key(name) or 1
                lock.entries.append(
                    LockEntry(
                        name,
                        f"{lock.shown}:{line}",
                        f"{name}: {text}",
                        exact,
                        False,
                        "" if exact else f"range {text!r} in package.json and no lockfile beside it",
                        text if exact else None,
                    )
                )


def _line_index(text: str, pattern: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


_YARN = re.compile(r'^"?((?:@[^@/\s"]+/)?[^@\s"]+)@')
_PNPM = re.compile(r"^\s{2}/?'?((?:@[^@/\s']+/)?[^@\s'(]+)[@/]\d")
_GEM = re.compile(r"^\s{4}([A-Za-z0-9_.-]+) \(\d")
_GOSUM = re.compile(r"^(\S+) v\S+ h1:")
_CARGO = ("checksum",)


def format_of(name: str) -> str:
    lowered = name.lower()
    table = {
        "poetry.lock": "poetry", "uv.lock": "uv", "pdm.lock": "pdm", "pipfile.lock": "pipfile",
        "package-lock.json": "npm", "npm-shrinkwrap.json": "npm", "yarn.lock": "yarn", "pnpm-lock.yaml": "pnpm",
        "go.sum": "go", "cargo.lock": "cargo", "gemfile.lock": "bundler", "composer.lock": "composer",
        "package.json": "package.json",
    }  # fmt: skip
    return table.get(lowered, "pip")


def read_lockfile(door: Artifacts, path: Path) -> Lockfile:
    """Parse one lockfile by its name; InputError (with file:line) when missing or unparsable."""
    shown = door.show(path)
    fmt = format_of(path.name)
    lock = Lockfile(path, shown, fmt)
    reader = _Reader(door)
    try:
        if fmt == "pip":
            reader.pip(path, lock, set(), {})
            return lock
        lock.files.append(shown)
        if fmt in ("poetry", "uv", "pdm"):
            reader.toml_packages(path, lock, ())
        elif fmt == "cargo":
            reader.toml_packages(path, lock, _CARGO)
        elif fmt == "pipfile":
            reader.pipfile(path, lock)
        elif fmt in ("npm", "composer"):
            reader.npm(path, lock)
        elif fmt == "yarn":
            reader.line_based(path, lock, _YARN, re.compile(r"^\s+integrity ", re.M))
        elif fmt == "pnpm":
            reader.line_based(path, lock, _PNPM, re.compile(r"integrity:"))
        elif fmt == "bundler":
            reader.line_based(path, lock, _GEM, re.compile(r"^CHECKSUMS$", re.M))
        elif fmt == "go":
            reader.line_based(path, lock, _GOSUM, None)
            lock.entries = list({e.name: e for e in lock.entries}.values())
        elif fmt == "package.json":
            reader.package_json(path, lock)
    except ArtifactError as exc:
        if exc.missing:
            raise InputError(exc.path, None, "lockfile does not exist") from None
        raise
    return lock


def is_requirements_file(path: Path) -> bool:
    """A pip requirements file as discovered (``requirements*.txt``, ``requirements/*.txt``)."""
    return path.suffix == ".txt" and (path.name.startswith("requirements") or path.parent.name == "requirements")


def installed_by_image(found: list[Path], installed: set[str] | None) -> list[Path]:
    """The discovered files the image ships: when its Dockerfile names the pip requirement files it
    installs (``installed``, base names) and each is among ``found``, other requirement files (a
    ``requirements/local.txt`` only a dev stage installs) are dropped; their ``-r`` includes are read
    through them. Otherwise every file is judged (fail closed: more files, never fewer)."""
    requirements = [p for p in found if is_requirements_file(p)]
    if not installed or not requirements or not all(any(p.name == n for p in requirements) for n in installed):
        return found
    return [p for p in found if not is_requirements_file(p) or p.name in installed]


def discover(door: Artifacts, folder: Path) -> list[Path]:
    """Lockfiles and requirement files at the top of a build context (what a Dockerfile would COPY)."""
    found: list[Path] = []
    for name in LOCK_NAMES:
        candidate = folder / name
        if door.is_file(candidate):
            found.append(candidate)
    for pattern in REQUIREMENT_GLOBS:
        found.extend(p for p in door.glob(pattern, folder) if p not in found)
    for manifest, locks in MANIFESTS_WITHOUT_LOCK.items():
        if manifest in ("pyproject.toml", "Pipfile"):
            continue  # judged through their locks or requirement files; a bare pyproject is not a lock
        if door.is_file(folder / manifest) and not any(door.is_file(folder / lock) for lock in locks):
            found.append(folder / manifest)
    return found
