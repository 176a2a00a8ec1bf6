"""Build & reproducibility criteria: pinned lockfiles, no installs at container start, versioned images.

Also home of the helpers the runtime and security checks share: which containers a row has, and what
a container's Dockerfile says (CMD, ENTRYPOINT, HEALTHCHECK, USER, COPY), read with dockerfile-parse.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import shlex
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bashlex
from dockerfile_parse import DockerfileParser
from markdown_it import MarkdownIt
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from pytest_readiness.compose import ComposeService
from pytest_readiness.context import Service
from pytest_readiness.errors import InputError
from pytest_readiness.live import LivePart, every_container, with_live
from pytest_readiness.results import CriterionOutcome, Evidence, Scope, Verdict

OWN_CODE_KINDS = frozenset({"service", "worker", "gate"})
MAX_LISTED = 12  # evidence items listed per verdict before summarising the rest


# ---------------------------------------------------------------------------------------------------
# Shared: a row's containers and own code
# ---------------------------------------------------------------------------------------------------


def has_own_code(service: Service) -> bool:
    """Own code = a service/worker/gate kind, or a row that declares ``code`` or ``lockfiles``."""
    return service.kind in OWN_CODE_KINDS or bool(service.spec.raw.get("code")) or bool(service.spec.paths("lockfiles"))


def containers_of(service: Service) -> tuple[list[ComposeService], Verdict | None]:
    """The row's compose services, or the verdict that ends the criterion (N/A for gates, failure on bad input)."""
    if service.kind == "gate":
        return [], Verdict.not_applicable("gate row has no containers")
    if not service.spec.compose_services:
        return [], Verdict.not_applicable(f"{service.name} declares no compose_services: no containers to check")
    try:
        return service.compose_services, None
    except InputError as exc:
        where = exc.path if exc.line is None else f"{exc.path}:{exc.line}"
        return [], Verdict.failed(str(exc), Evidence(where, exc.message))
    except CriterionOutcome as exc:
        return [], Verdict.failed(exc.reason, *(service.evidence or [Evidence(service.spec.where, "services.yaml")]))


def limited(items: Sequence[Evidence]) -> tuple[Evidence, ...]:
    """Evidence capped at MAX_LISTED, with one summary line for the rest."""
    if len(items) <= MAX_LISTED:
        return tuple(items)
    rest = len(items) - MAX_LISTED
    return (*items[:MAX_LISTED], Evidence(items[MAX_LISTED].location, f"... and {rest} more"))


def join_reasons(parts: Sequence[str], limit: int = 3) -> str:
    """At most ``limit`` reasons joined with '; ' plus a count of the rest (one actionable line)."""
    shown = "; ".join(parts[:limit])
    return shown + (f"; and {len(parts) - limit} more" if len(parts) > limit else "")


# ---------------------------------------------------------------------------------------------------
# Shared: Dockerfiles
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction of the final stage, with its 1-based line."""

    name: str
    value: str
    line: int


@dataclass
class Dockerfile:
    """What a container's Dockerfile says about runtime: the final stage's instructions."""

    path: Path
    shown: str
    context: Path
    final: list[Instruction] = field(default_factory=list)

    def last(self, name: str) -> Instruction | None:
        found = [i for i in self.final if i.name == name]
        return found[-1] if found else None

    def where(self, instruction: Instruction) -> str:
        return f"{self.shown}:{instruction.line}"

    def workdir(self) -> str:
        """The final stage's working directory (``/`` when never set)."""
        cur = "/"
        for ins in self.final:
            if ins.name == "WORKDIR" and ins.value.strip():
                cur = posixpath.normpath(posixpath.join(cur, ins.value.strip().strip('"')))
        return cur

    def copies(self) -> list[tuple[str, list[str], bool]]:
        """``(container destination, sources in the build context, dest is a directory)`` of COPY/ADD."""
        out: list[tuple[str, list[str], bool]] = []
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
            out.append((dest_abs, srcs, is_dir))
        return out

    def context_file(self, container_path: str) -> Path | None:
        """The build-context file a container path was copied from (latest COPY wins), if any."""
        path = posixpath.normpath(posixpath.join(self.workdir(), container_path))
        for dest, srcs, is_dir in reversed(self.copies()):
            for src in srcs:
                matches = sorted(self.context.glob(src)) if any(c in src for c in "*?[") else [self.context / src]
                for src_path in (m.resolve() for m in matches):
                    if src_path.is_dir():
                        prefix = dest.rstrip("/") + "/"
                        if path.startswith(prefix) and (src_path / path[len(prefix) :]).is_file():
                            return src_path / path[len(prefix) :]
                    elif src_path.is_file() and (
                        path == posixpath.join(dest, src_path.name) or (path == dest and not is_dir)
                    ):
                        return src_path
        return None


