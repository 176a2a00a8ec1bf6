"""Every secret the stack holds, wherever it is written: for the finding and for the redactor.

Sources, each sighting located at ``file:line`` and never printed:

* the names services.yaml declares (``stack.secrets``): their values in the environment and ``.env``;
* compose ``environment`` and ``env_file`` values whose name says secret (password, token, api key...)
  or that hold a URL with a password; compose top-level ``secrets:`` (file or environment);
* the project's ``.env`` and every ``env_file``; Dockerfile ``ENV``/``ARG`` defaults;
* detect-secrets' detectors on those files (token shapes, high-entropy strings beside a secret word,
  URLs with a password), plus ``ghp_``/``github_pat_``/``glpat-`` tokens its plugins miss.

A sighting is *literal* when the value is written in a file of the repository (not a ``${VAR}``
reference resolved at run time): a committed secret, which ``security.secrets-not-logged`` fails.
Every sighting's value, literal or not, is redacted from every output.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from detect_secrets.filters import heuristic
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import KeywordDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from detect_secrets.settings import transient_settings

from .artifacts import ArtifactError, Artifacts

if TYPE_CHECKING:
    from .compose import ComposeService
    from .context import Stack

MIN_SECRET_LENGTH = 6
MAX_LINE_LENGTH = 20_000
SECRET_NAME = re.compile(
    r"pass(word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth[_-]?key|"
    r"client[_-]?secret|signing[_-]?key|encryption[_-]?key|session[_-]?key|webhook[_-]?key",
    re.IGNORECASE,
)
NOT_SECRET_NAME = re.compile(r"_(FILE|PATH|DIR|URL_FILE|HOST|PORT|USER|USERNAME|NAME|TTL|EXPIRY|LENGTH|TIMEOUT)$", re.I)
PLACEHOLDER = re.compile(
    r"^(\*+|x{3,}|X{3,}|•+|<[^>]*>|\[?redacted\]?|\[?masked\]?|changeme|change[-_]?me|example|secret|password|"
    r"null|none|true|false|\.\.\.|todo|tbd|dummy|test|\$\{.*\}|\$[A-Za-z_][A-Za-z0-9_]*)$",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:([^\s@/'\"]+)@", re.IGNORECASE)
# ``nats://TOKEN@host``, ``https://TOKEN@github.com``: a userinfo with no password that is token-shaped
# (long, letters and digits) is the credential itself; ``postgresql://shop@db`` names a user.
_URL_TOKEN = re.compile(r"[a-z][a-z0-9+.-]*://([A-Za-z0-9_\-.~%]{16,})@", re.IGNORECASE)
_EXTRA_TOKENS = re.compile(
    r"\b(ghp_[A-Za-z0-9]{30,}|gh[osru]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,})"
)
_REFERENCE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*")
_VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_INDIRECT_KEY = re.compile(r"(_env|_var|_file|_path|_name|_ref)\s*[:=]\s*['\"]?$", re.IGNORECASE)

TOKEN_PLUGINS: tuple[type[BasePlugin], ...] = (
    AWSKeyDetector, AzureStorageKeyDetector, BasicAuthDetector, DiscordBotTokenDetector, GitHubTokenDetector,
    GitLabTokenDetector, JwtTokenDetector, MailchimpDetector, NpmDetector, OpenAIDetector, PrivateKeyDetector,
    PypiTokenDetector, SendGridDetector, SlackDetector, SquareOAuthDetector, StripeDetector,
    TelegramBotTokenDetector, TwilioKeyDetector,
)  # fmt: skip
# High-entropy strings count only next to a secret-sounding word: digests, ids and hashes in reports are
# random-looking too, and a bare 64-hex checksum is not a leak.
SECRET_CONTEXT = re.compile(
    r"secret|passw|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|token|credential|auth", re.IGNORECASE
)
PLUGIN_CONFIG = [
    *({"name": plugin.__name__} for plugin in TOKEN_PLUGINS),
    {"name": "KeywordDetector"},
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "HexHighEntropyString", "limit": 3.0},
]


@dataclass(frozen=True)
class Finding:
    """Where a secret-looking value was found; never holds the value itself."""

    location: str
    detector: str
    length: int


@dataclass(frozen=True)
class Sighting:
    """A secret value the stack holds: its name (a variable, a detector), where it is written, whether
    it is written as a literal in a committed file. ``value`` is for the redactor only."""

    name: str
    value: str
    location: str
    source: str
    literal: bool
    services: tuple[str, ...] = ()

    def __repr__(self) -> str:  # never let a value reach a log or a traceback
        return f"Sighting({self.name!r}, {self.location!r}, {self.source!r}, literal={self.literal})"


def looks_placeholder(value: str) -> bool:
    text = value.strip().strip("'\"")
    return len(text) < MIN_SECRET_LENGTH or bool(PLACEHOLDER.match(text)) or bool(_REFERENCE.fullmatch(text))


def secret_named(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET_NAME.search(name)


def url_password(value: str) -> str | None:
    match = _URL_PASSWORD.search(value)
    if match is None:
        token = _URL_TOKEN.search(value)
        if token is None:
            return None
        user = unquote(token.group(1))
        if not (re.search(r"[0-9]", user) and re.search(r"[A-Za-z]", user)):
            return None
        return None if looks_placeholder(user) else user
    password = unquote(match.group(1))
    return None if looks_placeholder(password) else password


def _filtered(secret: str, line: str, plugin: BasePlugin) -> bool:
    """detect-secrets' own false-positive heuristics plus masked/placeholder values."""
    if len(secret) < 4 and not isinstance(plugin, PrivateKeyDetector):
        return True
    if looks_placeholder(secret):
        return True
    if _VARIABLE_NAME.fullmatch(secret) or _INDIRECT_KEY.search(line.split(secret, 1)[0]):
        return True  # names an environment variable or a file holding the secret, e.g. password_env: DB_PASSWORD
    return bool(
        heuristic.is_templated_secret(secret)
        or heuristic.is_prefixed_with_dollar_sign(secret)
        or heuristic.is_sequential_string(secret)
        or heuristic.is_potential_uuid(secret)
        or heuristic.is_likely_id_string(secret, line, plugin)
        or heuristic.is_indirect_reference(line)
        or (isinstance(plugin, KeywordDetector) and heuristic.is_not_alphanumeric_string(secret))
    )


