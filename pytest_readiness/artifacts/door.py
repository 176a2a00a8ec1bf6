"""The one door through which a run reads the stack's files.

Every artifact a criterion looks at (compose files, Dockerfiles, lockfiles, rules, reports, logs,
dashboards, runbooks, scripts) is read here, so the boundary holds in one place:

* a path resolves, symlinks followed, inside the stack root, or it is refused (``../../etc/passwd``,
  ``/proc/self/environ`` and a symlink to them never reach ``open``);
* only regular files are read: FIFOs, sockets, devices and folders are refused from ``stat``, before
  any ``open``; a symlink loop is a clear error, not an ``OSError``;
* each read is capped (``max_bytes``), and a file past the cap is refused with its size;
* parsed forms (text, bounded YAML with line marks, JSON, XML) are made once per file version and
  shared by every criterion and service of the process.

Problems are :class:`ArtifactError` (an ``InputError``): one line, ``FILE[:LINE]: what to fix``.
"""

from __future__ import annotations

import contextlib
import errno
import glob as globmod
import json
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from .yamldoc import MarkedDocument, YamlLimits, YamlProblem, parse_yaml

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
CACHE_MAX_BYTES = 4 * 1024 * 1024  # files above this are parsed on each ask, not kept in memory
MAX_LISTED_FILES = 20_000
MAX_JSON_DEPTH = 200
Stamp = tuple[int, int]


class ArtifactError(InputError):
    """An artifact that cannot be used; ``kind`` says why (missing, outside, special, too-big, unreadable,
    malformed), so a check can tell "the file is not there" from "the file is wrong"."""

    def __init__(self, path: str, line: int | None, message: str, kind: str) -> None:
        super().__init__(path, line, message)
        self.kind = kind

    @property
    def missing(self) -> bool:
        return self.kind == "missing"


