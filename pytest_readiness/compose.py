"""Read docker compose files statically, keeping the file and line of every key.

Readiness findings must point at the line a human has to change, so this reader walks PyYAML's
node tree (not ``yaml.safe_load``) and records where each key came from.  No Docker is needed.

Choices (a simplified, documented subset of the compose specification):

* Scalars are typed like compose's YAML 1.2 parser, not PyYAML's 1.1 defaults: ``22:22`` stays the
  string ``"22:22"`` (not the sexagesimal int 1342), ``yes``/``on`` stay strings, ``010`` is 10.
* Interpolation (``$VAR``, ``${VAR:-d}``, ``${VAR-d}``, ``${VAR:?e}``, ``${VAR?e}``, ``${VAR:+a}``,
  ``${VAR+a}``, ``$$``) applies to every string value, nested defaults included.  Values come from
  ``environ`` first, then the ``.env`` file beside the first compose file (whose values are taken
  literally, not interpolated).  As in compose, a ``$`` that starts no reference (``$5``) stays
  literal, while a malformed ``${...}`` is an error.
* Several files merge in order: mappings merge key by key, anything else (scalars, lists) is
  replaced by the later file.  YAML merge keys (``<<``) and compose's ``!reset`` / ``!override``
  tags are honoured.  ``extends`` and ``include`` are not followed.
* Relative paths (build context, dockerfile, env_file) resolve against the project directory, the
  directory of the first file, as compose does for override files.
* A string ``command``/``entrypoint`` is kept as a one-element list plus ``*_shell_form=True``;
  ``command_text`` renders either form as one shell-readable line.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_readiness.errors import InputError

__all__ = [
    "ComposeProject",
    "ComposeService",
    "Healthcheck",
    "Port",
    "docker_compose_config",
    "load_compose",
    "normalize_project_name",
    "parse_duration",
    "parse_memory",
    "parse_port",
    "read_dotenv",
]

Key = str | int
KeyPath = tuple[Key, ...]
Location = tuple[Path, int]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _ComposeLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars, the way compose (go-yaml v3) reads them."""


_ComposeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag in (_NULL_TAG, _MERGE_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ComposeLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_ComposeLoader.add_implicit_resolver(
    _INT_TAG, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_ComposeLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


class _Reset:
    """Value of a ``!reset`` tag: the later file removes the key."""


_RESET = _Reset()


@dataclass(frozen=True)
class _Override:
    """Value of an ``!override`` tag: the later file replaces instead of merging."""

    value: Any


# ---------------------------------------------------------------------------------------------------
# Value parsers (public: other checks parse the same compose forms)
# ---------------------------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$", re.IGNORECASE)
_PORT_NUMBER = re.compile(r"^\d+(?:-\d+)?$")
_PROTOCOLS = ("tcp", "udp", "sctp")


def parse_duration(value: object) -> float:
    """Seconds in a compose duration (``1m30s``, ``500ms``, ``1h``); a bare number means seconds.

    Raises ``ValueError`` so callers can attach their own file and line.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    total, pos = 0.0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if match is None:
            raise ValueError(f"{text!r} is not a duration")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not body:
        raise ValueError("empty duration")
    return sign * total


def parse_memory(value: object) -> int:
    """Bytes in a compose size (``512m``, ``1g``, ``256MiB``, ``1.5gb``); units are powers of 1024."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size, got {value!r}")
    if isinstance(value, int):
        return value
    match = _MEMORY.match(str(value).strip())
    if match is None:
        raise ValueError(f"{value!r} is not a size")
    power = " kmgtp".index(match.group(2).lower()) if match.group(2) else 0
    return int(float(match.group(1)) * 1024**power)


@dataclass(frozen=True)
class Port:
    """One ``ports:`` entry.  ``published is None`` means the port is not published on the host."""

    host_ip: str
    published: str | None
    target: str
    protocol: str
    line: int
    mode: str | None = None

    @property
    def is_published(self) -> bool:
        """Whether the host can reach the container port at all."""
        return self.published is not None or self.mode == "host"

    @property
    def on_all_interfaces(self) -> bool:
        """Whether a published port listens on every host interface (unset host IP = all)."""
        return self.is_published and self.host_ip in ("0.0.0.0", "::", "")


def _check_port_number(text: str, what: str) -> str:
    if not _PORT_NUMBER.match(text):
        raise ValueError(f"{what} {text!r} is not a port number or range")
    numbers = [int(x) for x in text.split("-")]
    if any(not 0 < n < 65536 for n in numbers) or numbers != sorted(numbers):
        raise ValueError(f"{what} {text!r} is out of range 1-65535")
    return text


def _check_host_ip(text: str) -> str:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"host IP {text!r} is not an IP address") from None
    return text


