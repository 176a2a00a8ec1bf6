"""What a container healthcheck actually proves about its service.

A healthcheck that pings Redis keeps reporting "healthy" while the service itself is wedged, one that
ends in ``|| true`` reports healthy whatever happens, and ``pgrep`` only proves a process exists. So
the test is parsed and its exit status computed the way the shell computes it (``shell``), each
command's target is resolved against the service's own names and ports (``targets``), and a script it
runs is read from the build context (``scripts``). The verdict:

* ``liveness``: the service's own probe decides: when it fails, the healthcheck fails;
* ``connectivity-only`` / ``freshness-based`` / ``process-only``: what decides is a dependency, a
  file's age, or a process's existence, not the service answering;
* ``cannot-fail``: it exits 0 whatever its probes return; it is no healthcheck at all;
* ``not-observed``: it runs a script that cannot be read (never liveness because of a name);
* ``none`` / ``unknown``.
"""

from __future__ import annotations

import ast
import enum
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import pycode
from .hosts import Probe
from .scripts import Script, ScriptLocator, Unseen
from .shell import Cmd, Const, Node, Parser, Program, ShellParseError, statuses
from .targets import CommandReader, Reading

__all__ = [
    "Classification",
    "HealthcheckKind",
    "Probe",
    "Script",
    "ScriptLocator",
    "Unseen",
    "classify_healthcheck",
    "test_body",
]

MAX_ATOMS = 12


class HealthcheckKind(enum.StrEnum):
    """What a healthcheck proves about its service."""

    LIVENESS = "liveness"
    CONNECTIVITY_ONLY = "connectivity-only"
    FRESHNESS_BASED = "freshness-based"
    PROCESS_ONLY = "process-only"
    CANNOT_FAIL = "cannot-fail"
    NOT_OBSERVED = "not-observed"
    NONE = "none"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Classification:
    """The verdict plus a one-line reason that names the deciding command."""

    kind: HealthcheckKind
    reason: str
    probes: tuple[Probe, ...] = ()


def test_body(test: Sequence[str] | str | None) -> str | list[str] | None:
    """A shell string (CMD-SHELL) or an argv list (CMD); None when there is no test or it is NONE."""
    if test is None:
        return None
    if isinstance(test, str):
        return test if test.strip() else None
    words = [str(w) for w in test]
    if not words or words[0].upper() == "NONE":
        return None
    if words[0].upper() == "CMD-SHELL":
        text = " ".join(words[1:])
        return text if text.strip() else None
    if words[0].upper() == "CMD":
        words = words[1:]
    return words or None


_URL_IN_TEXT = re.compile(r"""\b(https?|tcp|grpc)://([^\s'"`/?#]+)""", re.IGNORECASE)
_NODE_OPTIONS_HOST = re.compile(r"\b(host|hostname)\s*:\s*['\"`]([A-Za-z0-9_.:\[\]-]+)['\"`]")
_NODE_PORT = re.compile(r"\bport\s*:\s*(?:process\.env\.\w+\s*\|\|\s*)?['\"]?(\d{1,5})")
_NODE_PORT_DEFAULT = re.compile(r"process\.env\.\w*PORT\w*\s*\|\|\s*['\"]?(\d{1,5})")
_NODE_EXIT = re.compile(r"process\.exit\(\s*(?!0\s*\))|process\.exitCode\s*=\s*[1-9]|throw\b")