class SecretScanner:
    """detect-secrets plugins applied line by line, plus exact matches of known secret values."""

    def __init__(self, exact: dict[str, str]) -> None:
        self.exact = {name: value for name, value in exact.items() if len(value) >= 4}
        with transient_settings({"plugins_used": PLUGIN_CONFIG}):
            self.token_plugins: list[BasePlugin] = [plugin() for plugin in TOKEN_PLUGINS]
            self.keyword = KeywordDetector()
            self.entropy: list[BasePlugin] = [Base64HighEntropyString(limit=4.5), HexHighEntropyString(limit=3.0)]

    def values_in(self, filename: str, line: str) -> Iterator[tuple[str, str]]:
        """(detector, secret value) for every secret-looking value in one line."""
        line = line.replace("\x00", "")[:MAX_LINE_LENGTH]
        for name, value in self.exact.items():
            if value in line:
                yield f"value of known secret {name}", value
        password = url_password(line)
        if password:
            yield "password in a URL", password
        for match in _EXTRA_TOKENS.finditer(line):
            yield "GitHub/GitLab token", match.group(1)
        plugins: list[BasePlugin] = [*self.token_plugins, self.keyword]
        if SECRET_CONTEXT.search(line):
            plugins.extend(self.entropy)
        seen: set[str] = set()
        with transient_settings({"plugins_used": PLUGIN_CONFIG}):
            for plugin in plugins:
                for potential in plugin.analyze_line(filename=filename, line=line, line_number=0):
                    secret = potential.secret_value or ""
                    if not secret or secret in seen or _filtered(secret, line, plugin):
                        continue
                    if plugin in self.entropy and not SECRET_CONTEXT.search(line.replace(secret, "")):
                        continue
                    seen.add(secret)
                    yield str(plugin.secret_type), secret

    def scan_line(self, filename: str, line: str, where: str) -> list[Finding]:
        found: list[Finding] = []
        seen: set[str] = set()
        for detector, value in self.values_in(filename, line):
            if value not in seen:
                seen.add(value)
                found.append(Finding(where, detector, len(value)))
        return found