def parse_port(value: object, line: int) -> Port:
    """Parse a short (``"127.0.0.1:8080:80/udp"``) or long-syntax port; ``ValueError`` if invalid."""
    if isinstance(value, Mapping):
        target = value.get("target")
        if target is None or isinstance(target, bool):
            raise ValueError("long syntax needs 'target' (the container port)")
        published = value.get("published")
        protocol = str(value.get("protocol") or "tcp").lower()
        if protocol not in _PROTOCOLS:
            raise ValueError(f"protocol {protocol!r} is not one of tcp, udp, sctp")
        host_ip = str(value.get("host_ip") or "0.0.0.0").strip("[]")
        mode = value.get("mode")
        return Port(
            host_ip=_check_host_ip(host_ip),
            published=None if published in (None, "") else _check_port_number(str(published), "published"),
            target=_check_port_number(str(target), "target"),
            protocol=protocol,
            line=line,
            mode=None if mode is None else str(mode),
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected a string or mapping, got {type(value).__name__}")
    text = str(value).strip()
    spec, _, protocol = text.partition("/")
    protocol = (protocol or "tcp").lower()
    if protocol not in _PROTOCOLS:
        raise ValueError(f"protocol {protocol!r} is not one of tcp, udp, sctp")
    host_ip, published, target = "0.0.0.0", "", spec
    if spec.startswith("["):
        close = spec.find("]")
        if close < 0 or spec[close + 1 : close + 2] != ":":
            raise ValueError(f"{text!r}: write an IPv6 host as '[::1]:8080:80'")
        host_ip = spec[1:close]
        published, _, target = spec[close + 2 :].rpartition(":")
        if not _:
            raise ValueError(f"{text!r}: missing container port after the host port")
    elif ":" in spec:
        rest, _, target = spec.rpartition(":")
        if ":" in rest:
            host_ip, _, published = rest.rpartition(":")
            host_ip = host_ip.strip("[]")
        else:
            published = rest
    return Port(
        host_ip=_check_host_ip(host_ip) if host_ip else "0.0.0.0",
        published=_check_port_number(published, "published port") if published else None,
        target=_check_port_number(target, "container port"),
        protocol=protocol,
        line=line,
    )


@dataclass(frozen=True)
class Healthcheck:
    """A service healthcheck; ``test`` is always the list form (``CMD``, ``CMD-SHELL`` or ``NONE``).

    An empty ``test`` means the compose file sets options but inherits the image's test.
    """

    test: tuple[str, ...]
    disabled: bool
    interval: float | None
    timeout: float | None
    retries: int | None
    start_period: float | None
    line: int
    start_interval: float | None = None

    @property
    def command_text(self) -> str:
        """The test as one shell-readable line: argv joined for CMD, the string for CMD-SHELL."""
        if not self.test or self.test[0] == "NONE":
            return ""
        if self.test[0] == "CMD":
            return shlex.join(self.test[1:])
        if self.test[0] == "CMD-SHELL":
            return " ".join(self.test[1:])
        return shlex.join(self.test)


@dataclass(frozen=True)
class ComposeService:
    """One normalized service, with enough location data to cite ``file:line`` for any key."""

    name: str
    file: Path
    line: int
    image: str | None
    build_context: Path | None
    dockerfile: Path | None
    command: list[str] | None
    command_shell_form: bool
    entrypoint: list[str] | None
    entrypoint_shell_form: bool
    healthcheck: Healthcheck | None
    restart: str | None
    restart_policy: str | None
    memory_limit: int | None
    cpu_limit: float | None
    ports: tuple[Port, ...]
    expose: tuple[str, ...]
    user: str | None
    privileged: bool
    cap_drop: tuple[str, ...]
    cap_add: tuple[str, ...]
    security_opt: tuple[str, ...]
    read_only: bool
    logging_driver: str | None
    logging_options: dict[str, str]
    depends_on: dict[str, str]
    environment: dict[str, str | None]
    env_file: tuple[Path, ...]
    volumes: tuple[str | dict[str, Any], ...]
    labels: dict[str, str]
    container_name: str | None
    hostname: str | None
    network_mode: str | None
    stop_grace_period: float | None
    raw: dict[str, Any] = field(repr=False)
    display_root: Path | None = field(default=None, repr=False, compare=False)
    locations: Mapping[KeyPath, Location] = field(default_factory=dict, repr=False, compare=False)

    @property
    def command_text(self) -> str | None:
        """``command`` as one shell-readable line (string form verbatim, list form shlex-joined)."""
        return _command_text(self.command, self.command_shell_form)

    @property
    def entrypoint_text(self) -> str | None:
        """``entrypoint`` as one shell-readable line."""
        return _command_text(self.entrypoint, self.entrypoint_shell_form)

    @property
    def command_argv(self) -> list[str] | None:
        """The argv compose would run: a string command is split shell-style, not run by ``sh``."""
        return _argv(self.command, self.command_shell_form)

    @property
    def entrypoint_argv(self) -> list[str] | None:
        """The entrypoint argv compose would run."""
        return _argv(self.entrypoint, self.entrypoint_shell_form)

    def _location(self, keys: Sequence[Key]) -> Location:
        best: Location = (self.file, self.line)
        node: Any = self.raw
        for depth, key in enumerate(keys, start=1):
            in_mapping = isinstance(node, Mapping) and key in node
            in_list = isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node)
            if not (in_mapping or in_list):
                break
            node = node[key]
            best = self.locations.get(tuple(keys[:depth]), best)
        return best

    def line_of(self, *keys: Key) -> int:
        """Line of the deepest existing key along ``keys``; the service's own line if none exists."""
        return self._location(keys)[1]

    def file_of(self, *keys: Key) -> Path:
        """The file that set the deepest existing key along ``keys`` (override files included)."""
        return self._location(keys)[0]

    def where(self, *keys: Key) -> str:
        """``relpath:LINE`` of the deepest existing key along ``keys``, for evidence lines."""
        path, line = self._location(keys)
        return f"{_display(path, self.display_root)}:{line}"