def read_dockerfile(service: Service, container: ComposeService) -> Dockerfile | None:
    """The container's Dockerfile (None when it has no build); InputError when declared but unreadable."""
    if container.build_context is None or container.dockerfile is None:
        return None
    shown = service.show(container.dockerfile)
    try:
        data = container.dockerfile.read_bytes()
    except FileNotFoundError:
        raise InputError(
            shown, None, f"Dockerfile does not exist (build of '{container.name}' at {container.where('build')})"
        ) from None
    except OSError as exc:
        raise InputError(shown, None, f"cannot read Dockerfile: {exc.strerror}") from None
    try:
        parser = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False)
        structure: list[dict[str, Any]] = parser.structure
    except Exception as exc:
        raise InputError(shown, None, f"cannot parse Dockerfile: {exc}") from None
    dockerfile = Dockerfile(container.dockerfile, shown, container.build_context)
    if not any(item["instruction"] == "FROM" for item in structure):
        raise InputError(shown, 1, "not a Dockerfile: no FROM instruction")
    for item in structure:
        if item["instruction"] == "FROM":
            dockerfile.final = []
        dockerfile.final.append(
            Instruction(str(item["instruction"]).upper(), str(item["value"]), int(item["startline"]) + 1)
        )
    return dockerfile


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


def input_failure(exc: InputError) -> Verdict:
    where = exc.path if exc.line is None else f"{exc.path}:{exc.line}"
    return Verdict.failed(str(exc), Evidence(where, exc.message))


# ---------------------------------------------------------------------------------------------------
# build.lockfile-pinned / build.lockfile-hashes
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockEntry:
    """One dependency of a lockfile: where it is, whether it is pinned and hashed, and why not."""

    name: str
    location: str
    text: str
    pinned: bool
    hashed: bool
    why: str = ""


@dataclass
class Lockfile:
    """A parsed lockfile (pip requirements format with includes, poetry.lock, uv.lock, Pipfile.lock)."""

    path: Path
    shown: str
    fmt: str
    entries: list[LockEntry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


_PIN_OPS = ("==", "===")
_VCS_COMMIT = re.compile(r"@[0-9a-f]{40}(?:#|$)")
_GLOBAL_OPTIONS = {
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "--trusted-host",
    "--pre",
    "--prefer-binary",
    "--require-hashes",
    "--only-binary",
    "--no-binary",
    "--use-feature",
}


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
    """Split a requirement line into the requirement text and its options (first token starting '-')."""
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


def _judge_requirement(text: str, hashed: bool) -> tuple[str, bool, str]:
    """(name, pinned, why-not) for one requirement string."""
    if re.match(r"^(https?|file|git\+[a-z]+)://", text) or text.endswith((".whl", ".tar.gz", ".zip")):
        pinned = hashed or bool(_VCS_COMMIT.search(text))
        return text, pinned, "" if pinned else "direct URL without --hash"
    if text.startswith((".", "/")):
        return text, False, "local path, not a pinned release"
    req = Requirement(text)
    name = canonicalize_name(req.name)
    if req.url:
        pinned = hashed or bool(_VCS_COMMIT.search(req.url))
        return name, pinned, "" if pinned else f"URL {req.url} without --hash or commit"
    specs = list(req.specifier)
    if not specs:
        return name, False, "no version: bare name"
    if len(specs) == 1 and specs[0].operator in _PIN_OPS and not specs[0].version.endswith(".*"):
        return name, True, ""
    return name, False, f"range {req.specifier}, not =="


def _read_pip(path: Path, service: Service, lock: Lockfile, seen: set[Path], constraints: dict[str, str]) -> None:
    shown = service.show(path)
    if path in seen:
        return
    seen.add(path)
    lock.files.append(shown)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(shown, None, "lockfile does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(shown, None, f"cannot read lockfile: {exc}") from None
    pending: list[tuple[int, str, list[str]]] = []
    for number, line in _logical_lines(text):
        req_text, options = _split_options(line)
        if not req_text:
            head = options[0].split("=", 1)[0]
            if head in ("-r", "--requirement") or head.startswith("-r"):
                for inc in _option_value(options, "-r", "--requirement"):
                    _read_pip((path.parent / inc).resolve(), service, lock, seen, constraints)
                continue
            if head in ("-c", "--constraint") or head.startswith("-c"):
                for inc in _option_value(options, "-c", "--constraint"):
                    _read_constraints((path.parent / inc).resolve(), service, constraints, lock, seen)
                continue
            if head in ("-e", "--editable") or head.startswith("-e"):
                target = " ".join(options[1:]) or options[0][2:]
                lock.entries.append(
                    LockEntry(target, f"{shown}:{number}", line, False, False, "editable install, not a pinned release")
                )
                continue
            if head in _GLOBAL_OPTIONS:
                continue
            raise InputError(shown, number, f"unknown option {options[0]!r} in requirements file")
        pending.append((number, req_text, options))
    for number, req_text, options in pending:
        hashed = bool(_option_value(options, "--hash"))
        try:
            name, pinned, why = _judge_requirement(req_text, hashed)
        except InvalidRequirement as exc:
            raise InputError(shown, number, f"not a valid requirement {req_text!r}: {exc}") from None
        if not pinned and name in constraints:
            pinned, why = True, ""
        lock.entries.append(LockEntry(name, f"{shown}:{number}", req_text, pinned, hashed, why))


def _read_constraints(
    path: Path, service: Service, constraints: dict[str, str], lock: Lockfile, seen: set[Path]
) -> None:
    """Pins from a ``-c`` constraints file: a bare name constrained to ``==`` there counts as pinned."""
    sub = Lockfile(path, service.show(path), "pip")
    _read_pip(path, service, sub, seen, {})
    lock.files.extend(f for f in sub.files if f not in lock.files)
    for entry in sub.entries:
        if entry.pinned:
            constraints[entry.name] = entry.location


def _line_index(text: str, pattern: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _read_toml_lock(path: Path, service: Service, lock: Lockfile) -> None:
    shown = lock.shown
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"line (\d+)", str(exc))
        raise InputError(shown, int(at.group(1)) if at else None, f"invalid TOML: {exc}") from None
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise InputError(shown, 1, "no [[package]] tables")
    legacy_files = (data.get("metadata") or {}).get("files") or {}
    for pkg in packages:
        if not isinstance(pkg, dict) or "name" not in pkg:
            continue
        name = canonicalize_name(str(pkg["name"]))
        line = _line_index(text, rf'^name = "{re.escape(str(pkg["name"]))}"')
        source = pkg.get("source") or {}
        if isinstance(source, dict) and any(k in source for k in ("editable", "virtual", "directory")):
            continue  # the project itself (or a workspace member), not a dependency
        version = pkg.get("version")
        hashes = [f for f in pkg.get("files", []) if isinstance(f, dict) and f.get("hash")]
        hashes += [w for w in pkg.get("wheels", []) if isinstance(w, dict) and w.get("hash")]
        sdist = pkg.get("sdist")
        if isinstance(sdist, dict) and sdist.get("hash"):
            hashes.append(sdist)
        hashes += [f for f in legacy_files.get(pkg["name"], []) if isinstance(f, dict) and f.get("hash")]
        pinned = bool(version)
        lock.entries.append(
            LockEntry(
                name,
                f"{shown}:{line}",
                f"{pkg['name']} {version}",
                pinned,
                bool(hashes),
                "" if pinned else "no version in lock entry",
            )
        )


def _read_pipfile_lock(path: Path, lock: Lockfile) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(lock.shown, exc.lineno, f"not valid JSON: {exc.msg}") from None
    for section in ("default", "develop"):
        for name, spec in (data.get(section) or {}).items():
            if not isinstance(spec, dict):
                continue
            line = _line_index(text, rf'^\s*"{re.escape(name)}": \{{')
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
                )
            )


