"""YAML loading that remembers the line of every key, so evidence and errors can cite file:line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

KeyPath = tuple[str | int, ...]


@dataclass
class MarkedDocument:
    """A parsed YAML document plus the 1-based line of each key path in it."""

    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, keys: Iterable[str | int]) -> int:
        """Line of the deepest existing prefix of ``keys`` (1 for the document itself)."""
        best = self.lines.get((), 1)
        prefix: KeyPath = ()
        for key in keys:
            prefix = (*prefix, key)
            if prefix not in self.lines:
                break
            best = self.lines[prefix]
        return best


def _construct(node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int], loader: yaml.SafeLoader) -> Any:
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise InputError(loader.name, key_node.start_mark.line + 1, "mapping keys must be plain strings")
            skey = str(key)
            lines[(*at, skey)] = key_node.start_mark.line + 1
            out[skey] = _construct(value_node, (*at, skey), lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(child, (*at, i), lines, loader) for i, child in enumerate(node.value)]
    value = loader.construct_object(node, deep=True)
    # Dates stay as written: schemas and users compare text, and datetime objects do not round-trip JSON.
    return value.isoformat() if isinstance(value, date) else value


def load_marked(path: Path, text: str | None = None, display: str | None = None) -> MarkedDocument:
    """Parse one YAML document; syntax errors become an InputError naming file and line."""
    shown = display or str(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(shown, None, "file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(shown, None, f"cannot read: {exc}") from None
    loader = yaml.SafeLoader(text)
    loader.name = shown
    try:
        node = loader.get_single_node()
        if node is None:
            return MarkedDocument(path, None, {(): 1})
        lines: dict[KeyPath, int] = {}
        data = _construct(node, (), lines, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(shown, line, f"YAML syntax: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(shown, None, f"YAML: {exc}") from None
    finally:
        loader.dispose()
    return MarkedDocument(path, data, lines)


def dotted(keys: Iterable[str | int]) -> str:
    """Render a key path the way a user reads it: ``services[3].target``."""
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out
