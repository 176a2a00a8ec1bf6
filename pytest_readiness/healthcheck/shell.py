"""How a healthcheck's shell text exits: which of its commands decide the status Docker sees.

The text is parsed with ``bashlex`` into a small tree (and/or lists, sequences, pipelines, ``if``,
loops, groups, subshells, ``exit``), and that tree is *run* symbolically: every command that probes
something is a boolean variable, and the tree is evaluated for every assignment of them, the way
``/bin/sh`` would compute ``$?``. So the shell's own rules decide, not patterns:

* ``probe || true``, ``probe; exit 0``, ``probe; echo done``, ``probe | tee f`` always succeed;
* in ``curl dependency || curl self`` the own probe is only a fallback: it never decides alone;
* ``a | grep -q PONG`` is decided by ``a`` (grep only reads it); without ``pipefail`` a pipeline
  is its last command's status; ``set -e`` and ``sh -e`` stop at the first failure;
* ``test -n "$(find f -mmin -2)"`` and ``x=$(probe); [ "$x" = ok ]`` are decided by the substitution.

``Program`` holds the tree; ``evaluate`` returns the exit status for each assignment.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import bashlex

from .targets import CommandReader, Reading

MAX_NESTING = 6
MAX_LOOP = 3


class ShellParseError(Exception):
    """Shell text that bashlex cannot parse."""


# --------------------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------------------


@dataclass
class Cmd:
    """One simple command. ``atom`` is set when its outcome is a variable (it probes something)."""

    text: str
    reading: Reading
    atom: int | None = None
    program: Node | None = None  # sh -c BODY, or a script the command runs (separate process)
    derived: tuple[Node, ...] = ()  # substitutions whose output the command tests
    literal: int | None = None  # a test of literal values, already decided (0 or 1)
    unseen: str | None = None  # a script that could not be read: why
    via: str = ""  # for a script: where it was read from


@dataclass
class AndOr:
    parts: list[Node]
    ops: list[str]


@dataclass
class Seq:
    items: list[Node]


@dataclass
class Pipe:
    items: list[Node]
    negated: bool = False


@dataclass
class If:
    branches: list[tuple[Node, Node]]
    orelse: Node | None


@dataclass
class Loop:
    kind: str  # for | while | until
    cond: Node | None
    body: Node


@dataclass
class Group:
    body: Node
    subshell: bool


@dataclass
class Background:
    node: Node


@dataclass
class Const:
    status: int


Node = Cmd | AndOr | Seq | Pipe | If | Loop | Group | Background | Const


@dataclass
class Program:
    """A parsed healthcheck (or script) and the commands whose outcome varies."""

    root: Node
    atoms: list[Cmd] = field(default_factory=list)
    errexit: bool = False
    pipefail: bool = False


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


def _matching_paren(text: str, start: int) -> int:
    """Index just past the ``)`` closing the ``(`` at ``start``; -1 if unbalanced."""
    depth, pos, quote = 0, start, ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\" and quote == '"':
                pos += 1
            elif char == quote:
                quote = ""
        elif char == "'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return -1


def mask_arithmetic(text: str) -> tuple[str, list[tuple[int, int, list[str]]]]:
    """Blank out ``$(( ... ))`` (same length, so positions hold; bashlex does not implement it) and
    return, per span, the commands substituted inside it; ``[[ ]]`` is read as ``[ ]``."""
    spans: list[tuple[int, int, list[str]]] = []
    out = list(text)
    pos = 0
    while (start := text.find("$((", pos)) >= 0:
        end = _matching_paren(text, start + 1)
        if end < 0:
            break
        body = text[start + 3 : end - 2]
        inner: list[str] = []
        scan = 0
        while (sub := body.find("$(", scan)) >= 0:
            close = _matching_paren(body, sub + 1)
            if close < 0:
                break
            if body.startswith("$((", sub):
                scan = sub + 3
                continue
            inner.append(body[sub + 2 : close - 1])
            scan = close
        inner.extend(re.findall(r"`([^`]*)`", body))
        out[start:end] = "1" * (end - start)
        spans.append((start, end, inner))
        pos = end
    masked = "".join(out)
    masked = re.sub(r"(^|[\s;&|(!])\[\[(?=\s)", r"\1[ ", masked)
    masked = re.sub(r"(?<=\s)\]\](?=$|[\s;&|)])", " ]", masked)
    return masked, spans


_LITERAL_TESTS = {"=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"}


def _literal_test(args: list[str]) -> int | None:
    """A ``test``/``[`` of literal values (no variables left): its status; None if not decidable."""
    if args and args[-1] in ("]", "]]"):
        args = args[:-1]
    if any("$" in a or "`" in a for a in args):
        return None
    if len(args) == 2 and args[0] in ("-n", "-z"):
        empty = args[1] == ""
        return 0 if (args[0] == "-z") == empty else 1
    if len(args) == 3 and args[1] in _LITERAL_TESTS:
        left, op, right = args
        if op in ("=", "=="):
            return 0 if left == right else 1
        if op == "!=":
            return 0 if left != right else 1
        if left.lstrip("-").isdigit() and right.lstrip("-").isdigit():
            a, b = int(left), int(right)
            result = {"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}[op]
            return 0 if result else 1
    if len(args) == 1:
        return 0 if args[0] else 1
    return None


class Parser:
    """Builds the tree of one shell text; nested ``sh -c`` bodies and scripts are parsed as well."""

    def __init__(
        self,
        reader: CommandReader,
        script_program: Callable[[str, Sequence[str], int], tuple[Node, str] | str],
    ) -> None:
        self.reader = reader
        self.script_program = script_program
        self.atoms: list[Cmd] = []

    def program(self, text: str, depth: int = 0, *, errexit: bool = False, pipefail: bool = False) -> Program:
        root = self.parse(text, depth)
        return Program(root, self.atoms, errexit, pipefail)

    def parse(self, text: str, depth: int) -> Node:
        if depth > MAX_NESTING:
            raise ShellParseError("nests shells too deeply to follow")
        masked, spans = mask_arithmetic(text)
        try:
            trees = bashlex.parse(masked)
        except Exception as exc:  # bashlex raises ParsingError, NotImplementedError and others
            raise ShellParseError(f"could not parse shell command {text[:120]!r}: {exc}") from None
        variables: dict[str, list[Node]] = {}
        items = [self.node(t, masked, spans, depth, variables) for t in trees]
        return items[0] if len(items) == 1 else Seq(items)

    # bashlex nodes -> tree
    def node(
        self, n: Any, source: str, spans: list[tuple[int, int, list[str]]], depth: int, variables: dict[str, list[Node]]
    ) -> Node:
        kind = getattr(n, "kind", "")
        if kind == "list":
            return self.list_node(list(n.parts), source, spans, depth, variables)
        if kind == "pipeline":
            parts = [p for p in n.parts if getattr(p, "kind", "") not in ("pipe",)]
            negated = bool(parts) and getattr(parts[0], "kind", "") == "reservedword" and parts[0].word == "!"
            items = [
                self.node(p, source, spans, depth, variables) for p in parts if getattr(p, "kind", "") != "reservedword"
            ]
            return Pipe(items, negated)
        if kind == "command":
            return self.command(n, source, spans, depth, variables)
        if kind == "compound":
            inner = [p for p in n.list if getattr(p, "kind", "") != "reservedword"]
            words = [p.word for p in n.list if getattr(p, "kind", "") == "reservedword"]
            body = self.seq(inner, source, spans, depth, variables)
            return Group(body, subshell=bool(words) and words[0] == "(")
        if kind == "if":
            return self.if_node(list(n.parts), source, spans, depth, variables)
        if kind in ("for", "while", "until"):
            return self.loop(kind, list(n.parts), source, spans, depth, variables)
        if kind in ("operator", "reservedword", "pipe"):
            return Const(0)
        if kind == "function":
            return Const(0)  # a definition; calling it is not followed
        raise ShellParseError(f"shell construct {kind!r} is not followed")

    def seq(
        self,
        parts: list[Any],
        source: str,
        spans: list[tuple[int, int, list[str]]],
        depth: int,
        variables: dict[str, list[Node]],
    ) -> Node:
        items = [self.node(p, source, spans, depth, variables) for p in parts]
        return items[0] if len(items) == 1 else Seq(items)

    def list_node(
        self,
        parts: list[Any],
        source: str,
        spans: list[tuple[int, int, list[str]]],
        depth: int,
        variables: dict[str, list[Node]],
    ) -> Node:
        statements: list[Node] = []
        chain: list[Node] = []
        ops: list[str] = []
        for part in parts:
            if getattr(part, "kind", "") == "operator":
                op = part.op
                if op in ("&&", "||"):
                    ops.append(op)
                    continue
                statement = chain[0] if len(chain) == 1 else AndOr(chain, ops)
                statements.append(Background(statement) if op == "&" else statement)
                chain, ops = [], []
                continue
            chain.append(self.node(part, source, spans, depth, variables))
        if chain:
            statements.append(chain[0] if len(chain) == 1 else AndOr(chain, ops))
        return statements[0] if len(statements) == 1 else Seq(statements)

    def if_node(
        self,
        parts: list[Any],
        source: str,
        spans: list[tuple[int, int, list[str]]],
        depth: int,
        variables: dict[str, list[Node]],
    ) -> Node:
        branches: list[tuple[Node, Node]] = []
        orelse: Node | None = None
        word = ""
        cond: Node | None = None
        for part in parts:
            if getattr(part, "kind", "") == "reservedword":
                word = part.word
                continue
            node = self.node(part, source, spans, depth, variables)
            if word in ("if", "elif"):
                cond = node
            elif word == "then" and cond is not None:
                branches.append((cond, node))
                cond = None
            elif word == "else":
                orelse = node
        return If(branches, orelse)

    def loop(
        self,
        kind: str,
        parts: list[Any],
        source: str,
        spans: list[tuple[int, int, list[str]]],
        depth: int,
        variables: dict[str, list[Node]],
    ) -> Node:
        cond: Node | None = None
        body: Node = Const(0)
        word = ""
        for part in parts:
            pk = getattr(part, "kind", "")
            if pk == "reservedword":
                word = part.word
                continue
            if pk == "word":
                continue  # for NAME in WORDS
            node = self.node(part, source, spans, depth, variables)
            if word in ("while", "until"):
                cond = node
            elif word == "do":
                body = node
        return Loop(kind, cond, body)

    def command(
        self, n: Any, source: str, spans: list[tuple[int, int, list[str]]], depth: int, variables: dict[str, list[Node]]
    ) -> Node:
        start, end = n.pos
        text = source[start:end]
        words: list[str] = []
        redirects: list[str] = []
        substitutions: list[Node] = []
        assigned: list[str] = []
        for part in n.parts:
            pk = getattr(part, "kind", "")
            if pk == "word":
                words.append(part.word)
                substitutions.extend(self.substitutions(part, source, spans, depth, variables))
            elif pk == "assignment":
                assigned.append(part.word.split("=", 1)[0])
                substitutions.extend(self.substitutions(part, source, spans, depth, variables))
            elif pk == "redirect" and hasattr(getattr(part, "output", None), "word"):
                redirects.append(part.output.word)
        for span_start, span_end, inner in spans:
            if start <= span_start and span_end <= end:
                substitutions.extend(self.parse(c, depth + 1) for c in inner)
        if assigned and not words:
            for name in assigned:
                variables[name] = substitutions
            if substitutions:  # x=$(probe): the status is the substitution's
                return Cmd(text, Reading(), derived=tuple(substitutions))
            return Cmd(text, Reading(neutral=True))
        reading = self.reader.read(words, text, redirects)
        cmd = Cmd(text, reading)
        head = words[0].rsplit("/", 1)[-1] if words else ""
        if head not in ("[", "test", "[[") or reading.probes:
            return self.finish(cmd, depth)
        used = [v for name, nodes in variables.items() for v in nodes if f"${name}" in text or f"${{{name}}}" in text]
        derived = [*substitutions, *used]
        if derived:  # test -n "$(probe)": decided by what the substitution printed
            return Cmd(text, reading, derived=tuple(derived))
        literal = _literal_test([self.reader_expand(w) for w in words[1:]])
        if literal is not None:
            return Cmd(text, reading, literal=literal)
        reading.neutral = False  # compares values only known at run time
        return self.finish(cmd, depth)

    def argv(self, words: Sequence[str], text: str) -> Program:
        """A healthcheck in exec form (``["CMD", ...]``): one command, no shell."""
        cmd = self.finish(Cmd(text, self.reader.read(list(words), text)), 0)
        return Program(cmd, self.atoms)

    def finish(self, cmd: Cmd, depth: int) -> Cmd:
        """Attach what a command runs (a nested shell, a script) or make it an atom if it probes."""
        reading = cmd.reading
        if reading.nested is not None:
            if reading.nested.kind == "shell":
                cmd.program = self.parse(reading.nested.text, depth + 1)
            else:
                before = len(self.atoms)
                found = self.script_program(reading.nested.text, reading.nested.args, depth + 1)
                if isinstance(found, str):
                    cmd.unseen = found
                    cmd.atom = self._atom(cmd)
                else:
                    cmd.program, cmd.via = found
                    for atom in self.atoms[before:]:  # the script's own commands say where they were read
                        atom.via = atom.via or cmd.via
            return cmd
        if reading.probes or not (
            reading.neutral
            or reading.constant is not None
            or reading.exit_code is not None
            or reading.exit_last
            or reading.filter
            or reading.sets
        ):
            cmd.atom = self._atom(cmd)
        return cmd

    def reader_expand(self, word: str) -> str:
        from .targets import expand

        return expand(word, self.reader.environment)

    def substitutions(
        self,
        part: Any,
        source: str,
        spans: list[tuple[int, int, list[str]]],
        depth: int,
        variables: dict[str, list[Node]],
    ) -> Iterator[Node]:
        for child in getattr(part, "parts", None) or []:
            ck = getattr(child, "kind", "")
            if ck == "commandsubstitution":
                yield self.node(child.command, source, spans, depth + 1, variables)
            else:
                yield from self.substitutions(child, source, spans, depth, variables)

    def _atom(self, cmd: Cmd) -> int:
        self.atoms.append(cmd)
        return len(self.atoms) - 1


# --------------------------------------------------------------------------------------------------
# Running it
# --------------------------------------------------------------------------------------------------


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@dataclass
class _State:
    errexit: bool = False
    pipefail: bool = False
    last: int = 0


class _Run:
    """Evaluates the tree for one assignment of the atoms (True: that probe succeeds)."""

    def __init__(self, values: Sequence[bool]) -> None:
        self.values = values

    def program(self, program: Program) -> int:
        return self.process(program.root, _State(program.errexit, program.pipefail))

    def process(self, node: Node, state: _State) -> int:
        """Run ``node`` as a process of its own: an ``exit`` ends only that process."""
        try:
            return self.run(node, state)
        except _Exit as done:
            return done.status

    def run(self, node: Node, state: _State, checked: bool = False) -> int:
        status = self._run(node, state, checked)
        state.last = status
        return status

    def _run(self, node: Node, state: _State, checked: bool) -> int:
        if isinstance(node, Const):
            return node.status
        if isinstance(node, Cmd):
            status = self.cmd(node, state)
            if state.errexit and status != 0 and not checked:
                raise _Exit(status)
            return status
        if isinstance(node, Seq):
            status = 0
            for item in node.items:
                status = self.run(item, state, checked)
            return status
        if isinstance(node, AndOr):
            status = self.run(node.parts[0], state, True)
            last_index = 0
            for index, (op, part) in enumerate(zip(node.ops, node.parts[1:], strict=False), start=1):
                if (op == "&&" and status == 0) or (op == "||" and status != 0):
                    status = self.run(part, state, True if index < len(node.parts) - 1 else checked)
                    last_index = index
            if state.errexit and status != 0 and not checked and last_index == len(node.parts) - 1:
                raise _Exit(status)
            return status
        if isinstance(node, Pipe):
            statuses: list[int] = []
            for item in node.items:
                if isinstance(item, Cmd) and item.reading.filter:
                    statuses.append(statuses[-1] if statuses else 1)  # grep -q reads what came before
                else:
                    statuses.append(self.process(item, _State(state.errexit, state.pipefail)))
            status = statuses[-1] if statuses else 0
            if state.pipefail:
                status = next((s for s in reversed(statuses) if s != 0), 0)
            if node.negated:
                return 0 if status != 0 else 1
            if state.errexit and status != 0 and not checked:
                raise _Exit(status)
            return status
        if isinstance(node, If):
            for cond, body in node.branches:
                if self.run(cond, state, True) == 0:
                    return self.run(body, state, checked)
            return self.run(node.orelse, state, checked) if node.orelse is not None else 0
        if isinstance(node, Loop):
            status = 0
            for _ in range(MAX_LOOP):
                if node.cond is not None:
                    keep = self.run(node.cond, state, True) == 0
                    if keep != (node.kind == "while"):
                        return status
                status = self.run(node.body, state, checked)
                if node.kind == "for":
                    return status
            return 124  # still looping: Docker's timeout kills it, the check fails
        if isinstance(node, Group):
            if node.subshell:
                return self.process(node.body, _State(state.errexit, state.pipefail))
            return self.run(node.body, state, checked)
        if isinstance(node, Background):
            return 0
        raise AssertionError(node)

    def cmd(self, node: Cmd, state: _State) -> int:
        reading = node.reading
        if reading.sets:
            state.errexit = state.errexit or "e" in reading.sets
            state.pipefail = state.pipefail or "pipefail" in reading.sets
            return 0
        if reading.exit_code is not None:
            raise _Exit(reading.exit_code)
        if reading.exit_last:
            raise _Exit(state.last)
        if node.literal is not None:
            return node.literal
        if node.derived:
            results = [self.process(d, _State()) for d in node.derived]
            status = 0 if all(r == 0 for r in results) else 1
            return status
        if node.program is not None:
            return self.process(node.program, _State(state.errexit and False, False))
        if node.atom is not None:
            return 0 if self.values[node.atom] else 1
        if reading.constant is not None:
            return reading.constant
        if reading.filter:
            return 1  # grep -q with nothing on stdin
        return 0  # neutral


def assignments(count: int) -> Iterator[tuple[bool, ...]]:
    return itertools.product((False, True), repeat=count)


def statuses(program: Program) -> dict[tuple[bool, ...], int]:
    """The exit status for every assignment of the program's atoms."""
    return {values: _Run(values).program(program) for values in assignments(len(program.atoms))}