@dataclass(frozen=True)
class TextFile:
    """A regular file's text (UTF-8, undecodable bytes replaced, NULs kept) and where it is."""

    path: Path
    shown: str
    text: str
    size: int
    mtime: float

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass(frozen=True)
class JsonFile:
    """A parsed JSON file, with its text for locating keys."""

    path: Path
    shown: str
    data: Any
    text: str

    def line_of_key(self, key: str) -> int | None:
        """Line where ``"key":`` first appears (best effort: JSON keeps no marks)."""
        needle = json.dumps(key) + ":"
        compact = json.dumps(key) + " :"
        at = self.text.find(needle)
        if at < 0:
            at = self.text.find(compact)
        return None if at < 0 else self.text.count("\n", 0, at) + 1


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _size_text(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


@dataclass
class Artifacts:
    """Reads the files of one stack, inside ``root``; one instance per process (``Stack.artifacts``)."""

    root: Path
    show: Callable[[Path | str], str]
    max_bytes: int = DEFAULT_MAX_BYTES
    yaml_limits: YamlLimits = field(default_factory=YamlLimits)
    _real_root: str = field(init=False, repr=False)
    _parsed: dict[tuple[str, str, Stamp], Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._real_root = os.path.realpath(self.root)

    # -- where --------------------------------------------------------------------------------------
    def inside(self, path: Path | str) -> bool:
        """Whether ``path`` (symlinks followed) is the stack root or below it."""
        real = os.path.realpath(path)
        return real == self._real_root or real.startswith(self._real_root.rstrip(os.sep) + os.sep)

    def resolve(self, name: str | Path, base: Path | None = None) -> Path:
        """``name`` relative to ``base`` (default: the stack root), symlinks followed; refused outside the root."""
        joined = Path(base or self.root, name)
        real = Path(os.path.realpath(joined))
        if not self.inside(real):
            raise ArtifactError(
                self.show(joined),
                None,
                f"{str(name)[:200]!r} resolves outside the stack root {self.show(self.root)}; "
                "the run reads only files inside it",
                "outside",
            )
        return real

    # -- what ---------------------------------------------------------------------------------------
    def stat(self, path: Path) -> os.stat_result:
        """``stat`` of a regular file inside the root, or the ArtifactError that says why it cannot be read."""
        shown = self.show(path)
        if not self.inside(path):
            raise ArtifactError(shown, None, "is outside the stack root; the run reads only files inside it", "outside")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise ArtifactError(shown, None, "does not exist", "missing") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ArtifactError(shown, None, "is a symlink loop; point it at a real file", "unreadable") from None
            raise ArtifactError(shown, None, f"cannot be read: {exc.strerror}", "unreadable") from None
        if not stat.S_ISREG(st.st_mode):
            raise ArtifactError(shown, None, f"is {_kind_of(st.st_mode)}, not a regular file; not read", "special")
        if st.st_size > self.max_bytes:
            raise ArtifactError(
                shown,
                None,
                f"is {_size_text(st.st_size)}, past the {_size_text(self.max_bytes)} read cap "
                "(ini readiness_max_file_size); not read",
                "too-big",
            )
        return st

    def is_file(self, path: Path) -> bool:
        try:
            self.stat(path)
        except ArtifactError:
            return False
        return True

    def is_dir(self, path: Path) -> bool:
        return self.inside(path) and path.is_dir()

    def exists(self, path: Path) -> bool:
        return self.inside(path) and os.path.lexists(path)

    @contextlib.contextmanager
    def open_binary(self, path: Path) -> Iterator[IO[bytes]]:
        """Open a checked regular file for reading; never blocks on a FIFO swapped in after ``stat``."""
        self.stat(path)
        shown = self.show(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            raise ArtifactError(shown, None, f"cannot be opened: {exc.strerror}", "unreadable") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ArtifactError(shown, None, "changed into a non-regular file while being read", "special")
            handle = os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
        with handle:
            yield handle

    @contextlib.contextmanager
    def open_text(self, path: Path) -> Iterator[IO[str]]:
        """Stream a checked file as text (for outputs and logs too big to hold)."""
        import io

        with self.open_binary(path) as raw:
            yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)

    def read_bytes(self, path: Path) -> bytes:
        with self.open_binary(path) as handle:
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise ArtifactError(
                self.show(path), None, f"grew past the {_size_text(self.max_bytes)} read cap", "too-big"
            )
        return data

    # -- parsed, once per file version --------------------------------------------------------------
    def _cached(self, kind: str, path: Path, make: Callable[[os.stat_result], Any]) -> Any:
        st = self.stat(path)
        key = (kind, str(path), (st.st_mtime_ns, st.st_size))
        found = self._parsed.get(key)
        if found is None:
            try:
                found = make(st)
            except ArtifactError as exc:
                found = exc
            if st.st_size <= CACHE_MAX_BYTES:
                self._parsed[key] = found
        if isinstance(found, ArtifactError):
            raise found
        return found

    def text(self, path: Path) -> TextFile:
        """The file's text; undecodable bytes are replaced (a NUL byte does not hide a file)."""

        def make(st: os.stat_result) -> TextFile:
            data = self.read_bytes(path)
            return TextFile(path, self.show(path), data.decode("utf-8", errors="replace"), st.st_size, st.st_mtime)

        result: TextFile = self._cached("text", path, make)
        return result

    def yaml(self, path: Path, custom_tags: Iterable[str] = ()) -> MarkedDocument:
        """The file as bounded YAML with line marks (see ``yamldoc``); malformed is an error at its line."""
        tags = tuple(custom_tags)

        def make(st: os.stat_result) -> MarkedDocument:
            data = self.read_bytes(path)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start) + 1
                raise ArtifactError(self.show(path), line, "is not UTF-8 text; save it as UTF-8", "malformed") from None
            try:
                return parse_yaml(text, limits=self.yaml_limits, custom_tags=tags)
            except YamlProblem as exc:
                raise ArtifactError(self.show(path), exc.line, exc.message, "malformed") from None

        result: MarkedDocument = self._cached("yaml" + ",".join(tags), path, make)
        return result

    def json(self, path: Path) -> JsonFile:
        """The file as JSON; NaN/Infinity, numbers past 40 digits and nesting past 200 levels are malformed."""

        def make(st: os.stat_result) -> JsonFile:
            shown = self.show(path)
            text = self.text(path).text
            try:
                data = json.loads(text, parse_constant=_no_constant, parse_int=_bounded_int)
            except json.JSONDecodeError as exc:
                raise ArtifactError(shown, exc.lineno, f"not valid JSON: {exc.msg}", "malformed") from None
            except (ValueError, RecursionError) as exc:
                why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise ArtifactError(shown, None, f"not usable JSON: {why}", "malformed") from None
            if _depth(data) > MAX_JSON_DEPTH:
                raise ArtifactError(shown, None, f"not usable JSON: nested deeper than {MAX_JSON_DEPTH}", "malformed")
            return JsonFile(path, shown, data, text)

        result: JsonFile = self._cached("json", path, make)
        return result

    def xml(self, path: Path) -> ET.Element:
        """The file as XML (expat; entity expansion is bounded by expat itself)."""

        def make(st: os.stat_result) -> ET.Element:
            try:
                return ET.fromstring(self.read_bytes(path))
            except ET.ParseError as exc:
                line = exc.position[0] if exc.position else None
                raise ArtifactError(self.show(path), line, f"not valid XML: {exc}", "malformed") from None

        result: ET.Element = self._cached("xml", path, make)
        return result

    # -- many files ---------------------------------------------------------------------------------
    def glob(self, pattern: str, base: Path | None = None) -> list[Path]:
        """Regular files matching ``pattern`` (relative to ``base``, default the root), inside the root, sorted."""
        start = Path(base or self.root)
        full = pattern if os.path.isabs(pattern) else os.path.join(globmod.escape(str(start)), pattern)
        found: list[Path] = []
        for name in globmod.iglob(full, recursive=True):
            path = Path(name)
            if self.inside(path) and self.is_file(path):
                found.append(path)
            if len(found) >= MAX_LISTED_FILES:
                break
        return sorted(found)

    def files_under(self, folder: Path, suffixes: Iterable[str] = ()) -> list[Path]:
        """Regular files below ``folder`` (inside the root, not following symlinked folders), sorted."""
        wanted = tuple(suffixes)
        found: list[Path] = []
        if not self.is_dir(folder):
            return found
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__")
            )
            for name in sorted(filenames):
                if wanted and not name.endswith(wanted):
                    continue
                path = Path(dirpath, name)
                if self.inside(path) and self.is_file(path):
                    found.append(path)
                    if len(found) >= MAX_LISTED_FILES:
                        return found
        return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 40:
        raise ValueError(f"a number of {len(text)} digits is out of range")
    return int(text)


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion on hostile input)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            return level
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest
