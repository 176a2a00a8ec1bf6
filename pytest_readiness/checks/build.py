"""Build & reproducibility criteria: pinned lockfiles, no installs at container start, versioned images.

The lockfiles are the service's declared ones, else the ones in its build context (``lockfiles``);
the commands are what Compose resolved (a string ``command`` already split as Docker runs it) and the
judged Dockerfile stage (``build.target``), plus the entry scripts they run; the image tags are judged
by ``images`` and, where the stack declares one, against its release manifest.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import bashlex
from markdown_it import MarkdownIt

from .. import lockfiles as lockmod
from ..artifacts import ArtifactError
from ..compose import ComposeService
from ..context import Service
from ..dockerfile import Dockerfile, exec_form
from ..errors import InputError
from ..images import ImageRef, floating_reason
from ..live import LivePart, every_container, with_live
from ..lockfiles import Lockfile
from ..results import Evidence, Scope, Verdict
from .common import (
    containers_of,
    dockerfile_of,
    fixes,
    has_own_code,
    input_failure,
    join_reasons,
    limited,
    third_party_reason,
)

# ---------------------------------------------------------------------------------------------------
# build.lockfile-pinned / build.lockfile-hashes
# ---------------------------------------------------------------------------------------------------


def row_lockfiles(service: Service) -> tuple[list[Path], str]:
    """The row's lockfiles: declared in services.yaml, else found in its build contexts (and how)."""
    declared = service.spec.paths("lockfiles")
    if declared:
        return [service.path(rel) for rel in declared], "declared in services.yaml"
    found: list[Path] = []
    folders: list[Path] = []
    installed: set[str] | None = set()
    try:
        containers = [c for c in service.compose_services if c.build_context is not None]
        folders = [c.build_context for c in containers if c.build_context is not None]
        for container in containers:
            dockerfile = dockerfile_of(service, container)
            names = dockerfile.requirement_files() if dockerfile is not None else None
            installed = None if names is None or installed is None else installed | names
    except (InputError, Exception):
        folders, installed = [], None
    if service.spec.raw.get("code"):
        folders.append(service.path(str(service.spec.raw["code"])))
        installed = None
    for folder in dict.fromkeys(folders):
        found.extend(p for p in lockmod.discover(service.artifacts, folder) if p not in found)
    shown = ", ".join(service.show(f) for f in dict.fromkeys(folders)) or "(no build context)"
    how = f"found in the build context {shown}"
    kept = lockmod.installed_by_image(found, installed)
    if kept != found and installed:
        return kept, how + f" (the judged image installs {', '.join(sorted(installed))})"
    return found, how


def _lockfiles(service: Service) -> tuple[list[Lockfile], str, Verdict | None]:
    if not has_own_code(service):
        return [], "", Verdict.not_applicable(third_party_reason(service))
    paths, how = row_lockfiles(service)
    if not paths:
        where = service.spec.where
        try:
            context = next((c for c in service.compose_services if c.build_context is not None), None)
        except Exception:
            context = None
        folder = service.show(context.build_context) if context and context.build_context else "the service's code"
        return (
            [],
            how,
            Verdict.failed(
                f"{service.name} is built from own code but {folder} holds no lockfile or requirements file; "
                "its dependencies float with every build",
                Evidence(where, "services.yaml entry (no lockfiles)"),
                fix=f"{folder}: add a lockfile (e.g. `uv pip compile requirements.in -o requirements.txt`, "
                "`npm install --package-lock-only`) and list it under lockfiles",
            ),
        )
    locks = []
    for path in paths:
        try:
            locks.append(
                service.stack.memo("lockfile", str(path), partial(lockmod.read_lockfile, service.artifacts, path))
            )
        except InputError as exc:
            return [], how, input_failure(exc)
    return locks, how, None