def read_lockfile(service: Service, rel: str) -> Lockfile:
    """Parse one declared lockfile by its name; InputError (with file:line) when missing or unparsable."""
    path = service.path(rel)
    shown = service.show(path)
    name = path.name.lower()
    if name in ("poetry.lock", "uv.lock", "pdm.lock"):
        fmt = name.split(".")[0]
    elif name == "pipfile.lock":
        fmt = "pipfile"
    else:
        fmt = "pip"
    lock = Lockfile(path, shown, fmt)
    if fmt == "pip":
        _read_pip(path.resolve(), service, lock, set(), {})
        return lock
    if not path.is_file():
        raise InputError(shown, None, "lockfile does not exist")
    lock.files.append(shown)
    try:
        if fmt == "pipfile":
            _read_pipfile_lock(path, lock)
        else:
            _read_toml_lock(path, service, lock)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(shown, None, f"cannot read lockfile: {exc}") from None
    return lock


def _lockfiles(service: Service) -> tuple[list[Lockfile], Verdict | None]:
    if not has_own_code(service):
        return [], Verdict.not_applicable(f"{service.kind} row without own code: its dependencies are in its image")
    declared = service.spec.paths("lockfiles")
    if not declared:
        return [], Verdict.failed(
            f"{service.name} has own code but declares no lockfile; add lockfiles: [requirements.lock] "
            "to its services.yaml entry",
            Evidence(service.spec.where, "services.yaml entry without lockfiles"),
        )
    locks = []
    for rel in declared:
        try:
            locks.append(read_lockfile(service, rel))
        except InputError as exc:
            return [], input_failure(exc)
    return locks, None