@dataclass(frozen=True)
class ComposeProject:
    """Every service of one or more merged compose files."""

    files: tuple[Path, ...]
    services: dict[str, ComposeService]
    name: str | None
    project_dir: Path = field(default=Path("."))
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()
    display_root: Path | None = field(default=None, repr=False, compare=False)
    locations: Mapping[KeyPath, Location] = field(default_factory=dict, repr=False, compare=False)

    def where(self, *keys: Key) -> str:
        """``relpath:LINE`` of the deepest existing top-level key path (first file's line 1 if none)."""
        best: Location = (self.files[0], 1) if self.files else (Path("."), 1)
        for depth in range(1, len(keys) + 1):
            best = self.locations.get(tuple(keys[:depth]), best)
        return f"{_display(best[0], self.display_root)}:{best[1]}"

    def display(self, path: Path) -> str:
        """``path`` as shown in evidence: relative to ``display_root`` when possible."""
        return _display(path, self.display_root)


def _command_text(argv: list[str] | None, shell_form: bool) -> str | None:
    if argv is None:
        return None
    return argv[0] if shell_form and argv else shlex.join(argv)


def _argv(argv: list[str] | None, shell_form: bool) -> list[str] | None:
    if argv is None or not shell_form:
        return argv
    try:
        return shlex.split(argv[0])
    except ValueError:
        return argv[0].split()


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return path.as_posix()


# ---------------------------------------------------------------------------------------------------
# Environment and interpolation
# ---------------------------------------------------------------------------------------------------


def read_dotenv(path: Path, display_root: Path | None = None) -> dict[str, str]:
    """Parse a ``.env`` file (``KEY=VALUE``, ``export KEY=VALUE``, ``#`` comments, optional quotes)."""
    shown = _display(path, display_root)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(shown, None, "is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise InputError(shown, None, f"cannot read: {exc.strerror}") from None
    values: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not _NAME.fullmatch(key):
            raise InputError(shown, lineno, f"expected KEY=VALUE, got {raw.strip()!r}")
        if not sep:
            continue
        value = value.strip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            close = value.find(quote, 1)
            while quote == '"' and close > 0 and value[close - 1] == "\\":
                close = value.find(quote, close + 1)
            if close < 0:
                raise InputError(shown, lineno, f"unterminated {quote} quote; close it on the same line", key)
            value = value[1:close]
            if quote == '"':
                value = value.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].rstrip()
        values[key] = value
    return values


class _Interpolator:
    """Expands ``$VAR`` forms in one file; knows the file so errors can cite ``file:line``."""

    def __init__(self, lookup: Callable[[str], str | None], shown: str, warnings: list[str]) -> None:
        self.lookup = lookup
        self.shown = shown
        self.warnings = warnings

    def expand(self, text: str, line: int, fieldname: str) -> str:
        if "$" not in text:
            return text
        out: list[str] = []
        pos = 0
        while pos < len(text):
            dollar = text.find("$", pos)
            if dollar < 0:
                out.append(text[pos:])
                break
            out.append(text[pos:dollar])
            nxt = text[dollar + 1 : dollar + 2]
            if nxt == "$":
                out.append("$")
                pos = dollar + 2
            elif nxt == "{":
                close = self._closing_brace(text, dollar + 2)
                if close < 0:
                    raise self._error(
                        line, fieldname, f"unclosed '${{' in {text!r}; write ${{VAR}}, or $$ for a literal dollar sign"
                    )
                out.append(self._braced(text[dollar + 2 : close], text, line, fieldname))
                pos = close + 1
            elif (match := _NAME.match(text, dollar + 1)) is not None:
                out.append(self._value(match.group(), line, fieldname))
                pos = match.end()
            else:  # like compose: a "$" that starts no reference ("$5", "a $ b") stays literal
                out.append("$")
                pos = dollar + 1
        return "".join(out)

    @staticmethod
    def _closing_brace(text: str, start: int) -> int:
        depth, pos = 1, start
        while pos < len(text):
            if text.startswith("$$", pos):
                pos += 2
                continue
            if text.startswith("${", pos):
                depth += 1
                pos += 2
                continue
            if text[pos] == "}":
                depth -= 1
                if depth == 0:
                    return pos
            pos += 1
        return -1

    def _braced(self, body: str, text: str, line: int, fieldname: str) -> str:
        match = _NAME.match(body)
        if match is None:
            raise self._error(line, fieldname, f"invalid variable name in '${{{body}}}' of {text!r}")
        name, rest = match.group(), body[match.end() :]
        if not rest:
            return self._value(name, line, fieldname)
        for op in (":-", ":?", ":+", "-", "?", "+"):
            if rest.startswith(op):
                arg = rest[len(op) :]
                break
        else:
            raise self._error(
                line,
                fieldname,
                f"unsupported '${{{body}}}'; use ${{VAR:-default}}, ${{VAR:?error}} or ${{VAR:+alt}}",
            )
        value = self.lookup(name)
        present = value is not None if op in ("-", "?", "+") else bool(value)
        if op in (":-", "-"):
            return value if present and value is not None else self.expand(arg, line, fieldname)
        if op in (":+", "+"):
            return self.expand(arg, line, fieldname) if present else ""
        if not present or value is None:
            detail = self.expand(arg, line, fieldname) or ("is not set" if op == "?" else "is empty or not set")
            raise self._error(
                line,
                fieldname,
                f"required variable {name} is missing a value: {detail} (set {name} in the environment or .env)",
            )
        return value

    def _value(self, name: str, line: int, fieldname: str) -> str:
        value = self.lookup(name)
        if value is None:
            self.warnings.append(f"{self.shown}:{line}: {fieldname}: variable {name} is not set; using an empty string")
            return ""
        return value

    def _error(self, line: int, fieldname: str, message: str) -> InputError:
        return InputError(self.shown, line, message, fieldname)


# ---------------------------------------------------------------------------------------------------
# YAML nodes -> values + line map
# ---------------------------------------------------------------------------------------------------