def _git(folder: str, *args: str) -> subprocess.CompletedProcess[str] | None:
    """``git -C folder ARGS`` (None when git cannot run here)."""
    try:
        return subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


@cache
def _git_root(folder: str) -> str | None:
    proc = _git(folder, "rev-parse", "--show-toplevel")
    return proc.stdout.strip() or None if proc is not None and proc.returncode == 0 else None


@cache
def committed(path: Path) -> bool:
    """A file of the project as checked in: present, and not ignored by git (outside git: present)."""
    root = _git_root(str(path.parent))
    proc = _git(root, "check-ignore", "-q", str(path)) if root is not None else None
    return proc is None or proc.returncode != 0


@cache
def tracked(path: Path) -> bool:
    """Whether git tracks ``path`` (a ``.env`` is by convention kept out of git: only a tracked one is committed)."""
    root = _git_root(str(path.parent))
    proc = _git(root, "ls-files", "--error-unmatch", str(path)) if root is not None else None
    return proc is not None and proc.returncode == 0


def _dedupe(sightings: Iterable[Sighting]) -> list[Sighting]:
    """One sighting per (value, location), naming every service that gets it (anchors, extends and a
    shared env_file hand one written value to several services)."""
    out: dict[tuple[str, str], Sighting] = {}
    for s in sightings:
        key = (s.value, s.location)
        kept = out.get(key)
        if kept is None:
            out[key] = s
            continue
        best = s if s.literal and not kept.literal else kept
        services = tuple(dict.fromkeys(kept.services + s.services))
        out[key] = replace(best, services=services)
    return list(out.values())


def discover(stack: Stack) -> list[Sighting]:
    """Every secret of the stack (see the module docstring); made once per run."""
    result: list[Sighting] = stack.memo("secrets", None, lambda: _discover(stack))
    return result


def _discover(stack: Stack) -> list[Sighting]:
    import os

    from .compose.files import dotenv_values
    from .dockerfile import read_dockerfile
    from .errors import InputError

    sightings: list[Sighting] = []
    declared = set(stack.config.stack_paths("secrets"))
    for name in sorted(declared):
        value = os.environ.get(name)
        if value and not looks_placeholder(value):
            sightings.append(Sighting(name, value, "environment", "declared secret (environment)", False))
    try:
        project = stack.compose
    except Exception:
        project = None
    scanner = SecretScanner({})
    door = stack.artifacts
    if project is not None:
        dotenv = project.marks.dotenv
        for key, entry in dotenv.items():
            value = str(entry.value or "")
            if looks_placeholder(value):
                continue
            path = entry.location[0]
            where = f"{door.show(path)}:{entry.location[1]}"
            if key in declared or secret_named(key):
                sightings.append(Sighting(key, value, where, ".env (tracked by git)", tracked(path)))
            elif (password := url_password(value)) is not None:
                sightings.append(Sighting(key, password, where, ".env (password in a URL)", tracked(path)))
        for name, service in project.services.items():
            written = {e.key: e for e in service.entries("environment") if e.key}
            from_files = {e.key: e for e in service.entries("env_file_vars") if e.key}
            for key, value in service.environment.items():
                if not value or looks_placeholder(value):
                    continue
                found = written.get(key) or from_files.get(key)
                where = service.cite(found) if found else service.where("environment")
                raw = str(found.value) if found is not None and found.value is not None else ""
                literal = found is not None and not _REFERENCE.search(raw)
                if found is not None and found.source == "env_file":
                    literal = literal and committed(found.location[0])
                source = "env_file" if found is not None and found.source == "env_file" else "compose environment"
                if key in declared or secret_named(key):
                    sightings.append(Sighting(key, value, where, source, literal, (name,)))
                elif (password := url_password(value)) is not None:
                    sightings.append(Sighting(key, password, where, f"{source} (password in a URL)", literal, (name,)))
                else:
                    for detector, detected in scanner.values_in(f"{name}.env", f"{key}={value}"):
                        sightings.append(Sighting(f"{key} ({detector})", detected, where, source, literal, (name,)))
            if service.dockerfile is not None and service.build_context is not None:
                path, context, target = service.dockerfile, service.build_context, service.build_target
                try:
                    dockerfile = stack.memo(
                        "dockerfile", (str(path), target), partial(read_dockerfile, door, path, context, target)
                    )
                except InputError:
                    dockerfile = None
                for ins in dockerfile.all("ENV") + dockerfile.all("ARG") if dockerfile else []:
                    for key, value in _assignments(ins.value):
                        if value and not looks_placeholder(value) and (secret_named(key) or url_password(value)):
                            secret = url_password(value) or value
                            sightings.append(
                                Sighting(key, secret, dockerfile.where(ins), f"Dockerfile {ins.name}", True, (name,))
                            )
        for name, service in project.services.items():
            sightings.extend(_mounted_config_secrets(door, scanner, name, service))
        for secret_name, spec in project.top_level("secrets").items():
            if not isinstance(spec, dict):
                continue
            if spec.get("environment"):
                value = os.environ.get(str(spec["environment"])) or dotenv_values(project.project_dir / ".env").get(
                    str(spec["environment"]), ""
                )
                if value and not looks_placeholder(value):
                    sightings.append(
                        Sighting(
                            secret_name,
                            value,
                            project.where("secrets", secret_name),
                            "compose secret (environment)",
                            False,
                        )
                    )
            elif spec.get("file"):
                try:
                    text = door.text(door.resolve(Path(str(spec["file"])))).text.strip()
                except ArtifactError:
                    continue
                if text and not looks_placeholder(text) and len(text) < 4096:
                    sightings.append(
                        Sighting(secret_name, text, project.where("secrets", secret_name), "compose secret file", False)
                    )
    return _dedupe(sightings)