class _Classifier:
    def __init__(self, reader: CommandReader, scripts: ScriptLocator | None) -> None:
        self.reader = reader
        self.scripts = scripts
        self.parser = Parser(reader, self.script_program)

    def script_program(self, path: str, args: Sequence[str], depth: int) -> tuple[Node, str] | str:
        """The tree of a script the healthcheck runs, or why it cannot be read."""
        if self.scripts is None:
            return f"{path} is a script whose contents cannot be read here"
        found = self.scripts.find(path)
        if isinstance(found, Unseen):
            return found.reason
        via = f"{found.shown} via {found.via}"
        command = f"{path} ({via})"
        if found.language == "shell" or (found.language == "other" and found.text.strip()):
            try:
                return self.parser.parse(found.text, depth), via
            except ShellParseError as exc:
                return f"{found.shown}: {exc}"
        if found.language == "python":
            try:
                tree = ast.parse(found.text)
            except SyntaxError as exc:
                return f"{found.shown}:{exc.lineno}: Python that does not parse: {exc.msg}"
            probes = pycode.probes_of(tree, found.text, self.reader.network_probe, command)
            if not pycode.can_fail(tree):
                return Const(0), via
            return self.synthetic(command, probes), via
        if found.language == "node":
            probes = [
                self.reader.network_probe(command, *self.host_port(m.group(2)), "requests", f"endpoint {m.group(0)}")
                for m in _URL_IN_TEXT.finditer(found.text)
            ]
            for m in _NODE_OPTIONS_HOST.finditer(found.text):
                # http.get({host: '127.0.0.1', port, path: '/health'}): the options-object form
                port = _NODE_PORT.search(found.text, m.start()) or _NODE_PORT_DEFAULT.search(found.text)
                shown = f"{{host: '{m.group(2)}'{', port ' + port.group(1) if port else ''}}}"
                probes.append(
                    self.reader.network_probe(
                        command, m.group(2), port.group(1) if port else None, "requests", f"endpoint {shown}"
                    )
                )
            if not _NODE_EXIT.search(found.text):
                return Const(0), via
            return self.synthetic(command, probes), via
        return f"{found.shown} is a binary file; what it checks cannot be read"

    @staticmethod
    def host_port(text: str) -> tuple[str | None, str | None]:
        from .hosts import split_host_port

        return split_host_port(text)

    def synthetic(self, command: str, probes: list[Probe]) -> Node:
        reading = Reading(probes=probes or [Probe("other", command, None, "probes nothing recognisable")])
        cmd = Cmd(command, reading)
        self.parser.atoms.append(cmd)
        cmd.atom = len(self.parser.atoms) - 1
        return cmd

    def program(self, body: str | list[str]) -> Program:
        if isinstance(body, str):
            return self.parser.program(body)
        return self.parser.argv(body, shlex.join(body))


def _category(cmd: Cmd) -> str:
    if cmd.unseen is not None:
        return "unseen"
    kinds = {p.kind for p in cmd.reading.probes}
    if not kinds:
        return "other"
    if kinds == {"liveness"}:
        return "liveness"
    for kind in ("connectivity", "freshness", "process"):
        if kind in kinds:
            return kind
    return "other"


def _describe(cmd: Cmd) -> str:
    if cmd.unseen is not None:
        return cmd.unseen
    probe = next((p for p in cmd.reading.probes if p.kind != "liveness"), None) or (
        cmd.reading.probes[0] if cmd.reading.probes else None
    )
    if probe is None:
        return f"runs '{cmd.text[:80]}', which is not a known probe"
    return f"{probe.detail} ({probe.command[:120]})"