def _dotted(path: Sequence[Key]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


class _Builder:
    """Turns one file's node tree into plain values and ``{key path: line}``."""

    def __init__(self, shown: str, interpolator: _Interpolator) -> None:
        self.shown = shown
        self.interpolator = interpolator
        self.lines: dict[KeyPath, int] = {}

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        if node.tag == "!reset":
            return _RESET
        if node.tag == "!override":
            node.tag = ""
            try:
                return _Override(self.build(node, path))
            finally:
                node.tag = "!override"
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, index)))
            return items
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: dict[str, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                merges.extend(sources)
        for source in reversed(merges):  # earlier merge sources win over later ones
            if not isinstance(source, yaml.MappingNode):
                raise InputError(
                    self.shown, source.start_mark.line + 1, "'<<' must merge a mapping (an &anchor of one)"
                )
            out.update(self._mapping(source, path))
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(
                    self.shown,
                    key_node.start_mark.line + 1,
                    "mapping keys must be plain strings",
                    _dotted(path),
                )
            key = str(key_node.value)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in explicit:
                raise InputError(
                    self.shown,
                    line,
                    f"key {key!r} is already defined at line {explicit[key]}; keep one",
                    _dotted(child),
                )
            explicit[key] = line
            if key in out:  # overrides a key that came through '<<': forget the anchor's lines below it
                for stale in [p for p in self.lines if p[: len(child)] == child]:
                    del self.lines[stale]
            self.lines[child] = line
            out[key] = self.build(value_node, child)
        return out

    def _scalar(self, node: yaml.Node, path: KeyPath) -> Any:
        text = str(node.value)
        line = node.start_mark.line + 1
        try:
            if node.tag == _NULL_TAG:
                return None
            if node.tag == _BOOL_TAG:
                return text.lower() == "true"
            if node.tag == _INT_TAG:
                return int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)
            if node.tag == _FLOAT_TAG:
                return float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf"))
        except ValueError:
            raise InputError(self.shown, line, f"{text!r} is not a valid {node.tag}", _dotted(path)) from None
        return self.interpolator.expand(text, line, _dotted(path))