MOUNTED_CONFIG_SUFFIXES = (".yml", ".yaml", ".conf", ".toml", ".ini", ".json", ".properties", ".cfg", ".env")
MAX_MOUNTED_CONFIG_BYTES = 1 << 20
MAX_MOUNTED_CONFIG_FILES = 50


def _mounted_config_secrets(
    door: Artifacts, scanner: SecretScanner, name: str, service: ComposeService
) -> list[Sighting]:
    """Token-shaped secrets (a Slack webhook, a GitHub token, a URL with a password) in the repository's
    config files the service bind-mounts (``./alertmanager/config.yml:/etc/alertmanager/config.yml``)."""
    found: list[Sighting] = []
    paths: list[Path] = []
    for mount in service.volumes:
        if mount.type != "bind" or not mount.source:
            continue
        source = Path(mount.source)
        try:
            if door.is_dir(source):  # a mounted config folder: its config files, a bounded number
                paths.extend(door.files_under(source, MOUNTED_CONFIG_SUFFIXES)[:MAX_MOUNTED_CONFIG_FILES])
            elif source.suffix.lower() in MOUNTED_CONFIG_SUFFIXES:
                paths.append(source)
        except ArtifactError:
            continue
    for candidate in dict.fromkeys(paths):
        try:
            path = door.resolve(candidate)
            if door.stat(path).st_size > MAX_MOUNTED_CONFIG_BYTES:
                continue
            text = door.text(path).text
        except ArtifactError:
            continue  # outside the root, special or unreadable: least privilege and the door say so
        literal = committed(path)
        for number, line in enumerate(text.replace("\x00", "").splitlines(), start=1):
            if line.lstrip().startswith(("#", "//", ";")):
                continue
            for detector, value in scanner.values_in(path.name, line):
                where = f"{door.show(path)}:{number}"
                found.append(
                    Sighting(f"{detector} in a mounted config", value, where, "bind-mounted config", literal, (name,))
                )
    return found


def _assignments(text: str) -> Iterator[tuple[str, str]]:
    """``KEY=VALUE`` pairs of a Dockerfile ENV/ARG (also the legacy ``ENV KEY VALUE`` form)."""
    import shlex

    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    if len(words) >= 2 and "=" not in words[0]:
        yield words[0], " ".join(words[1:])
        return
    for word in words:
        key, sep, value = word.partition("=")
        if sep:
            yield key, value


def redaction_values(sightings: Iterable[Sighting]) -> dict[str, str]:
    """name -> value for the redactor (the longest value first is the redactor's job)."""
    out: dict[str, str] = {}
    for s in sightings:
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", s.name.split(" ")[0])[:40] or "secret"
        if s.value not in out.values():
            key = label
            n = 2
            while key in out:
                key, n = f"{label}_{n}", n + 1
            out[key] = s.value
    return out