def known_pins(service: Service) -> dict[str, tuple[str, str]]:
    """Versions the stack pins somewhere (name -> (version, where)): the fix for a floating dependency."""

    def make() -> dict[str, tuple[str, str]]:
        pins: dict[str, tuple[str, str]] = {}
        for row in service.config.services:
            for rel in row.paths("lockfiles"):
                try:
                    lock = lockmod.read_lockfile(service.artifacts, service.path(rel))
                except InputError:
                    continue
                for entry in lock.entries:
                    if entry.pinned and entry.version:
                        pins.setdefault(entry.name, (entry.version, entry.location))
        return pins

    result: dict[str, tuple[str, str]] = service.stack.memo("pins", None, make)
    return result


def _pin_fix(entry: lockmod.LockEntry, pins: dict[str, tuple[str, str]]) -> str:
    known = pins.get(entry.name)
    if known:
        return f"{entry.location}: pin {entry.name}=={known[0]} (the version {known[1]} pins)"
    if entry.why.startswith("range '") and "package.json" in entry.why:
        return f"{entry.location}: commit a lockfile (npm install --package-lock-only) beside package.json"
    return f"{entry.location}: pin {entry.name} with == to the version you test (or compile a lock: uv pip compile)"


def lockfile_pinned(service: Service) -> Verdict:
    """build.lockfile-pinned: every dependency pinned with ==/=== or by a lock (ranges, bare names, unhashed
    URLs fail)."""
    locks, how, verdict = _lockfiles(service)
    if verdict is not None:
        return verdict
    bad = [e for lock in locks for e in lock.entries if not e.pinned]
    if bad:
        evidence = [Evidence(e.location, f"{e.text}: {e.why}") for e in bad]
        names = ", ".join(f"{e.text} ({e.location})" for e in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        pins = known_pins(service)
        return Verdict.failed(
            f"{len(bad)} unpinned dependenc{'y' if len(bad) == 1 else 'ies'}: {names}{more}; "
            "pin each with == (e.g. compile a lock with pip-compile/uv pip compile)",
            *limited(evidence),
            fix=fixes([_pin_fix(e, pins) for e in bad]),
        )
    evidence = [
        Evidence(
            lock.shown,
            f"{len(lock.entries)} entries, all pinned ({lock.fmt} format, {how}"
            + (f", includes {', '.join(lock.files[1:])})" if len(lock.files) > 1 else ")"),
        )
        for lock in locks
    ]
    total = sum(len(lock.entries) for lock in locks)
    return Verdict.passed(f"{total} dependencies pinned in {', '.join(lock.shown for lock in locks)}", *evidence)


def lockfile_hashes(service: Service) -> Verdict:
    """build.lockfile-hashes: every lock entry carries a hash, so a tampered artifact cannot install."""
    locks, _how, verdict = _lockfiles(service)
    if verdict is not None:
        return verdict
    bad = [e for lock in locks for e in lock.entries if not e.hashed]
    if bad:
        evidence = [Evidence(e.location, f"{e.text}: no --hash") for e in bad]
        first_lock = next(lock for lock in locks if any(e in bad for e in lock.entries))
        return Verdict.failed(
            f"{len(bad)} of {sum(len(lock.entries) for lock in locks)} lock entries carry no hash (first: "
            f"{bad[0].text} at {bad[0].location}); regenerate with --generate-hashes and install with "
            "--require-hashes",
            *limited(evidence),
            fix=f"{first_lock.shown}:1: regenerate with hashes (uv pip compile --generate-hashes, poetry lock) "
            "and install with --require-hashes",
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
    "composer": frozenset({"install", "require", "update"}),
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
    if (
        head == "wp"
        and len(rest) >= 2
        and rest[0] in ("plugin", "theme", "core")
        and rest[1]
        in (
            "install",
            "update",
            "download",
        )
    ):
        return shlex.join(words)  # WP-CLI downloads plugin/theme/core code at start
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


_NPM_LIFECYCLE = frozenset({"start", "test", "stop", "restart"})


def _package_script(argv: Sequence[str]) -> str | None:
    """The package.json script a command runs: ``npm start``, ``npm run X``, ``yarn X``, ``pnpm run X``."""
    words = [w for w in argv if not w.startswith("-")]
    if not words or posixpath.basename(words[0]) not in ("npm", "yarn", "pnpm"):
        return None
    rest = words[1:]
    if rest[:1] in (["run"], ["run-script"]) and len(rest) >= 2:
        return rest[1]
    if rest and (rest[0] in _NPM_LIFECYCLE or posixpath.basename(words[0]) != "npm"):
        return rest[0] if rest[0] not in ("install", "add", "ci", "exec", "dlx") else None
    return None


@dataclass
class _Scan:
    """What no-install-at-start looked at and found for one row."""

    service: Service
    findings: list[Evidence] = field(default_factory=list)
    checked: list[Evidence] = field(default_factory=list)
    seen_scripts: set[Path] = field(default_factory=set)
    seen_package_scripts: set[tuple[Path, str]] = field(default_factory=set)

    def command_words(self, argv: Sequence[str]) -> list[ShellCommand]:
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
            script_name = _package_script(cmd.argv)
            if script_name is not None:
                self.check_package_script(script_name, resolve)
            for word in cmd.argv:
                script = resolve(word)
                if script is not None:
                    self.check_script(script, resolve)

    def check_package_script(self, name: str, resolve: _Resolver) -> None:
        """``npm start`` / ``yarn run build`` runs ``scripts.NAME`` of the image's package.json."""
        path = resolve.package_json()
        if path is None or (path, name) in self.seen_package_scripts or len(self.seen_package_scripts) > 20:
            return
        self.seen_package_scripts.add((path, name))
        shown = self.service.show(path)
        try:
            text = self.service.artifacts.text(path).text
            scripts = self.service.artifacts.json(path).data.get("scripts") or {}
        except (ArtifactError, AttributeError):
            return
        body = scripts.get(name) if isinstance(scripts, dict) else None
        if not isinstance(body, str):
            return
        match = re.search(rf'"{re.escape(name)}"\s*:', text)
        line = text.count("\n", 0, match.start()) + 1 if match else 1
        try:
            commands = shell_commands(body)
        except ValueError:
            return
        self.checked.append(Evidence(f"{shown}:{line}", f"package.json scripts.{name}"))
        self.check_commands(commands, f"{shown}:{line}", f"package.json scripts.{name}", resolve)

    def check_script(self, path: Path, resolve: _Resolver) -> None:
        if path in self.seen_scripts or len(self.seen_scripts) > 20:
            return
        self.seen_scripts.add(path)
        shown = self.service.show(path)
        try:
            text = self.service.artifacts.text(path).text
        except ArtifactError as exc:
            self.findings.append(Evidence(shown, f"entry script unreadable: {exc.message}"))
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

    def __init__(self, service: Service, container: ComposeService, dockerfile: Dockerfile | None) -> None:
        self.service = service
        self.container = container
        self.dockerfile = dockerfile

    def __call__(self, word: str) -> Path | None:
        if not word or word.startswith("-") or "$" in word or "=" in word:
            return None
        if not (word.endswith(".sh") or word.startswith(("/", "./"))):
            return None
        found = self._bind_mount(word)
        if found is None and self.dockerfile is not None:
            copied = self.dockerfile.context_file(word)
            found = copied[0] if copied else None
        if found is None or not self.service.artifacts.is_file(found):
            return None
        return found if self._looks_like_shell(found) else None

    def package_json(self) -> Path | None:
        """The package.json in the container's working directory (copied in, bind-mounted, or the
        build context's own)."""
        found = self._bind_mount("package.json")
        if found is None and self.dockerfile is not None:
            copied = self.dockerfile.context_file("package.json")
            found = copied[0] if copied else None
        if found is None and self.container.build_context is not None:
            found = self.container.build_context / "package.json"
        return found if found is not None and self.service.artifacts.is_file(found) else None

    def _bind_mount(self, word: str) -> Path | None:
        workdir = self.dockerfile.workdir() if self.dockerfile else "/"
        target_path = posixpath.normpath(posixpath.join(workdir, word))
        for mount in self.container.volumes:
            if mount.type != "bind" or not mount.target:
                continue
            host = Path(mount.source)
            target = mount.target.rstrip("/")
            if target_path == target:
                return host
            if target_path.startswith(target + "/"):
                return host / target_path[len(target) + 1 :]
        return None

    def _looks_like_shell(self, path: Path) -> bool:
        if path.suffix == ".sh":
            return True
        try:
            head = self.service.artifacts.text(path).text[:64]
        except ArtifactError:
            return False
        return head.startswith("#!") and any(s in head.split("\n")[0] for s in ("sh", "bash"))


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
            commands = scan.command_words(argv) if argv else []
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
    for container in containers:
        try:
            dockerfile = dockerfile_of(service, container)
        except InputError as exc:
            return input_failure(exc)
        resolve = _Resolver(service, container, dockerfile)
        for key, argv in (("command", container.command), ("entrypoint", container.entrypoint)):
            if argv is None:
                continue
            where = container.where(key)
            try:
                commands = scan.command_words(argv)
            except ValueError as exc:
                scan.findings.append(Evidence(where, f"compose {key} cannot be parsed as shell: {exc}"))
                continue
            scan.checked.append(Evidence(where, f"{container.name} compose {key}"))
            scan.check_commands(commands, where, f"{container.name} compose {key}", resolve)
        if dockerfile is not None:
            stage = f" (stage {dockerfile.stage})" if dockerfile.stage else ""
            for name in ("ENTRYPOINT", "CMD"):
                ins = dockerfile.last(name)
                if ins is None:
                    continue
                argv_exec = exec_form(ins.value)
                try:
                    commands = scan.command_words(argv_exec) if argv_exec is not None else shell_commands(ins.value)
                except ValueError as exc:
                    scan.findings.append(Evidence(dockerfile.where(ins), f"{name} cannot be parsed: {exc}"))
                    continue
                scan.checked.append(Evidence(dockerfile.where(ins), f"{container.name} Dockerfile {name}{stage}"))
                scan.check_commands(commands, dockerfile.where(ins), f"{container.name} Dockerfile {name}", resolve)
        elif container.command is None and container.entrypoint is None:
            scan.checked.append(
                Evidence(container.where("image"), f"{container.name} runs its image's own command ({container.image})")
            )
    for rel in service.spec.paths("entry_scripts"):
        path = service.path(rel)
        if not service.artifacts.is_file(path):
            return Verdict.failed(
                f"declared entry script {service.show(path)} does not exist",
                Evidence(service.show(path), "entry_scripts in services.yaml"),
                fix=f"{service.spec.where}: fix entry_scripts (no file {service.show(path)})",
            )
        scan.check_script(path, _Resolver(service, containers[0], None))
    if scan.findings:
        first = scan.findings[0]
        return Verdict.failed(
            f"{len(scan.findings)} install(s) at container start, first {first.detail} at {first.location}; "
            "install at build time (a RUN line) and keep the start command immutable",
            *limited(scan.findings),
            scope=Scope.STATIC_ONLY,
            fix=fixes(
                [
                    f"{f.location}: move the install into a Dockerfile RUN line and start the program directly"
                    for f in scan.findings
                ]
            ),
        )
    return Verdict.passed(
        f"no install at start in {len(scan.checked)} command(s)/script(s) of {', '.join(c.name for c in containers)}",
        *limited(scan.checked),
        scope=Scope.STATIC_ONLY,
    )


# ---------------------------------------------------------------------------------------------------
# build.versioned-image
# ---------------------------------------------------------------------------------------------------


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
    """(image refs -> line, the manifest as shown, the problem that stopped reading it); ``None, "", ""``
    when the stack declares no manifest (then the tag alone is judged, and the evidence says so)."""
    manifest_rel = service.config.stack.get("release_manifest")
    if not manifest_rel:
        return None, "", ""
    manifest_path = service.path(str(manifest_rel))
    manifest_shown = service.show(manifest_path)

    def make() -> dict[str, int]:
        return manifest_refs(service.artifacts.text(manifest_path).text)

    try:
        refs: dict[str, int] = service.stack.memo("manifest", str(manifest_path), make)
        return refs, manifest_shown, ""
    except ArtifactError as exc:
        if exc.missing:
            return None, manifest_shown, f"release manifest {manifest_shown} does not exist"
        return None, manifest_shown, f"release manifest {exc}"


def _manifest_line(ref: ImageRef, refs: dict[str, int]) -> int | None:
    keys = [
        ref.key,
        ImageRef(ref.repository, ref.tag, None).key if ref.digest and ref.tag else "",
        ImageRef(ref.repository, None, ref.digest).key if ref.digest else "",
    ]
    return next((refs[k] for k in keys if k and k in refs), None)


def versioned_image(service: Service) -> Verdict:
    """build.versioned-image: each container runs an image with a release tag or a digest (not latest, not a
    bare major, not a channel), listed in the release manifest when the stack declares one. Live: the image
    each running container was created from."""
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
        floats = floating_reason(ref)
        if floats:
            bad.append(Evidence(c.location, f"runs image {c.image} that {floats}"))
        elif manifest_problem:
            bad.append(Evidence(c.location, f"runs image {c.image}: {manifest_problem}"))
        elif refs is not None and (line := _manifest_line(ref, refs)) is None:
            bad.append(Evidence(c.location, f"runs image {c.image}, not listed in {manifest_shown}"))
        else:
            released = f", released at {manifest_shown}:{line}" if refs is not None else ""
            good.append(Evidence(c.location, f"runs image {c.image}{released}"))
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
    todo: list[str] = []
    for container in containers:
        where = container.where("image") if container.image else container.where("build")
        if not container.image:
            what = "build-only service without image:" if container.builds else "no image:"
            problems.append(f"'{container.name}' has {what} set image: repo:VERSION")
            bad.append(Evidence(where, f"{container.name}: {what} name and tag the image it builds"))
            todo.append(
                f"{container.where()}: under services.{container.name} add  "
                f"image: <registry>/{container.name}:<version>"
            )
            continue
        ref = ImageRef.parse(container.image)
        floats = floating_reason(ref)
        if floats:
            problems.append(f"'{container.name}' image {container.image} {floats}")
            bad.append(Evidence(where, f"{container.image} {floats}; use a release tag or a digest"))
            todo.append(
                f"{where}: set  image: {ref.repository}:<release, e.g. the exact version you run> (or @sha256:...)"
            )
            continue
        if manifest_problem:
            bad.append(Evidence(where, f"{container.image}: {manifest_problem}"))
            problems.append(manifest_problem)
            todo.append(
                f"{service.config.where(('stack', 'release_manifest'))}: point release_manifest at the manifest"
            )
            continue
        if refs is None:
            good.append(
                Evidence(
                    where,
                    f"{container.name}: {container.image} (release tag; the stack declares no "
                    "release_manifest, so the tag alone was judged)",
                )
            )
            continue
        line = _manifest_line(ref, refs)
        if line is None:
            problems.append(f"'{container.name}' image {container.image} is not in {manifest_shown}")
            bad.append(Evidence(where, f"{container.image} not listed in the release manifest"))
            todo.append(f"{manifest_shown}: list {container.image} in the release manifest")
            continue
        good.append(Evidence(where, f"{container.name}: {container.image}"))
        good.append(Evidence(f"{manifest_shown}:{line}", f"{container.image} released"))
    if problems:
        problems = list(dict.fromkeys(problems))
        return Verdict.failed(
            join_reasons(problems)
            + "; release versioned images"
            + (" and list them in the manifest" if refs is not None else ""),
            *limited(bad),
            scope=Scope.STATIC_ONLY,
            fix=fixes(todo),
        )
    listed = f" and listed in {manifest_shown}" if refs is not None else ""
    return Verdict.passed(f"{len(containers)} image(s) versioned{listed}", *limited(good), scope=Scope.STATIC_ONLY)