def _load_file(
    path: Path, shown: str, lookup: Callable[[str], str | None], warnings: list[str]
) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(shown, None, "compose file is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise InputError(shown, None, f"cannot read compose file: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=_ComposeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise InputError(shown, None if mark is None else mark.line + 1, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(shown, None, f"invalid YAML: {exc}") from None
    if node is None:
        return {}, {}
    if not isinstance(node, yaml.MappingNode):
        raise InputError(shown, node.start_mark.line + 1, "top level must be a mapping with a 'services:' key")
    builder = _Builder(shown, _Interpolator(lookup, shown, warnings))
    value = builder.build(node, ())
    assert isinstance(value, dict)
    return value, builder.lines


def _drop_prefix(locations: dict[KeyPath, Location], prefix: KeyPath) -> None:
    for path in [p for p in locations if p[: len(prefix)] == prefix]:
        del locations[path]


def _copy_prefix(locations: dict[KeyPath, Location], lines: Mapping[KeyPath, int], prefix: KeyPath, file: Path) -> None:
    for path, line in lines.items():
        if path[: len(prefix)] == prefix:
            locations[path] = (file, line)


def _merge(
    acc: dict[str, Any],
    over: Mapping[str, Any],
    path: KeyPath,
    locations: dict[KeyPath, Location],
    lines: Mapping[KeyPath, int],
    file: Path,
) -> None:
    """Merge one file into the accumulated project: mappings merge, everything else replaces."""
    for key, value in over.items():
        child = (*path, key)
        if value is _RESET:
            acc.pop(key, None)
            _drop_prefix(locations, child)
        elif isinstance(value, _Override) or not (isinstance(value, dict) and isinstance(acc.get(key), dict)):
            acc[key] = _strip(value.value if isinstance(value, _Override) else value)
            _drop_prefix(locations, child)
            _copy_prefix(locations, lines, child, file)
        else:
            _merge(acc[key], value, child, locations, lines, file)


def _strip(value: Any) -> Any:
    """Drop ``!reset`` keys and unwrap ``!override`` inside a value that is taken whole."""
    if isinstance(value, _Override):
        return _strip(value.value)
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not _RESET}
    if isinstance(value, list):
        return [_strip(v) for v in value if v is not _RESET]
    return None if value is _RESET else value


# ---------------------------------------------------------------------------------------------------
# Service normalization
# ---------------------------------------------------------------------------------------------------


class _ServiceReader:
    """Reads typed fields of one raw service; every bad shape becomes an InputError at its line."""

    def __init__(
        self,
        name: str,
        raw: dict[str, Any],
        locations: Mapping[KeyPath, Location],
        project_dir: Path,
        display_root: Path | None,
        fallback: Location,
    ) -> None:
        self.fallback = fallback
        self.name = name
        self.raw = raw
        self.locations = locations
        self.project_dir = project_dir
        self.display_root = display_root

    def location(self, *keys: Key) -> Location:
        best = self.locations.get((), self.fallback)
        for depth in range(1, len(keys) + 1):
            best = self.locations.get(keys[:depth], best)
        return best

    def error(self, keys: Sequence[Key], message: str) -> InputError:
        file, line = self.location(*keys)
        return InputError(_display(file, self.display_root), line, message, _dotted(("services", self.name, *keys)))

    def get(self, *keys: str) -> Any:
        node: Any = self.raw
        for depth, key in enumerate(keys):
            if node is None:
                return None
            if not isinstance(node, Mapping):
                raise self.error(keys[:depth], f"must be a mapping, got {type(node).__name__}")
            node = node.get(key)
        return node

    def text(self, *keys: str) -> str | None:
        value = self.get(*keys)
        if value is None:
            return None
        if isinstance(value, dict | list):
            raise self.error(keys, f"must be a single value, got a {type(value).__name__}")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def boolean(self, *keys: str) -> bool:
        value = self.get(*keys)
        if value is None or isinstance(value, bool):
            return bool(value)
        lowered = str(value).strip().lower()
        if lowered in ("true", "yes", "y", "on", "1"):
            return True
        if lowered in ("false", "no", "n", "off", "0", ""):
            return False
        raise self.error(keys, f"{value!r} is not a boolean; write true or false")

    def strings(self, *keys: str) -> tuple[str, ...]:
        value = self.get(*keys)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
            raise self.error(keys, "must be a list of strings, e.g. [ALL]")
        return tuple(str(v) for v in value)

    def duration(self, *keys: str) -> float | None:
        value = self.get(*keys)
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.error(keys, f"{exc}; write a duration like '30s', '1m30s' or '500ms'") from None

    def command(self, key: str) -> tuple[list[str] | None, bool]:
        value = self.get(key)
        if value is None:
            return None, False
        if isinstance(value, str):
            return [value], True
        if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
            return ["" if v is None else str(v) for v in value], False
        raise self.error((key,), 'must be a string or a list of strings, e.g. ["python", "-m", "app"]')

    def healthcheck(self) -> Healthcheck | None:
        value = self.get("healthcheck")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(("healthcheck",), "must be a mapping with test/interval/timeout/retries")
        test_raw = value.get("test")
        test: tuple[str, ...]
        if test_raw is None:
            test = ()
        elif isinstance(test_raw, str):
            test = ("CMD-SHELL", test_raw) if test_raw.strip() else ()
        elif isinstance(test_raw, list) and not any(isinstance(v, dict | list) for v in test_raw):
            test = tuple(str(v) for v in test_raw)
            if test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
                raise self.error(
                    ("healthcheck", "test"),
                    f"list form must start with CMD, CMD-SHELL or NONE, got {test[0]!r}; "
                    f'write ["CMD", {", ".join(repr(t) for t in test)}] or a plain string',
                )
        else:
            raise self.error(("healthcheck", "test"), 'must be a string or a list like ["CMD", "curl", ...]')
        retries = value.get("retries")
        if retries is not None:
            try:
                if isinstance(retries, bool | float):
                    raise ValueError
                retries = int(str(retries))
            except ValueError:
                raise self.error(("healthcheck", "retries"), f"{retries!r} is not a whole number") from None
        return Healthcheck(
            test=test,
            disabled=self.boolean("healthcheck", "disable") or test[:1] == ("NONE",),
            interval=self.duration("healthcheck", "interval"),
            timeout=self.duration("healthcheck", "timeout"),
            retries=retries,
            start_period=self.duration("healthcheck", "start_period"),
            start_interval=self.duration("healthcheck", "start_interval"),
            line=self.location("healthcheck")[1],
        )

    def build(self) -> tuple[Path | None, Path | None]:
        value = self.get("build")
        if value is None:
            return None, None
        if isinstance(value, str):
            context_text, dockerfile_text, inline = value, "Dockerfile", False
        elif isinstance(value, dict):
            context_text = str(value.get("context") or ".")
            dockerfile_text = str(value.get("dockerfile") or "Dockerfile")
            inline = value.get("dockerfile_inline") is not None
        else:
            raise self.error(("build",), "must be a path string or a mapping with 'context' and 'dockerfile'")
        if "://" in context_text or context_text.startswith("git@"):
            return None, None  # remote context: nothing on disk to read
        context = (self.project_dir / context_text).resolve()
        return context, None if inline else (context / dockerfile_text).resolve()

    def ports(self) -> tuple[Port, ...]:
        value = self.get("ports")
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.error(("ports",), 'must be a list, e.g. ["127.0.0.1:8080:80"]')
        ports = []
        for index, item in enumerate(value):
            try:
                ports.append(parse_port(item, self.location("ports", index)[1]))
            except ValueError as exc:
                raise self.error(
                    ("ports", index),
                    f"{exc}; write 'HOST:CONTAINER' like '8080:80', '127.0.0.1:8080:80' or a mapping "
                    "with target/published/host_ip",
                ) from None
        return tuple(ports)

    def limits(self) -> tuple[int | None, float | None]:
        memory_keys: tuple[str, ...] = ("deploy", "resources", "limits", "memory")
        memory = self.get(*memory_keys)
        if memory is None:
            memory_keys = ("mem_limit",)
            memory = self.get("mem_limit")
        cpu_keys: tuple[str, ...] = ("deploy", "resources", "limits", "cpus")
        cpus = self.get(*cpu_keys)
        if cpus is None:
            cpu_keys = ("cpus",)
            cpus = self.get("cpus")
        memory_bytes = cpu = None
        if memory is not None:
            try:
                memory_bytes = parse_memory(memory)
            except ValueError as exc:
                raise self.error(memory_keys, f"{exc}; write a size like '512m', '1g' or '256MiB'") from None
        if cpus is not None:
            try:
                if isinstance(cpus, bool):
                    raise ValueError
                cpu = float(cpus)
            except ValueError:
                raise self.error(cpu_keys, f"{cpus!r} is not a number of CPUs; write e.g. '0.5' or '2'") from None
        return memory_bytes, cpu

    def key_values(self, key: str, *, empty: str | None) -> dict[str, str | None]:
        value = self.get(key)
        if value is None:
            return {}
        out: dict[str, str | None] = {}
        if isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, dict | list):
                    raise self.error((key, name), "must be a single value")
                out[name] = (
                    empty if item is None else ("true" if item is True else "false" if item is False else str(item))
                )
            return out
        if isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.error((key, index), "list items must be 'KEY=VALUE' strings")
                name, sep, rest = item.partition("=")
                out[name] = rest if sep else empty
            return out
        raise self.error((key,), "must be a mapping or a list of 'KEY=VALUE' strings")

    def depends_on(self) -> dict[str, str]:
        value = self.get("depends_on")
        if value is None:
            return {}
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return dict.fromkeys(value, "service_started")
        if isinstance(value, dict):
            out = {}
            for name, spec in value.items():
                if spec is None:
                    out[name] = "service_started"
                elif isinstance(spec, dict):
                    out[name] = str(spec.get("condition") or "service_started")
                else:
                    raise self.error(("depends_on", name), "must be a mapping like {condition: service_healthy}")
            return out
        raise self.error(("depends_on",), "must be a list of service names or a mapping of name -> condition")

    def env_file(self) -> tuple[Path, ...]:
        value = self.get("env_file")
        items = [value] if isinstance(value, str | dict) else value or []
        if not isinstance(items, list):
            raise self.error(("env_file",), "must be a path or a list of paths")
        paths = []
        for index, item in enumerate(items):
            text = item.get("path") if isinstance(item, dict) else item
            if not isinstance(text, str):
                raise self.error(("env_file", index), "must be a path string or a mapping with 'path'")
            paths.append((self.project_dir / text).resolve())
        return tuple(paths)

    def service(self, file: Path, line: int) -> ComposeService:
        context, dockerfile = self.build()
        command, command_shell = self.command("command")
        entrypoint, entrypoint_shell = self.command("entrypoint")
        memory, cpus = self.limits()
        logging_options = self.get("logging", "options")
        if logging_options is not None and not isinstance(logging_options, dict):
            raise self.error(("logging", "options"), "must be a mapping of option -> value")
        volumes = self.get("volumes") or []
        if not isinstance(volumes, list):
            raise self.error(("volumes",), 'must be a list, e.g. ["./data:/data:ro"]')
        return ComposeService(
            name=self.name,
            file=file,
            line=line,
            image=self.text("image"),
            build_context=context,
            dockerfile=dockerfile,
            command=command,
            command_shell_form=command_shell,
            entrypoint=entrypoint,
            entrypoint_shell_form=entrypoint_shell,
            healthcheck=self.healthcheck(),
            restart=self.text("restart"),
            restart_policy=self.text("deploy", "restart_policy", "condition"),
            memory_limit=memory,
            cpu_limit=cpus,
            ports=self.ports(),
            expose=self.strings("expose"),
            user=self.text("user"),
            privileged=self.boolean("privileged"),
            cap_drop=self.strings("cap_drop"),
            cap_add=self.strings("cap_add"),
            security_opt=self.strings("security_opt"),
            read_only=self.boolean("read_only"),
            logging_driver=self.text("logging", "driver"),
            logging_options={str(k): str(v) for k, v in (logging_options or {}).items()},
            depends_on=self.depends_on(),
            environment=self.key_values("environment", empty=None),
            env_file=self.env_file(),
            volumes=tuple(volumes),
            labels={k: v or "" for k, v in self.key_values("labels", empty="").items()},
            container_name=self.text("container_name"),
            hostname=self.text("hostname"),
            network_mode=self.text("network_mode"),
            stop_grace_period=self.duration("stop_grace_period"),
            raw=self.raw,
            display_root=self.display_root,
            locations=self.locations,
        )


def normalize_project_name(name: str) -> str:
    """Compose's project-name normalization: lowercase, only ``[a-z0-9_-]``, no leading ``_``/``-``."""
    return re.sub(r"[^a-z0-9_-]+", "", name.lower()).lstrip("_-")


def load_compose(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] | None = None,
    display_root: Path | None = None,
) -> ComposeProject:
    """Load, interpolate, merge and normalize compose files, keeping ``file:line`` for every key."""
    files = tuple(Path(p) for p in paths)
    if not files:
        raise InputError("<compose>", None, "no compose file given; pass at least one compose.yaml")
    environ = os.environ if environ is None else environ
    project_dir = files[0].resolve().parent
    dotenv_path = project_dir / ".env"
    dotenv = read_dotenv(dotenv_path, display_root) if dotenv_path.is_file() else {}

    def lookup(name: str) -> str | None:
        return environ[name] if name in environ else dotenv.get(name)

    warnings: list[str] = []
    merged: dict[str, Any] = {}
    locations: dict[KeyPath, Location] = {}
    for file in files:
        value, lines = _load_file(file, _display(file, display_root), lookup, warnings)
        _merge(merged, value, (), locations, lines, file)

    services_raw = merged.get("services")
    if services_raw is None:
        services_raw = {}
    if not isinstance(services_raw, dict):
        file, line = locations.get(("services",), (files[0], 1))
        raise InputError(
            _display(file, display_root), line, "must be a mapping of service name -> definition", "services"
        )
    services: dict[str, ComposeService] = {}
    for name, raw in services_raw.items():
        file, line = locations.get(("services", name), (files[0], 1))
        if not isinstance(raw, dict):
            raise InputError(
                _display(file, display_root),
                line,
                f"must be a mapping (e.g. 'image: ...' indented under '{name}:'), got "
                f"{'nothing' if raw is None else type(raw).__name__}",
                f"services.{name}",
            )
        prefix = ("services", name)
        own = {p[2:]: loc for p, loc in locations.items() if p[:2] == prefix}
        reader = _ServiceReader(name, raw, own, project_dir, display_root, (file, line))
        services[name] = reader.service(file, line)

    name_value = merged.get("name")
    project_name = normalize_project_name(str(name_value) if name_value else project_dir.name) or None
    return ComposeProject(
        files=files,
        services=services,
        name=project_name,
        project_dir=project_dir,
        raw=merged,
        warnings=tuple(warnings),
        display_root=display_root,
        locations=locations,
    )


def docker_compose_config(paths: Sequence[Path]) -> dict[str, Any] | None:
    """Docker's own resolved config (``docker compose config``) when Docker is installed, else None.

    Used only to cross-check the static reader; it never raises, since Docker is optional.
    """
    if shutil.which("docker") is None:
        return None
    try:
        from python_on_whales import DockerClient

        client = DockerClient(compose_files=[Path(p) for p in paths])
        if not client.compose.is_installed():
            return None
        config = client.compose.config(return_json=True)
    except Exception:
        return None
    return config if isinstance(config, dict) else None
