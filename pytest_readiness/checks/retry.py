"""Where a service retries and backs off when a dependency goes away: its environment, config, code.

Retry credit goes to how the service reconnects to what it depends on: a ``DB_RETRY_ATTEMPTS`` in its
compose ``environment`` or ``env_file``, a ``retry``/``backoff``/``reconnect`` setting in a config file,
tenacity/backoff decorators, a sleep in an ``except`` inside a loop, driver retry options. A task
queue's job retry (Celery ``autoretry_for``, ``self.retry``, ``max_retries=`` on ``@app.task``) retries
the job, not the connection, and does not count. Every finding is ``file:line``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..artifacts import ArtifactError
from ..compose import ComposeService
from ..context import Service
from ..errors import InputError
from ..results import Evidence

_RETRY_WORD = re.compile(r"retr(y|ies)|backoff|back_off|reconnect", re.IGNORECASE)
_NUMERIC = re.compile(r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|sec|secs|seconds)?\s*$", re.IGNORECASE)
_RETRY_CALLS = frozenset(
    {
        "retry",
        "retrying",
        "asyncretrying",
        "on_exception",
        "on_predicate",
        "retry_call",
        "exponentialbackoff",
        "constantbackoff",
        "decorrelatedjitter",
        "equaljitterbackoff",
        "fulljitterbackoff",
        "wait_exponential",
        "wait_random_exponential",
        "stop_after_attempt",
    }
)
_SLEEP_CALLS = frozenset({"sleep", "wait"})
_TASK_DECORATORS = frozenset({"task", "shared_task", "periodic_task", "actor", "job"})  # celery, dramatiq, rq
_TASK_RETRY_NAMES = re.compile(
    r"^(autoretry_for|retry_backoff(_max)?|retry_jitter|retry_kwargs|max_retries|default_retry_delay)$"
)
_ENV_RETRY = re.compile(r"RETR(Y|IES)|BACKOFF|RECONNECT|MAX_ATTEMPTS|CONNECT_ATTEMPTS", re.IGNORECASE)
_ENV_VALUE = re.compile(
    r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|sec|secs|seconds)?|true|yes|on|exponential|linear)\s*$", re.IGNORECASE
)
_SOURCE_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".go", ".rb", ".java", ".kt", ".rs", ".php", ".cs", ".ex", ".exs")
# Config files in the build context that a reconnect setting may live in (a pipeline's
# ``retry_max_interval => 64``, a client's ``reconnect_attempts: 10``); JSON is left out (lockfiles).
_CONFIG_SUFFIXES = (".conf", ".yml", ".yaml", ".toml", ".ini", ".properties", ".cfg")
_COMPOSE_FILE = re.compile(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$", re.IGNORECASE)
# Job retry in other languages: a Sidekiq job's ``sidekiq_options retry: 5``, ActiveJob's ``retry_on``.
_JOB_RETRY = re.compile(r"\bsidekiq_options\b|\bretry_on\b|\bdiscard_on\b|\bsidekiq_retry_in\b")
_SOURCE_RETRY = re.compile(r"\b(\w*(retry|retries|backoff|reconnect)\w*)\b", re.IGNORECASE)


def _is_setting(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(_NUMERIC.match(value))


def _walk_settings(data: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk_settings(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk_settings(value, (*path, str(index)))
    else:
        yield path, data


def config_retry_settings(service: Service, rel: str) -> list[Evidence]:
    """Numeric retry/backoff/reconnect settings in a config file (YAML, JSON, TOML, or key=value lines).

    Raises InputError for a declared file that is missing or unparsable.
    """
    path = service.path(rel)
    shown = service.show(path)
    door = service.artifacts
    try:
        door.stat(path)
    except ArtifactError as exc:
        if exc.missing:
            raise InputError(shown, None, "declared config file does not exist") from None
        raise
    found: list[Evidence] = []
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):
        doc = door.yaml(path)
        for keys, value in _walk_settings(doc.data, ()):
            if any(_RETRY_WORD.search(k) for k in keys) and _is_setting(value):
                line = doc.line_of(tuple(int(k) if k.isdigit() else k for k in keys))
                found.append(Evidence(f"{shown}:{line}", f"{'.'.join(keys)}: {value}"))
        return found
    text = door.text(path).text
    if suffix in (".json", ".toml"):
        try:
            data = door.json(path).data if suffix == ".json" else tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(shown, getattr(exc, "lineno", None), f"cannot parse: {exc}") from None
        for keys, value in _walk_settings(data, ()):
            if any(_RETRY_WORD.search(k) for k in keys) and _is_setting(value):
                match = re.search(re.escape(keys[-1]), text)
                line = text.count("\n", 0, match.start()) + 1 if match else 1
                found.append(Evidence(f"{shown}:{line}", f"{'.'.join(keys)}: {value}"))
        return found
    for number, line_text in enumerate(text.splitlines(), start=1):
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(?:=>|[=:\s])\s*([^#;]+)", line_text)
        if match and _RETRY_WORD.search(match.group(1)) and _is_setting(match.group(2)):
            found.append(Evidence(f"{shown}:{number}", f"{match.group(1)} = {match.group(2).strip()}"))
    return found


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


class _RetryFinder(ast.NodeVisitor):
    """Retry/backoff in Python code: tenacity/backoff decorators and calls, a sleep in an except inside a
    loop, and functions or variables named *retry*/*backoff*."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self.loops = 0
        self.handlers = 0
        self.task_retry: list[tuple[int, str]] = []

    def _named(self, name: str, line: int, what: str) -> None:
        if _TASK_RETRY_NAMES.match(name):
            self.task_retry.append((line, f"{what} {name}"))
        elif _RETRY_WORD.search(name):
            self.found.append((line, f"{what} {name}"))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._named(node.name, node.lineno, "function")
        for deco in node.decorator_list:
            name = _call_name(deco)
            if name in _TASK_DECORATORS:
                keywords = [k.arg for k in getattr(deco, "keywords", []) if k.arg and _RETRY_WORD.search(k.arg)]
                if keywords:
                    self.task_retry.append((deco.lineno, f"@{name}({', '.join(keywords)}=...) on {node.name}"))
                continue
            if name.lower() in _RETRY_CALLS:
                self.found.append((deco.lineno, f"@{ast.unparse(deco)[:60]} on {node.name}"))
        saved = self.loops, self.handlers
        self.loops = self.handlers = 0
        self.generic_visit(node)
        self.loops, self.handlers = saved

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        if (
            name == "retry"
            and isinstance(node.func, ast.Attribute)
            and ast.unparse(node.func.value) in ("self", "task")
        ):
            self.task_retry.append((node.lineno, f"{ast.unparse(node.func)}(...)"))
            self.generic_visit(node)
            return
        if name in _TASK_DECORATORS or name in ("apply_async", "send_task"):
            self.generic_visit(node)
            return
        if name.lower() in _RETRY_CALLS:
            self.found.append((node.lineno, f"call {ast.unparse(node.func)[:60]}(...)"))
        elif name in _SLEEP_CALLS and self.loops and self.handlers:
            self.found.append((node.lineno, f"{ast.unparse(node)[:60]} in an except block inside a loop"))
        for kw in node.keywords:
            if kw.arg and _TASK_RETRY_NAMES.match(kw.arg):
                self.task_retry.append((node.lineno, f"keyword {kw.arg}= in {name}(...)"))
            elif kw.arg and _RETRY_WORD.search(kw.arg):
                self.found.append((node.lineno, f"keyword {kw.arg}= in {name}(...)"))
        self.generic_visit(node)

    def _loop(self, node: ast.For | ast.While | ast.AsyncFor) -> None:
        self.loops += 1
        self.generic_visit(node)
        self.loops -= 1

    visit_For = visit_While = visit_AsyncFor = _loop

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.handlers += 1
        self.generic_visit(node)
        self.handlers -= 1

    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                self._named(target.id, node.lineno, "variable")
            elif isinstance(target, ast.Attribute):
                self._named(target.attr, node.lineno, "attribute")
        self.generic_visit(node)

    visit_AnnAssign = visit_Assign


def code_retry_evidence(
    service: Service, code_dir: Path, skip: Path | None = None
) -> tuple[list[Evidence], list[Evidence], list[Evidence]]:
    """(retry/backoff findings, task-queue retries that do not count, unparsable files) in the row's code,
    tests excluded: Python by ``ast``, other languages by their retry/backoff/reconnect identifiers."""
    door = service.artifacts
    files = [code_dir] if door.is_file(code_dir) else door.files_under(code_dir, (".py", *_SOURCE_SUFFIXES))
    configs = [] if door.is_file(code_dir) else door.files_under(code_dir, _CONFIG_SUFFIXES)
    found: list[Evidence] = []
    task: list[Evidence] = []
    broken: list[Evidence] = []
    for file in files:
        if skip is not None and (file == skip or skip in file.parents):
            continue
        rel_parts = file.relative_to(code_dir).parts if file != code_dir else (file.name,)
        if file.name.startswith("test_") or any(p in ("tests", "test", "__tests__", "spec") for p in rel_parts[:-1]):
            continue
        if file.name.endswith(("_test.go", ".test.js", ".spec.js", ".test.ts", ".spec.ts", "_spec.rb")):
            continue
        shown = service.show(file)
        try:
            text = door.text(file).text
        except ArtifactError as exc:
            broken.append(Evidence(shown, exc.message))
            continue
        if file.suffix != ".py":
            for number, source_line in enumerate(text.splitlines(), start=1):
                stripped = source_line.strip()
                if stripped.startswith(("//", "#", "*", "/*")):
                    continue
                match = _SOURCE_RETRY.search(source_line)
                if match and _JOB_RETRY.search(source_line):
                    task.append(Evidence(f"{shown}:{number}", f"{stripped[:80]} (job retry, not reconnect)"))
                elif match:
                    found.append(Evidence(f"{shown}:{number}", f"{match.group(1)} in code"))
                    break
            continue
        try:
            tree = ast.parse(text, filename=str(file))
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 1
            broken.append(Evidence(f"{shown}:{line}", f"cannot parse Python: {str(exc)[:120]}"))
            continue
        finder = _RetryFinder()
        finder.visit(tree)
        found.extend(Evidence(f"{shown}:{line}", what) for line, what in sorted(set(finder.found)))
        task.extend(
            Evidence(f"{shown}:{line}", f"{what} (task retry, not reconnect)")
            for line, what in sorted(set(finder.task_retry))
        )
    for config in configs:
        rel_parts = config.relative_to(code_dir).parts
        if any(p in ("tests", "test", "__tests__", "spec", "node_modules") for p in rel_parts[:-1]):
            continue
        if _COMPOSE_FILE.match(config.name):
            continue  # the stack's own compose files: healthcheck retries are not the client's reconnects
        try:
            found.extend(config_retry_settings(service, str(config)))
        except (InputError, ArtifactError, ValueError):
            continue  # an unreadable incidental file is no evidence either way
    return found, task, broken


def mounted_config_files(service: Service, containers: list[ComposeService]) -> list[Path]:
    """Config files of the repository the containers bind-mount (``./config/consumer.yaml:/app/...``)."""
    found: list[Path] = []
    for container in containers:
        for mount in container.volumes:
            if mount.type != "bind" or not mount.source:
                continue
            source = Path(mount.source)
            config = source.suffix.lower() in _CONFIG_SUFFIXES and not _COMPOSE_FILE.match(source.name)
            if config and source not in found and service.artifacts.is_file(source):
                found.append(source)
    return found


def env_retry_settings(container: ComposeService) -> list[Evidence]:
    """Retry/backoff/reconnect settings in the container's environment (compose ``environment`` or
    ``env_file``), each cited where it is written."""
    found: list[Evidence] = []
    for name, value in container.environment.items():
        if value is None or not _ENV_RETRY.search(name) or not _ENV_VALUE.match(value):
            continue
        where = container.env_location(name) or container.where("environment")
        found.append(Evidence(where, f"{container.name}: {name}={value}"))
    return found


_DEPENDENCY_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/\s]*@)?([A-Za-z0-9_.-]+)")


def env_dependencies(container: ComposeService, services: set[str]) -> list[str]:
    """Other compose services this container reaches through its environment (URLs, *_HOST variables)."""
    found: list[str] = []
    for name, value in container.environment.items():
        if not value:
            continue
        match = _DEPENDENCY_URL.match(value)
        host = match.group(1) if match else (value if name.upper().endswith(("_HOST", "_HOSTNAME", "_SERVER")) else "")
        host = host.split(":")[0]
        if host in services and host != container.name and host not in found:
            found.append(host)
    return found
