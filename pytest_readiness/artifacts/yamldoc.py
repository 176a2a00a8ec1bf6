"""YAML read with bounds and line marks: every file the run reads as YAML goes through ``parse_yaml``.

Why not ``yaml.safe_load``: a run must never hang, blow up memory or print a traceback on a file
someone else wrote, and evidence must cite ``file:line``. So the node tree from libyaml is walked
here, with:

* YAML 1.2 core-schema scalars (as Compose's go-yaml reads them): ``true``/``false`` only, ints,
  floats, ``null``; ``yes``, ``on``, ``22:22`` and ``2026-13-45`` stay strings, so no date or
  sexagesimal surprise (and no crash on an impossible date);
* a duplicate key is an error at the second key's line;
* alias expansion is counted (an alias bomb is refused in milliseconds), a recursive alias and
  nesting past ``max_depth`` are refused;
* explicit tags limited to the core ones (``!!str``, ``!!int``...), plus tags the caller allows
  (Compose's ``!reset`` and ``!override``); a bad ``!!bool maybe`` is an error at its line;
* non-finite and oversized numbers are errors, never ``inf`` or a ValueError.

Every problem is a :class:`YamlProblem` with the 1-based line, turned into a located error by the caller.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]

_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_PLAIN = "tag:pytest-readiness,2026:plain"  # an untagged plain scalar, typed below (YAML 1.2 core schema)
_CORE_TAGS = frozenset({_STR, _SEQ, _MAP, _NULL, _BOOL, _INT, _FLOAT, _PLAIN})


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser with no YAML 1.1 implicit typing: plain scalars keep a private tag."""


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])
_Loader.add_implicit_resolver(_PLAIN, re.compile(r".*", re.DOTALL), None)

_NULL_RE = re.compile(r"^(?:~|null|Null|NULL)?$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
MAX_NUMBER_DIGITS = 40


class YamlProblem(Exception):
    """A YAML file that cannot be used, with the 1-based line (None when libyaml gave no position)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class YamlLimits:
    """How much a YAML file may make the run do. Defaults fit any real compose file or rule file."""

    max_nodes: int = 1_000_000  # nodes built, aliases expanded (a 2,000-service compose file is ~150k)
    max_depth: int = 100


@dataclass(frozen=True)
class Tagged:
    """A value under a caller-allowed custom tag (Compose's ``!reset``, ``!override``)."""

    tag: str
    value: Any


@dataclass
class MarkedDocument:
    """A parsed YAML document plus the 1-based line of each key path in it."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, keys: Iterable[str | int]) -> int:
        """Line of the deepest existing prefix of ``keys`` (1 for the document itself)."""
        best = self.lines.get((), 1)
        prefix: KeyPath = ()
        for key in keys:
            prefix = (*prefix, key)
            found = self.lines.get(prefix)
            if found is None:
                break
            best = found
        return best


def dotted(keys: Iterable[str | int]) -> str:
    """Render a key path the way a user reads it: ``services[3].target``."""
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Builder:
    """Turns a composed node graph (already checked by ``check_expansion``) into values and ``{key path: line}``."""

    def __init__(self, custom_tags: frozenset[str]) -> None:
        self.custom_tags = custom_tags
        self.lines: dict[KeyPath, int] = {}

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        tag = node.tag
        if tag in self.custom_tags:
            node.tag = _PLAIN if isinstance(node, yaml.ScalarNode) else _MAP
            try:
                return Tagged(tag, self._plain(node, path))
            finally:
                node.tag = tag
        if tag not in _CORE_TAGS:
            raise YamlProblem(_line(node), f"unsupported YAML tag {tag[:40]}")
        return self._plain(node, path)

    def _plain(self, node: yaml.Node, path: KeyPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = _line(item)
                items.append(self.build(item, (*path, index)))
            return items
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
        for source in reversed(merges):  # earlier merge sources win over later ones
            if not isinstance(source, yaml.MappingNode):
                raise YamlProblem(_line(source), "'<<' must merge a mapping (an &anchor of one)")
            out.update(self._mapping(source, path))
        explicit: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(_line(key_node), f"{dotted(path) or 'top level'}: mapping keys must be plain text")
            key = str(key_node.value)
            line = _line(key_node)
            if key in explicit:
                raise YamlProblem(
                    line,
                    f"duplicate key {_short(key)!r} in {dotted(path) or 'top level'} (first at line "
                    f"{explicit[key]}); keep one",
                )
            explicit[key] = line
            child = (*path, key)
            if key in out:  # overrides a key that came through '<<': forget the anchor's lines below it
                for stale in [p for p in self.lines if p[: len(child)] == child]:
                    del self.lines[stale]
            self.lines[child] = line
            out[key] = self.build(value_node, child)
        return out

    @staticmethod
    def _scalar(node: yaml.Node) -> Any:
        text = str(node.value)
        tag = node.tag
        if tag != _PLAIN:
            explicit = tag  # an explicit tag, or a quoted scalar (str)
        elif _NULL_RE.match(text):
            return None
        elif _BOOL_RE.match(text):
            explicit = _BOOL
        elif _INT_RE.match(text):
            explicit = _INT
        elif _FLOAT_RE.match(text):
            explicit = _FLOAT
        else:
            return text
        if explicit == _STR:
            return text
        if explicit == _NULL:
            if not _NULL_RE.match(text):
                raise YamlProblem(_line(node), f"{_short(text)!r} is not a valid !!null")
            return None
        if explicit == _BOOL:
            if not _BOOL_RE.match(text):
                raise YamlProblem(_line(node), f"{_short(text)!r} is not a valid !!bool; write true or false")
            return text.lower() == "true"
        digits = len(text.lstrip("+-"))
        if digits > MAX_NUMBER_DIGITS:
            raise YamlProblem(_line(node), f"a number of {digits} digits is out of range; quote it if it is text")
        if explicit == _INT:
            try:
                return int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)
            except ValueError:
                raise YamlProblem(_line(node), f"{_short(text)!r} is not a valid !!int") from None
        try:
            value = float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf"))
        except ValueError:
            raise YamlProblem(_line(node), f"{_short(text)!r} is not a valid !!float") from None
        if not math.isfinite(value):
            raise YamlProblem(_line(node), f"{_short(text)!r} is not a finite number")
        return value


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node, limits: YamlLimits) -> None:
    """Refuse, before building anything, a graph whose aliases expand past the limits or loop.

    Sizes and depths are memoized per distinct node, so a bomb costs time linear in what is written."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            if size[key] > limits.max_nodes:
                raise YamlProblem(
                    _line(node), f"more than {limits.max_nodes:,} values once aliases are expanded (an alias bomb?)"
                )
            if depth[key] > limits.max_depth:
                raise YamlProblem(_line(node), f"nested deeper than {limits.max_depth} levels")
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlProblem(_line(node), "an alias refers to the node that contains it (recursive alias)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_yaml(
    text: str,
    *,
    limits: YamlLimits | None = None,
    custom_tags: Iterable[str] = (),
) -> MarkedDocument:
    """Parse one YAML document within ``limits``; raises YamlProblem (with a line) for anything unusable."""
    limits = limits or YamlLimits()
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "syntax error").strip()
        if "nesting depth" in problem or "flow level" in (exc.context or ""):
            problem = "nested too deeply"
        raise YamlProblem(None if mark is None else int(mark.line) + 1, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else int(mark.line) + 1
        if isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
            raise YamlProblem(line, f"invalid YAML: {exc.reason}; the file must be plain UTF-8 text") from None
        raise YamlProblem(line, f"invalid YAML: {str(exc).splitlines()[0][:200]}") from None
    except RecursionError:
        raise YamlProblem(None, "invalid YAML: nested too deeply") from None
    if node is None:
        return MarkedDocument(None, {(): 1})
    check_expansion(node, limits)
    builder = _Builder(frozenset(custom_tags))
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise YamlProblem(_line(node), f"nested deeper than {limits.max_depth} levels") from None
    builder.lines.setdefault((), _line(node))
    return MarkedDocument(data, builder.lines)