def lockfile_pinned(service: Service) -> Verdict:
    """build.lockfile-pinned: every dependency pinned with ==/=== (ranges, bare names, unhashed URLs fail)."""
    locks, verdict = _lockfiles(service)
    if verdict is not None:
        return verdict
    bad = [e for lock in locks for e in lock.entries if not e.pinned]
    if bad:
        evidence = [Evidence(e.location, f"{e.text}: {e.why}") for e in bad]
        names = ", ".join(f"{e.text} ({e.location})" for e in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        return Verdict.failed(
            f"{len(bad)} unpinned dependenc{'y' if len(bad) == 1 else 'ies'}: {names}{more}; "
            "pin each with == (e.g. compile a lock with pip-compile/uv pip compile)",
            *limited(evidence),
        )
    evidence = [
        Evidence(
            lock.shown,
            f"{len(lock.entries)} entries, all pinned ({lock.fmt} format"
            + (f", includes {', '.join(lock.files[1:])})" if len(lock.files) > 1 else ")"),
        )
        for lock in locks
    ]
    total = sum(len(lock.entries) for lock in locks)
    return Verdict.passed(f"{total} dependencies pinned in {', '.join(lock.shown for lock in locks)}", *evidence)


def lockfile_hashes(service: Service) -> Verdict:
    """build.lockfile-hashes: every lock entry carries a hash, so a tampered artifact cannot install."""
    locks, verdict = _lockfiles(service)
    if verdict is not None:
        return verdict
    bad = [e for lock in locks for e in lock.entries if not e.hashed]
    if bad:
        evidence = [Evidence(e.location, f"{e.text}: no --hash") for e in bad]
        return Verdict.failed(
            f"{len(bad)} of {sum(len(lock.entries) for lock in locks)} lock entries carry no hash (first: "
            f"{bad[0].text} at {bad[0].location}); regenerate with --generate-hashes and install with "
            "--require-hashes",
            *limited(evidence),
        )
    evidence = [Evidence(lock.shown, f"{len(lock.entries)} entries, every one hashed") for lock in locks]
    return Verdict.passed(f"every lock entry hashed in {', '.join(lock.shown for lock in locks)}", *evidence)


# ---------------------------------------------------------------------------------------------------
# build.no-install-at-start
# ---------------------------------------------------------------------------------------------------

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
_WRAPPERS = frozenset(
    {
        "exec",
        "sudo",
        "env",
        "nohup",
        "time",
        "command",
        "nice",
        "ionice",
        "tini",
        "dumb-init",
        "setsid",
        "stdbuf",
        "timeout",
        "--",
    }
)
_USER_WRAPPERS = frozenset({"gosu", "su-exec", "chpst"})  # take a user argument first
_INSTALL_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "pip": frozenset({"install"}),
    "pipenv": frozenset({"install", "sync"}),
    "poetry": frozenset({"install", "add"}),
    "pipx": frozenset({"install"}),
    "conda": frozenset({"install", "create", "update"}),
    "mamba": frozenset({"install", "create", "update"}),
    "micromamba": frozenset({"install", "create", "update"}),
    "apt-get": frozenset({"install"}),
    "apt": frozenset({"install"}),
    "aptitude": frozenset({"install"}),
    "apk": frozenset({"add"}),
    "yum": frozenset({"install"}),
    "dnf": frozenset({"install"}),
    "microdnf": frozenset({"install"}),
    "zypper": frozenset({"install", "in"}),
    "npm": frozenset({"install", "i", "ci", "add"}),
    "pnpm": frozenset({"install", "i", "add"}),
    "yarn": frozenset({"install", "add", ""}),
    "gem": frozenset({"install"}),
    "bundle": frozenset({"install"}),
    "cargo": frozenset({"install"}),
    "go": frozenset({"install", "get"}),
    "easy_install": frozenset({""}),
}
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_PIP = re.compile(r"^pip(\d+(\.\d+)?)?$")


def _first_arg(args: Sequence[str]) -> str:
    """First argument that is not an option (options with values are rare before the subcommand)."""
    for arg in args:
        if not arg.startswith("-"):
            return arg
    return ""


def install_in_argv(argv: Sequence[str]) -> str | None:
    """The install command an argv runs (``pip install -r x``), or None. Wrappers like exec/sudo are skipped."""
    words = list(argv)
    while words:
        head = posixpath.basename(words[0])
        if "=" in words[0] and not words[0].startswith("-") and head == words[0]:
            words = words[1:]  # VAR=value prefix
        elif head in _WRAPPERS:
            words = words[1:]
            while words and (words[0].startswith("-") or re.match(r"^\d+[smhd]?$", words[0])):
                words = words[1:]
        elif head in _USER_WRAPPERS:
            words = words[2:]
        else:
            break
    if not words:
        return None
    head = posixpath.basename(words[0])
    rest = words[1:]
    if _PYTHON.match(head) and len(rest) >= 2 and rest[0] == "-m":
        head, rest = rest[1], rest[2:]
    if head == "uv" and rest[:1] == ["pip"]:
        head, rest = "pip", rest[1:]
        if _first_arg(rest) == "sync":
            return shlex.join(words)
    elif head == "uv" and _first_arg(rest) in ("sync", "add"):
        return shlex.join(words)
    if _PIP.match(head):
        head = "pip"
    subs = _INSTALL_SUBCOMMANDS.get(head)
    if subs is None:
        return None
    sub = _first_arg(rest)
    if sub in subs or ("" in subs and not sub):
        return shlex.join(words)
    return None