def _decide(program: Program, service: str, shown: str) -> Classification:
    atoms = program.atoms
    probes = tuple(p for a in atoms for p in a.reading.probes)
    if len(atoms) > MAX_ATOMS:
        return Classification(HealthcheckKind.UNKNOWN, f"runs {len(atoms)} probing commands; too many to judge", probes)
    table = statuses(program)
    if all(status == 0 for status in table.values()):
        return Classification(
            HealthcheckKind.CANNOT_FAIL,
            f"exits 0 whatever its commands return ({shown[:120]}); it cannot report the service unhealthy",
            probes,
        )
    if all(status != 0 for status in table.values()):
        return Classification(
            HealthcheckKind.UNKNOWN, f"never exits 0 ({shown[:120]}); the container is never healthy", probes
        )
    categories = [_category(a) for a in atoms]
    own = [i for i, c in enumerate(categories) if c == "liveness"]

    def fails_without(group: list[int]) -> bool:
        return all(status != 0 for values, status in table.items() if not any(values[i] for i in group))

    def relevant(index: int) -> bool:
        for values, status in table.items():
            flipped = tuple(not v if i == index else v for i, v in enumerate(values))
            if table[flipped] != status:
                return True
        return False

    relevant_atoms = [i for i in range(len(atoms)) if relevant(i)]
    if own and fails_without(own):
        first = atoms[own[0]]
        via = f" (in {first.via})" if first.via else ""
        reason = f"{first.reading.probes[0].detail} ({first.reading.probes[0].command[:120]}){via}"
        deps = [atoms[i] for i in relevant_atoms if categories[i] == "connectivity"]
        if deps:
            reason += f"; note: it also fails when a dependency is down ({_describe(deps[0])})"
        return Classification(HealthcheckKind.LIVENESS, reason, probes)
    decisive = {categories[i] for i in relevant_atoms}
    fallback = ""
    if any(categories[i] == "liveness" for i in relevant_atoms):
        own_cmd = next(atoms[i] for i in relevant_atoms if categories[i] == "liveness")
        fallback = f"; its own probe ({own_cmd.text[:80]}) runs only as a fallback, so it does not decide"
    for category, kind in (
        ("unseen", HealthcheckKind.NOT_OBSERVED),
        ("freshness", HealthcheckKind.FRESHNESS_BASED),
        ("connectivity", HealthcheckKind.CONNECTIVITY_ONLY),
        ("process", HealthcheckKind.PROCESS_ONLY),
        ("other", HealthcheckKind.UNKNOWN),
    ):
        if category in decisive:
            candidates = [atoms[i] for i in relevant_atoms if categories[i] == category]
            cmd = sorted(candidates, key=lambda a: not any(p.target for p in a.reading.probes))[0]
            via = f" (in {cmd.via})" if cmd.via else ""
            reason = _describe(cmd) + via + fallback
            if kind is HealthcheckKind.CONNECTIVITY_ONLY:
                reason += f"; does not probe {service}'s own process"
            elif kind is HealthcheckKind.PROCESS_ONLY:
                reason += "; that holds while the container runs at all, even with the service wedged"
            elif kind is HealthcheckKind.UNKNOWN:
                reason = "not understood: " + reason
            return Classification(kind, reason, probes)
    return Classification(HealthcheckKind.UNKNOWN, f"not understood: {shown[:120]}", probes)


def classify_healthcheck(
    test: Sequence[str] | str | None,
    *,
    service: str,
    dependencies: Iterable[str] = (),
    own_ports: Iterable[int | str] = (),
    aliases: Iterable[str] = (),
    environment: Mapping[str, str | None] | None = None,
    scripts: ScriptLocator | None = None,
) -> Classification:
    """Decide what ``test`` proves: the service itself, a dependency, a file's age, a process, or nothing.

    ``test`` is a compose/Docker test (``["CMD", ...]``, ``["CMD-SHELL", s]``, ``["NONE"]``) or a shell
    string. ``aliases`` are extra names that reach this container; ``environment`` resolves ``$VAR``;
    ``scripts`` finds a script the test runs."""
    try:
        body = test_body(test)
    except Exception as exc:  # a non-iterable or otherwise strange test value
        return Classification(HealthcheckKind.UNKNOWN, f"could not read healthcheck test {str(test)[:80]!r}: {exc}")
    if body is None:
        disabled = isinstance(test, Sequence) and not isinstance(test, str) and len(test) > 0
        disabled = disabled and str(test[0]).upper() == "NONE"  # type: ignore[index]
        reason = "healthcheck disabled (test: NONE)" if disabled else "no healthcheck test defined"
        return Classification(HealthcheckKind.NONE, reason)
    reader = CommandReader(
        service=service,
        dependencies=frozenset(d.lower() for d in dependencies),
        own_names=frozenset(n.lower() for n in (service, *aliases)),
        own_ports=frozenset(p for p in (str(q).split("/")[0] for q in own_ports) if p.isdigit()),
        environment=dict(environment or {}),
    )
    shown = body if isinstance(body, str) else shlex.join(body)
    try:
        program = _Classifier(reader, scripts).program(body)
    except ShellParseError as exc:
        return Classification(HealthcheckKind.UNKNOWN, str(exc))
    except RecursionError:
        return Classification(HealthcheckKind.UNKNOWN, f"nests too deeply to follow: {shown[:80]}")
    return _decide(program, service, shown)