@dataclass(frozen=True)
class ShellCommand:
    """One simple command found in a shell text: its argv and offset in that text."""

    argv: tuple[str, ...]
    offset: int


def _bashlex_commands(node: Any, base: int, out: list[ShellCommand]) -> None:
    kind = getattr(node, "kind", "")
    if kind == "command":
        words = [p for p in node.parts if p.kind == "word"]
        if words:
            out.append(ShellCommand(tuple(w.word for w in words), base + node.pos[0]))
    for attr in ("parts", "list"):
        for child in getattr(node, attr, None) or []:
            _bashlex_commands(child, base, out)
    inner = getattr(node, "command", None)
    if inner is not None and kind in ("commandsubstitution", "processsubstitution"):
        _bashlex_commands(inner, base, out)


_SEPARATORS = frozenset(
    {
        "&&",
        "||",
        ";",
        ";;",
        "|",
        "&",
        "(",
        ")",
        "{",
        "}",
        "!",
        "then",
        "do",
        "else",
        "elif",
        "if",
        "fi",
        "done",
        "while",
        "until",
        "esac",
        "in",
        "|&",
        ";&",
        ";;&",
    }
)


def _token_commands(line: str, offset: int) -> list[ShellCommand]:
    """Fallback for lines bashlex cannot parse: shell tokens split at control operators."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    out: list[ShellCommand] = []
    current: list[str] = []
    for token in lexer:
        if token in _SEPARATORS or set(token) <= set("();&|"):
            if current:
                out.append(ShellCommand(tuple(current), offset))
            current = []
        else:
            current.append(token)
    if current:
        out.append(ShellCommand(tuple(current), offset))
    return out


def shell_commands(text: str) -> list[ShellCommand]:
    """Every simple command of a shell text, walking bashlex's AST; ``sh -c '...'`` bodies are followed.

    Where bashlex cannot parse the text (``case``, ``[[``, arrays), each logical line is parsed alone and a
    line bashlex still rejects is tokenised with shlex, so a quoted ``echo "pip install"`` never counts.
    Raises ValueError when a line cannot be tokenised at all.
    """
    out: list[ShellCommand] = []
    try:
        for node in bashlex.parse(text):
            _bashlex_commands(node, 0, out)
    except Exception:  # bashlex raises several types (ParsingError, NotImplementedError, ...)
        out = []
        offset = 0
        for raw in re.split(r"(?<!\\)\n", text):
            stripped = raw.strip()
            if stripped and not stripped.startswith("#"):
                try:
                    for node in bashlex.parse(raw):
                        _bashlex_commands(node, offset, out)
                except Exception:
                    out.extend(_token_commands(raw.replace("\\\n", " "), offset))
            offset += len(raw) + 1
    expanded: list[ShellCommand] = []
    for cmd in out:
        expanded.append(cmd)
        body = shell_c_body(cmd.argv)
        if body is not None:
            expanded.extend(ShellCommand(inner.argv, cmd.offset) for inner in shell_commands(body))
    return expanded


def shell_c_body(argv: Sequence[str]) -> str | None:
    """The script of ``sh -c 'script'`` / ``bash -lc 'script'`` (None for any other argv)."""
    words = list(argv)
    while words and posixpath.basename(words[0]) in _WRAPPERS:
        words = words[1:]
    if not words or posixpath.basename(words[0]) not in _SHELLS:
        return None
    for index, word in enumerate(words[1:], start=1):
        if word.startswith("-") and "c" in word[1:] and not word.startswith("--"):
            return words[index + 1] if index + 1 < len(words) else None
        if not word.startswith("-"):
            return None
    return None


@dataclass
class _Scan:
    """What no-install-at-start looked at and found for one row."""

    service: Service
    findings: list[Evidence] = field(default_factory=list)
    checked: list[Evidence] = field(default_factory=list)
    seen_scripts: set[Path] = field(default_factory=set)

    def command_words(self, argv: Sequence[str], shell_form: bool) -> list[ShellCommand]:
        if shell_form:
            return shell_commands(argv[0] if len(argv) == 1 else shlex.join(argv))
        commands = [ShellCommand(tuple(argv), 0)]
        body = shell_c_body(argv)
        if body is not None:
            commands.extend(shell_commands(body))
        return commands

    def check_commands(
        self,
        commands: list[ShellCommand],
        where: str,
        what: str,
        resolve: _Resolver,
        line_of: Callable[[int], int] | None = None,
    ) -> None:
        for cmd in commands:
            install = install_in_argv(cmd.argv)
            location = f"{where.rsplit(':', 1)[0]}:{line_of(cmd.offset)}" if line_of else where
            if install:
                self.findings.append(Evidence(location, f"{what} runs `{install}` at container start"))
            for word in cmd.argv:
                script = resolve(word)
                if script is not None:
                    self.check_script(script, resolve)

    def check_script(self, path: Path, resolve: _Resolver) -> None:
        if path in self.seen_scripts or len(self.seen_scripts) > 20:
            return
        self.seen_scripts.add(path)
        shown = self.service.show(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.findings.append(Evidence(shown, f"entry script unreadable: {exc}"))
            return
        try:
            commands = shell_commands(text)
        except ValueError as exc:
            self.findings.append(Evidence(f"{shown}:1", f"entry script cannot be parsed as shell: {exc}"))
            return
        self.checked.append(Evidence(shown, f"entry script, {len(commands)} commands"))
        self.check_commands(
            commands, f"{shown}:1", "entry script", resolve, lambda offset: text.count("\n", 0, offset) + 1
        )


class _Resolver:
    """Maps a word of a command to a shell script in the repository (COPY source or bind mount)."""

    def __init__(self, container: ComposeService, dockerfile: Dockerfile | None, project_dir: Path) -> None:
        self.container = container
        self.dockerfile = dockerfile
        self.project_dir = project_dir

    def __call__(self, word: str) -> Path | None:
        if not word or word.startswith("-") or "$" in word or "=" in word:
            return None
        if not (word.endswith(".sh") or word.startswith(("/", "./"))):
            return None
        found = self._bind_mount(word)
        if found is None and self.dockerfile is not None:
            found = self.dockerfile.context_file(word)
        if found is None or not found.is_file():
            return None
        return found if _looks_like_shell(found) else None

    def _bind_mount(self, word: str) -> Path | None:
        workdir = self.dockerfile.workdir() if self.dockerfile else "/"
        target_path = posixpath.normpath(posixpath.join(workdir, word))
        for volume in self.container.volumes:
            if isinstance(volume, dict):
                source, target = str(volume.get("source", "")), str(volume.get("target", ""))
            else:
                parts = volume.split(":")
                if len(parts) < 2:
                    continue
                source, target = parts[0], parts[1]
            if not source.startswith((".", "/")) or not target:
                continue
            host = (self.project_dir / source).resolve()
            if target_path == target:
                return host
            if target_path.startswith(target.rstrip("/") + "/"):
                return host / target_path[len(target.rstrip("/")) + 1 :]
        return None


def _looks_like_shell(path: Path) -> bool:
    if path.suffix == ".sh":
        return True
    try:
        head = path.read_bytes()[:64]
    except OSError:
        return False
    return head.startswith(b"#!") and any(s in head.split(b"\n")[0] for s in (b"sh", b"bash"))


def no_install_at_start(service: Service) -> Verdict:
    """build.no-install-at-start: compose command/entrypoint, Dockerfile CMD/ENTRYPOINT and entry scripts
    install nothing at start (an image that installs on boot is not immutable). Live: the command each
    container was actually started with (Entrypoint + Cmd)."""
    return with_live(_static_no_install_at_start(service), lambda: live_no_install_at_start(service))


def live_no_install_at_start(service: Service) -> LivePart:
    """Live part of build.no-install-at-start: the same detector over each container's actual command."""
    every = every_container(service)
    if not isinstance(every, list):
        return every
    scan = _Scan(service)
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for c in every:
        argv = [*c.entrypoint, *c.cmd]
        try:
            commands = scan.command_words(argv, False) if argv else []
        except ValueError as exc:
            bad.append(Evidence(c.location, f"command cannot be parsed as shell: {exc}"))
            continue
        installs = [i for i in (install_in_argv(cmd.argv) for cmd in commands) if i]
        if installs:
            bad.extend(Evidence(c.location, f"actual command runs `{i}` at start") for i in installs)
        else:
            good.append(Evidence(c.location, f"actual command {shlex.join(argv)[:120]!r}: no install"))
    if bad:
        return Verdict.failed(
            f"{len(bad)} install(s) in the running containers' commands, first {bad[0].location}: {bad[0].detail}; "
            "install at build time and keep the start command immutable",
            *limited(bad),
        )
    return Verdict.passed(f"no install in the actual command of {len(good)} container(s)", *limited(good))


def _static_no_install_at_start(service: Service) -> Verdict:
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    scan = _Scan(service)
    project = service.stack.compose
    project_dir = project.project_dir if project else Path(".")
    for container in containers:
        try:
            dockerfile = read_dockerfile(service, container)
        except InputError as exc:
            return input_failure(exc)
        resolve = _Resolver(container, dockerfile, project_dir)
        for key, argv, shell_form in (
            ("command", container.command, container.command_shell_form),
            ("entrypoint", container.entrypoint, container.entrypoint_shell_form),
        ):
            if argv is None:
                continue
            where = container.where(key)
            try:
                commands = scan.command_words(argv, shell_form)
            except ValueError as exc:
                scan.findings.append(Evidence(where, f"compose {key} cannot be parsed as shell: {exc}"))
                continue
            scan.checked.append(Evidence(where, f"{container.name} compose {key}"))
            scan.check_commands(commands, where, f"{container.name} compose {key}", resolve)
        if dockerfile is not None:
            for name in ("ENTRYPOINT", "CMD"):
                ins = dockerfile.last(name)
                if ins is None:
                    continue
                argv_exec = exec_form(ins.value)
                try:
                    commands = (
                        scan.command_words(argv_exec, False) if argv_exec is not None else shell_commands(ins.value)
                    )
                except ValueError as exc:
                    scan.findings.append(Evidence(dockerfile.where(ins), f"{name} cannot be parsed: {exc}"))
                    continue
                scan.checked.append(Evidence(dockerfile.where(ins), f"{container.name} Dockerfile {name}"))
                scan.check_commands(commands, dockerfile.where(ins), f"{container.name} Dockerfile {name}", resolve)
        elif container.command is None and container.entrypoint is None:
            scan.checked.append(
                Evidence(container.where("image"), f"{container.name} runs its image's own command ({container.image})")
            )
    for rel in service.spec.paths("entry_scripts"):
        path = service.path(rel)
        if not path.is_file():
            return Verdict.failed(
                f"declared entry script {service.show(path)} does not exist",
                Evidence(service.show(path), "entry_scripts in services.yaml"),
            )
        scan.check_script(path, _Resolver(containers[0], None, project_dir))
    if scan.findings:
        first = scan.findings[0]
        return Verdict.failed(
            f"{len(scan.findings)} install(s) at container start, first {first.detail} at {first.location}; "
            "install at build time (a RUN line) and keep the start command immutable",
            *limited(scan.findings),
            scope=Scope.STATIC_ONLY,
        )
    return Verdict.passed(
        f"no install at start in {len(scan.checked)} command(s)/script(s) of {', '.join(c.name for c in containers)}",
        *limited(scan.checked),
        scope=Scope.STATIC_ONLY,
    )


# ---------------------------------------------------------------------------------------------------
# build.versioned-image
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into repository, tag and digest."""

    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        ref, _, digest = text.strip().partition("@")
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        if colon > slash:
            repo, tag = ref[:colon], ref[colon + 1 :]
        else:
            repo, tag = ref, None
        return cls(normalize_repository(repo), tag, digest or None)

    @property
    def key(self) -> str:
        return self.repository + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def normalize_repository(repo: str) -> str:
    """``docker.io/library/redis`` and ``redis`` are the same repository."""
    repo = repo.lower()
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix) :]
    if repo.startswith("library/") and repo.count("/") == 1:
        repo = repo[len("library/") :]
    return repo


_REF_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*(?::[A-Za-z0-9_][A-Za-z0-9._-]*)?(?:@sha256:[0-9a-f]{64})?")


def manifest_refs(text: str) -> dict[str, int]:
    """Image references a release manifest names (tables, code spans, code blocks), each with its line.

    A table with an image/repository column and a tag/version column also yields ``image:tag``.
    """
    md = MarkdownIt("commonmark").enable("table")
    refs: dict[str, int] = {}

    def add(candidate: str, line: int) -> None:
        for token in _REF_TOKEN.findall(candidate.strip().strip("`")):
            ref = ImageRef.parse(token)
            if ref.tag or ref.digest:
                refs.setdefault(ref.key, line)
                if ref.tag and ref.digest:
                    refs.setdefault(ImageRef(ref.repository, ref.tag, None).key, line)
                    refs.setdefault(ImageRef(ref.repository, None, ref.digest).key, line)

    tokens = md.parse(text)
    header: list[str] = []
    row: list[str] = []
    row_line = 0
    in_head = False
    for tok in tokens:
        if tok.type == "thead_open":
            in_head, header = True, []
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
            row_line = (tok.map[0] + 1) if tok.map else 0
        elif tok.type == "inline" and tok.map:
            line = tok.map[0] + 1
            texts = [c.content for c in tok.children or [] if c.type in ("code_inline", "text")]
            for item in texts:
                add(item, line)
            row.append(" ".join(texts).strip())
        elif tok.type == "tr_close":
            if in_head:
                header = [h.lower() for h in row]
            else:
                _table_pairs(header, row, row_line, add)
        elif tok.type in ("fence", "code_block") and tok.map:
            for offset, code_line in enumerate(tok.content.splitlines(), start=1):
                add(code_line, tok.map[0] + offset + (1 if tok.type == "fence" else 0))
    return refs


def _table_pairs(header: list[str], row: list[str], line: int, add: Any) -> None:
    image_cols = [i for i, h in enumerate(header) if any(w in h for w in ("image", "repository", "repo"))]
    tag_cols = [i for i, h in enumerate(header) if any(w in h for w in ("tag", "version"))]
    for i in image_cols:
        for j in tag_cols:
            if i != j and i < len(row) and j < len(row) and row[i] and row[j] and ":" not in row[i]:
                add(f"{row[i].split()[0]}:{row[j].split()[0]}", line)


def _release_manifest(service: Service) -> tuple[dict[str, int] | None, str, str]:
    """(image refs -> line, the manifest as shown, the problem that stopped reading it)."""
    manifest_rel = service.config.stack.get("release_manifest")
    if not manifest_rel:
        return None, "", "the stack declares no release_manifest"
    manifest_path = service.path(str(manifest_rel))
    manifest_shown = service.show(manifest_path)
    try:
        return manifest_refs(manifest_path.read_text(encoding="utf-8")), manifest_shown, ""
    except FileNotFoundError:
        return None, manifest_shown, f"release manifest {manifest_shown} does not exist"
    except (OSError, UnicodeDecodeError) as exc:
        return None, manifest_shown, f"release manifest {manifest_shown} is unreadable: {exc}"


def _manifest_line(ref: ImageRef, refs: dict[str, int]) -> int | None:
    keys = [
        ref.key,
        ImageRef(ref.repository, ref.tag, None).key if ref.digest and ref.tag else "",
        ImageRef(ref.repository, None, ref.digest).key if ref.digest else "",
    ]
    return next((refs[k] for k in keys if k and k in refs), None)


def versioned_image(service: Service) -> Verdict:
    """build.versioned-image: each container runs an explicitly tagged (not latest) or digest-pinned image
    that the release manifest lists. Live: the image each running container was created from."""
    return with_live(_static_versioned_image(service), lambda: live_versioned_image(service))


def live_versioned_image(service: Service) -> LivePart:
    """Live part of build.versioned-image: each container's Config.Image is versioned and released."""
    every = every_container(service)
    if not isinstance(every, list):
        return every
    refs, manifest_shown, manifest_problem = _release_manifest(service)
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for c in every:
        ref = ImageRef.parse(c.image)
        if not ref.digest and (not ref.tag or ref.tag == "latest"):
            what = "has no tag (implicitly latest)" if not ref.tag else "is tagged latest"
            bad.append(Evidence(c.location, f"runs image {c.image} that {what}"))
        elif refs is None:
            bad.append(Evidence(c.location, f"runs image {c.image}: {manifest_problem}"))
        elif (line := _manifest_line(ref, refs)) is None:
            bad.append(Evidence(c.location, f"runs image {c.image}, not listed in {manifest_shown}"))
        else:
            good.append(Evidence(c.location, f"runs image {c.image}, released at {manifest_shown}:{line}"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.location} {e.detail}" for e in bad], 2) + "; run the released, versioned image",
            *limited(bad),
        )
    return Verdict.passed(f"{len(good)} container(s) run released, versioned images", *limited(good))


def _static_versioned_image(service: Service) -> Verdict:
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    refs, manifest_shown, manifest_problem = _release_manifest(service)
    problems: list[str] = []
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for container in containers:
        where = container.where("image") if container.image else container.where("build")
        if not container.image:
            what = "build-only service without image:" if container.build_context else "no image:"
            problems.append(f"'{container.name}' has {what} set image: repo:VERSION")
            bad.append(Evidence(where, f"{container.name}: {what} name and tag the image it builds"))
            continue
        ref = ImageRef.parse(container.image)
        if not ref.digest and (not ref.tag or ref.tag == "latest"):
            what = "has no tag (implicitly latest)" if not ref.tag else "is tagged latest"
            problems.append(f"'{container.name}' image {container.image} {what}")
            bad.append(Evidence(where, f"{container.image} {what}; use an explicit version tag or a digest"))
            if refs is not None:
                bad.append(Evidence(manifest_shown, f"{container.image} not in the release manifest"))
            continue
        if refs is None:
            bad.append(Evidence(where, f"{container.image}: {manifest_problem}"))
            problems.append(manifest_problem)
            continue
        line = _manifest_line(ref, refs)
        if line is None:
            problems.append(f"'{container.name}' image {container.image} is not in {manifest_shown}")
            bad.append(Evidence(where, f"{container.image} not listed in the release manifest"))
            continue
        good.append(Evidence(where, f"{container.name}: {container.image}"))
        good.append(Evidence(f"{manifest_shown}:{line}", f"{container.image} released"))
    if problems:
        problems = list(dict.fromkeys(problems))
        return Verdict.failed(
            join_reasons(problems) + "; release versioned images and list them in the manifest",
            *limited(bad),
            scope=Scope.STATIC_ONLY,
        )
    return Verdict.passed(
        f"{len(containers)} image(s) versioned and listed in {manifest_shown}", *limited(good), scope=Scope.STATIC_ONLY
    )
