"""Security & access criteria: no secrets in logs/reports/outputs, minimal network exposure, least
privilege, and a reviewed key-rotation procedure.

Secret findings never carry the secret: only the env var name or the detector, the file and the line.
"""

from __future__ import annotations

import glob
import ipaddress
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

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
from markdown_it import MarkdownIt

from pytest_readiness.compose import ComposeService
from pytest_readiness.context import Service
from pytest_readiness.errors import InputError
from pytest_readiness.live import LivePart, Unobservable, every_container, with_live
from pytest_readiness.results import Evidence, Scope, Verdict
from pytest_readiness.units import format_age, parse_duration

from .build import containers_of, input_failure, join_reasons, limited, read_dockerfile

MIN_SECRET_LENGTH = 4
MAX_LINES_PER_FILE = 200_000
MAX_LINE_LENGTH = 20_000
DEFAULT_ROTATION_HEADING = "Key rotation"
DEFAULT_ROTATION_MAX_AGE = "90d"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
LIVE_LOG_TAIL = 200

# ---------------------------------------------------------------------------------------------------
# security.secrets-not-logged
# ---------------------------------------------------------------------------------------------------

_TOKEN_PLUGINS: tuple[type[BasePlugin], ...] = (
    AWSKeyDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    JwtTokenDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PrivateKeyDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)
# High-entropy strings count only next to a secret-sounding word: digests, ids and hashes in reports are
# random-looking too, and a bare 64-hex checksum is not a leak.
_SECRET_CONTEXT = re.compile(
    r"secret|passw|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|token|credential|auth", re.IGNORECASE
)
_MASKED = re.compile(
    r"^(\*+|x{3,}|X{3,}|•+|<[^>]*>|\[?redacted\]?|\[?masked\]?|\*\*\*.*|null|none|"
    r"changeme|\.\.\.)$",
    re.IGNORECASE,
)
_PLUGIN_CONFIG = [
    *({"name": plugin.__name__} for plugin in _TOKEN_PLUGINS),
    {"name": "KeywordDetector"},
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "HexHighEntropyString", "limit": 3.0},
]


@dataclass(frozen=True)
class SecretFinding:
    """Where a secret-looking value was found; never holds the value itself."""

    location: str
    detector: str
    length: int

    def evidence(self) -> Evidence:
        return Evidence(self.location, f"{self.detector} (value masked, {self.length} chars)")


def _filtered(secret: str, line: str, plugin: BasePlugin) -> bool:
    """detect-secrets' own false-positive heuristics plus masked/placeholder values."""
    if len(secret) < MIN_SECRET_LENGTH and not isinstance(plugin, PrivateKeyDetector):
        return True
    if _MASKED.match(secret.strip()):
        return True
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
    """detect-secrets plugins applied line by line, plus exact matches of declared secret values."""

    def __init__(self, exact: dict[str, str]) -> None:
        self.exact = {name: value for name, value in exact.items() if len(value) >= MIN_SECRET_LENGTH}
        self.token_plugins: list[BasePlugin] = [plugin() for plugin in _TOKEN_PLUGINS]
        self.keyword = KeywordDetector()
        self.entropy: list[BasePlugin] = [Base64HighEntropyString(limit=4.5), HexHighEntropyString(limit=3.0)]

    def scan_line(self, filename: str, line: str, where: str) -> list[SecretFinding]:
        """Findings in one line (``filename`` picks detect-secrets' per-filetype keyword rules)."""
        findings: list[SecretFinding] = []
        for name, value in self.exact.items():
            if value in line:
                findings.append(SecretFinding(where, f"value of declared secret {name}", len(value)))
        if len(line) > MAX_LINE_LENGTH:
            line = line[:MAX_LINE_LENGTH]
        plugins: list[BasePlugin] = [*self.token_plugins, self.keyword]
        if _SECRET_CONTEXT.search(line):
            plugins.extend(self.entropy)
        seen: set[str] = set()
        for plugin in plugins:
            for potential in plugin.analyze_line(filename=filename, line=line, line_number=0):
                secret = potential.secret_value or ""
                if not secret or secret in seen or _filtered(secret, line, plugin):
                    continue
                if plugin in self.entropy and not _SECRET_CONTEXT.search(line.replace(secret, "")):
                    continue
                seen.add(secret)
                findings.append(SecretFinding(where, str(plugin.secret_type), len(secret)))
        return findings

    def scan_file(self, path: Path, shown: str) -> tuple[list[SecretFinding], int, bool]:
        """(findings, lines scanned, truncated) for one text file; binary files are skipped (0 lines)."""
        try:
            with path.open("rb") as handle:
                head = handle.read(8192)
        except OSError:
            return [], 0, False
        if b"\x00" in head:
            return [], 0, False
        findings: list[SecretFinding] = []
        count = 0
        truncated = False
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, start=1):
                if number > MAX_LINES_PER_FILE:
                    truncated = True
                    break
                count = number
                findings.extend(self.scan_line(path.name, raw.rstrip("\n"), f"{shown}:{number}"))
        return findings, count, truncated


def _declared_files(service: Service) -> tuple[list[Path], list[str]]:
    """Files the row declares as logs (globs), reports and outputs; also which declared paths are missing."""
    root = service.config.root
    files: list[Path] = []
    missing: list[str] = []
    for pattern in service.spec.paths("logs"):
        full = service.path(pattern)
        if glob.has_magic(pattern):
            matches = [Path(p) for p in sorted(glob.glob(f"{glob.escape(str(root))}/{pattern}", recursive=True))]
            files.extend(p for p in matches if p.is_file())
            if not matches:
                missing.append(pattern)
        elif full.is_file():
            files.append(full)
        else:
            missing.append(pattern)
    report_paths = [spec.path for spec in service.reports]
    for key in ("backup_drill", "integration_gate", "promotion_gate", "junit"):
        spec = service.report_spec(key)
        if spec is not None:
            report_paths.append(spec.path)
    output_paths = [str(o["path"]) for o in service.spec.raw.get("outputs", []) if isinstance(o, dict)]
    for rel in [*report_paths, *output_paths]:
        full = service.path(rel)
        if full.is_file():
            files.append(full)
        elif full.is_dir():
            files.extend(sorted(p for p in full.rglob("*") if p.is_file()))
        else:
            missing.append(rel)
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, list(dict.fromkeys(missing))


@dataclass
class _EnvEntry:
    container: str
    key: str
    location: str
    raw_line: str
    file_name: str


def _env_entries(container: ComposeService) -> Iterator[_EnvEntry]:
    """Each environment entry of a container with the compose line as written (before interpolation)."""
    env = container.raw.get("environment")
    if isinstance(env, dict):
        keys: list[tuple[str, str | int]] = [(str(k), str(k)) for k in env]
    elif isinstance(env, list):
        keys = [(str(item).partition("=")[0], index) for index, item in enumerate(env)]
    else:
        return
    cache: dict[Path, list[str]] = {}
    for name, key in keys:
        file = container.file_of("environment", key)
        line = container.line_of("environment", key)
        if file not in cache:
            try:
                cache[file] = file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                cache[file] = []
        lines = cache[file]
        raw = lines[line - 1] if 0 < line <= len(lines) else ""
        yield _EnvEntry(container.name, name, container.where("environment", key), raw, file.name)


def _literal_value(raw_line: str, key: str) -> str:
    """The value written on a compose environment line (``KEY: value`` or ``- KEY=value``)."""
    text = raw_line.strip().lstrip("-").strip()
    for sep in ("=", ":"):
        head, found, rest = text.partition(sep)
        if found and head.strip().strip("'\"") == key:
            return rest.strip().strip("'\"")
    return ""


def secrets_not_logged(service: Service) -> Verdict:
    """security.secrets-not-logged: the row's logs, reports and outputs (and its compose environment) hold no
    declared secret value and no secret-shaped token. Findings show the detector or variable, never the value.
    Live: the same scanner over each container's recent logs (the last 200 lines)."""
    exact = service.secret_values()  # the environment, then the compose .env file
    with transient_settings({"plugins_used": _PLUGIN_CONFIG}):
        scanner = SecretScanner(exact)
        static = _static_secrets_not_logged(service, scanner)
        return with_live(static, lambda: live_secrets_not_logged(service, scanner))


def live_secrets_not_logged(service: Service, scanner: SecretScanner) -> LivePart:
    """Live part of security.secrets-not-logged: scan each container's log sample; a finding names the
    container, the line within the sample and the detector, never the value."""
    every = every_container(service)
    if not isinstance(every, list):
        return every
    findings: list[SecretFinding] = []
    scanned: list[Evidence] = []
    unseen: list[Unobservable] = []
    lines_total = 0
    for c in every:
        lines = service.stack.live.logs(c, LIVE_LOG_TAIL)
        if isinstance(lines, Unobservable):
            unseen.append(lines)
            continue
        where = f"{c.location} logs"
        for number, text in enumerate(lines, start=1):
            for finding in scanner.scan_line(f"{c.name}.log", text, where):
                findings.append(
                    SecretFinding(where, f"line {number} of the last {len(lines)}: {finding.detector}", finding.length)
                )
        lines_total += len(lines)
        scanned.append(Evidence(where, f"last {len(lines)} line(s) scanned"))
    if findings:
        first = findings[0]
        return Verdict.failed(
            f"{len(findings)} secret-looking value(s) in container logs, first {first.detector} in {first.location}; "
            "remove and rotate it, and mask secrets before logging",
            *limited([f.evidence() for f in findings]),
        )
    if unseen:
        # A container whose logs could not be read was not checked: the live part proves nothing.
        return unseen[0]
    return Verdict.passed(
        f"no secret in the logs of {len(scanned)} container(s) ({lines_total} line(s) scanned)",
        *limited(scanned),
    )


def _static_secrets_not_logged(service: Service, scanner: SecretScanner) -> Verdict:
    files, missing = _declared_files(service)
    exact = service.secret_values()
    declared = set(service.config.stack_paths("secrets"))
    findings: list[SecretFinding] = []
    env_checked = 0
    containers: list[ComposeService] = []
    if service.kind != "gate" and service.spec.compose_services:
        containers, verdict = containers_of(service)
        if verdict is not None:
            return verdict
    for container in containers:
        for entry in _env_entries(container):
            env_checked += 1
            value = _literal_value(entry.raw_line, entry.key)
            if entry.key in declared and value and "$" not in value:
                findings.append(
                    SecretFinding(
                        entry.location,
                        f"literal value for declared secret {entry.key} in compose environment",
                        len(value),
                    )
                )
                continue
            findings.extend(scanner.scan_line(entry.file_name, entry.raw_line, entry.location))
    scanned = 0
    lines = 0
    truncated: list[str] = []
    for path in files:
        shown = service.show(path)
        found, count, cut = scanner.scan_file(path, shown)
        if count:
            scanned += 1
            lines += count
        if cut:
            truncated.append(shown)
        findings.extend(found)
    if findings:
        first = findings[0]
        return Verdict.failed(
            f"{len(findings)} secret-looking value(s) in logs/reports/outputs/compose, first {first.detector} at "
            f"{first.location}; remove and rotate it, and mask secrets before logging",
            *limited([f.evidence() for f in findings]),
        )
    if scanned == 0:
        what = ", ".join(missing) if missing else "no logs, reports or outputs declared"
        return Verdict.not_observed(
            f"no log, report or output file of {service.name} to scan ({what})",
            *(
                [Evidence(service.spec.where, f"{env_checked} compose environment entries clean")]
                if env_checked
                else []
            ),
        )
    detail = f"{scanned} file(s), {lines} line(s) scanned"
    if env_checked:
        detail += f", {env_checked} compose environment entries"
    if truncated:
        detail += f"; only the first {MAX_LINES_PER_FILE} lines of {', '.join(truncated)}"
    evidence = [Evidence(service.show(p), "scanned") for p in files[:8]]
    if missing:
        evidence.append(Evidence(", ".join(missing), "declared but not present"))
    return Verdict.passed(
        f"no secret found: {detail} ({len(exact)} declared secret value(s) known)",
        Evidence(service.spec.where, detail),
        *evidence,
        scope=Scope.STATIC_ONLY,
    )


# ---------------------------------------------------------------------------------------------------
# security.network-exposure
# ---------------------------------------------------------------------------------------------------


def _allowed_bind(host_ip: str, allowed: set[str]) -> bool:
    if host_ip in allowed or host_ip in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host_ip.strip("[]")).is_loopback
    except ValueError:
        return False


def _allowed_addresses(service: Service) -> set[str]:
    return {str(a) for a in service.config.stack.get("allowed_bind_addresses") or []}


def network_exposure(service: Service) -> Verdict:
    """security.network-exposure: every published port binds loopback (or an allow-listed address); a port
    without a host IP listens on every interface. Live: the port bindings the engine actually applied."""
    return with_live(_static_network_exposure(service), lambda: live_network_exposure(service))


def live_network_exposure(service: Service) -> LivePart:
    """Live part of security.network-exposure: each container's actual bindings (NetworkSettings.Ports)."""
    every = every_container(service)
    if not isinstance(every, list):
        return every
    allowed = _allowed_addresses(service)
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for c in every:
        if c.network_mode == "host":
            bad.append(Evidence(c.location, "network mode host: every port it listens on is exposed"))
            continue
        exposed = [b for b in c.port_bindings if not _allowed_bind(b.host_ip, allowed)]
        for binding in exposed:
            extra = " (all interfaces)" if binding.all_interfaces else ""
            bad.append(Evidence(c.location, f"binds {binding}{extra}"))
        if not exposed:
            shown = ", ".join(str(b) for b in c.port_bindings) or "no published ports"
            good.append(Evidence(c.location, f"bindings: {shown}"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.location} {e.detail}" for e in bad], 2)
            + "; publish on 127.0.0.1 (e.g. '127.0.0.1:8080:8080') or allow-list the address",
            *limited(bad),
        )
    return Verdict.passed(f"{len(good)} running container(s) bind only loopback or allowed addresses", *limited(good))


def _static_network_exposure(service: Service) -> Verdict:
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    allowed = _allowed_addresses(service)
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for container in containers:
        if (container.network_mode or "").strip() == "host":
            bad.append(
                Evidence(
                    container.where("network_mode"),
                    f"{container.name}: network_mode: host exposes every port it listens on",
                )
            )
        published = [p for p in container.ports if p.is_published]
        for port in published:
            where = f"{container.where('ports').rsplit(':', 1)[0]}:{port.line}"
            shown = f"{port.host_ip}:{port.published or '(mode host)'}->{port.target}/{port.protocol}"
            if _allowed_bind(port.host_ip, allowed):
                good.append(Evidence(where, f"{container.name}: {shown}"))
            else:
                unset = " (no host IP: all interfaces)" if port.host_ip in ("0.0.0.0", "::", "") else ""
                bad.append(Evidence(where, f"{container.name}: {shown}{unset}"))
        if not published and container.network_mode != "host":
            good.append(Evidence(container.where(), f"{container.name}: no published ports"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.detail} at {e.location}" for e in bad], 2)
            + "; bind published ports to 127.0.0.1 (e.g. '127.0.0.1:8080:8080') or allow-list the address",
            *bad,
            scope=Scope.STATIC_ONLY,
        )
    return Verdict.passed(
        f"no port of {', '.join(c.name for c in containers)} exposed beyond loopback", *good, scope=Scope.STATIC_ONLY
    )


# ---------------------------------------------------------------------------------------------------
# security.least-privilege
# ---------------------------------------------------------------------------------------------------


def _no_new_privileges(options: tuple[str, ...]) -> bool:
    for option in options:
        text = option.replace(" ", "").lower()
        if text in ("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"):
            return True
    return False


def least_privilege(service: Service) -> Verdict:
    """security.least-privilege: non-root user, not privileged, cap_drop ALL, no-new-privileges, read-only
    root filesystem, on every container. Live: the same, as the engine applied it, and the uid the main
    process actually runs as."""
    return with_live(_static_least_privilege(service), lambda: live_least_privilege(service))


def _root_user(user: str) -> bool:
    return not user or user.split(":")[0].strip() in ("root", "0")


def live_least_privilege(service: Service) -> LivePart:
    """Live part of security.least-privilege, from each container's inspect data and its process list."""
    every = every_container(service)
    if not isinstance(every, list):
        return every
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for c in every:
        problems: list[str] = []
        user = c.user or "(none: root)"
        uid = service.stack.live.process_user(c) if c.running else None
        if isinstance(uid, str):
            # the running user decides (an entrypoint may drop privileges, or a named user may be uid 0)
            if uid == "0":
                problems.append(f"main process runs as uid 0 (user {user})")
        elif _root_user(c.user):
            problems.append(f"user {user}")
        if c.privileged:
            problems.append("privileged")
        if "ALL" not in {cap.upper() for cap in c.cap_drop}:
            problems.append("CapDrop lacks ALL")
        if not _no_new_privileges(c.security_opt):
            problems.append("SecurityOpt lacks no-new-privileges")
        if not c.read_only:
            problems.append("root filesystem writable")
        if problems:
            bad.append(Evidence(c.location, ", ".join(problems)))
        else:
            ran = f", main process uid {uid}" if isinstance(uid, str) else ""
            good.append(Evidence(c.location, f"user {user}{ran}, CapDrop ALL, no-new-privileges, read-only root"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.location}: {e.detail}" for e in bad], 2)
            + "; recreate it non-root with cap_drop [ALL], no-new-privileges and read_only",
            *limited(bad),
        )
    return Verdict.passed(f"{len(good)} container(s) run with least privilege", *limited(good))


def _static_least_privilege(service: Service) -> Verdict:
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for container in containers:
        problems: list[Evidence] = []
        user = container.user
        user_where = container.where("user")
        if not user:
            try:
                dockerfile = read_dockerfile(service, container)
            except InputError as exc:
                return input_failure(exc)
            ins = dockerfile.last("USER") if dockerfile else None
            if ins is not None and dockerfile is not None:
                user, user_where = ins.value.strip(), dockerfile.where(ins)
        if not user:
            problems.append(
                Evidence(
                    container.where(),
                    f"{container.name}: no user set (runs as the image's "
                    "default, root unless the image says otherwise)",
                )
            )
        elif user.split(":")[0].strip() in ("root", "0"):
            problems.append(Evidence(user_where, f"{container.name}: user {user} is root"))
        if container.privileged:
            problems.append(Evidence(container.where("privileged"), f"{container.name}: privileged: true"))
        if "ALL" not in {c.upper() for c in container.cap_drop}:
            problems.append(Evidence(container.where("cap_drop"), f"{container.name}: cap_drop lacks ALL"))
        if not _no_new_privileges(container.security_opt):
            problems.append(
                Evidence(
                    container.where("security_opt"), f"{container.name}: security_opt lacks no-new-privileges:true"
                )
            )
        if not container.read_only:
            problems.append(Evidence(container.where("read_only"), f"{container.name}: read_only is not true"))
        if problems:
            bad.extend(problems)
        else:
            good.append(
                Evidence(
                    container.where(), f"{container.name}: user {user}, cap_drop ALL, no-new-privileges, read-only root"
                )
            )
    if bad:
        names = sorted({e.detail.split(":")[0] for e in bad})
        return Verdict.failed(
            f"{len(bad)} privilege gap(s) in {', '.join(names)}: "
            + join_reasons([e.detail.split(": ", 1)[1] for e in bad], 4)
            + "; run as a non-root user with cap_drop [ALL], no-new-privileges and read_only",
            *limited(bad),
            scope=Scope.STATIC_ONLY,
        )
    return Verdict.passed(f"{len(good)} container(s) run with least privilege", *good, scope=Scope.STATIC_ONLY)


# ---------------------------------------------------------------------------------------------------
# security.key-rotation
# ---------------------------------------------------------------------------------------------------

_REVIEWED = re.compile(r"last\s+reviewed\s*[:=-]?\s*\**\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


@dataclass
class RunbookSection:
    """A Markdown section: heading text and line, body lines, and the review date line if any."""

    heading: str
    line: int
    body_lines: list[tuple[int, str]] = field(default_factory=list)
    reviewed: date | None = None
    reviewed_line: int | None = None


def find_section(text: str, wanted: str) -> RunbookSection | None:
    """The first section whose heading contains ``wanted`` (case-insensitive), via markdown-it's tokens."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    section: RunbookSection | None = None
    level = 0
    heading_inline = -1
    for index, tok in enumerate(tokens):
        if tok.type == "heading_open":
            this_level = int(tok.tag[1:])
            if section is not None and this_level <= level:
                break
            title = tokens[index + 1].content if index + 1 < len(tokens) else ""
            if section is None and wanted.lower() in title.lower():
                section = RunbookSection(title.strip(), (tok.map[0] + 1) if tok.map else 1)
                level = this_level
                heading_inline = index + 1
                continue
        if section is None or tok.map is None or tok.type.endswith("_close") or index == heading_inline:
            continue
        if tok.type in ("inline", "fence", "code_block", "html_block"):
            start = tok.map[0] + 1
            for offset, body in enumerate(tok.content.splitlines()):
                if body.strip():
                    section.body_lines.append((start + offset, body))
    if section is None:
        return None
    for number, body in section.body_lines:
        match = _REVIEWED.search(body)
        if match:
            try:
                section.reviewed = date.fromisoformat(match.group(1))
                section.reviewed_line = number
            except ValueError:
                continue
    return section


def git_last_change(path: Path, before: datetime) -> datetime | None:
    """Time of the last commit touching ``path`` at or before ``before`` (None: no git, no repo, no commit)."""
    try:
        result = subprocess.run(
            [
                "git",
                "-C",
                str(path.parent),
                "log",
                "-1",
                "--format=%cI",
                f"--before={before.isoformat()}",
                "--",
                path.name,
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = result.stdout.strip()
    if result.returncode != 0 or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _secret_references(service: Service, containers: list[ComposeService]) -> list[Evidence]:
    declared = list(service.config.stack_paths("secrets"))
    found: list[Evidence] = []
    for container in containers:
        for entry in _env_entries(container):
            for name in declared:
                if entry.key == name or re.search(rf"\$\{{?{re.escape(name)}\b", entry.raw_line):
                    found.append(Evidence(entry.location, f"{container.name} uses {name}"))
    return found


def key_rotation(service: Service) -> Verdict:
    """security.key-rotation: a row that uses a declared secret has a runbook key-rotation section with
    content, reviewed within max_age (git history of the runbook, else its 'Last reviewed:' line)."""
    if service.kind == "gate" or not service.spec.compose_services:
        return Verdict.not_applicable(f"{service.name} has no containers, so no declared secret in their environment")
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    uses = _secret_references(service, containers)
    if not uses:
        return Verdict.not_applicable(f"{service.name}'s containers use no declared secret (stack.secrets)")
    settings: dict[str, Any] = service.config.stack.get("key_rotation") or {}
    heading = str(settings.get("heading") or DEFAULT_ROTATION_HEADING)
    max_age = parse_duration(str(settings.get("max_age") or DEFAULT_ROTATION_MAX_AGE))
    runbook_rel = service.config.stack.get("runbooks")
    if not runbook_rel:
        return Verdict.failed(
            "the stack declares no runbooks file, so no key-rotation procedure can be found; add stack.runbooks",
            *uses[:3],
        )
    path = service.path(str(runbook_rel))
    shown = service.show(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Verdict.failed(f"runbook {shown} does not exist", Evidence(shown, "stack.runbooks"), *uses[:3])
    except (OSError, UnicodeDecodeError) as exc:
        return Verdict.failed(f"runbook {shown} is unreadable: {exc}", Evidence(shown, "stack.runbooks"))
    section = find_section(text, heading)
    if section is None:
        return Verdict.failed(
            f"{shown} has no '{heading}' heading; write the key-rotation procedure there",
            Evidence(shown, f"no heading containing '{heading}'"),
            *uses[:3],
        )
    head_ev = Evidence(f"{shown}:{section.line}", f"heading '{section.heading}'")
    content = [b for n, b in section.body_lines if n != section.reviewed_line]
    if not content:
        return Verdict.failed(
            f"section '{section.heading}' at {shown}:{section.line} is empty; write the steps", head_ev
        )
    now = service.now if service.now.tzinfo else service.now.replace(tzinfo=UTC)
    changed = git_last_change(path, now)
    if changed is not None:
        reviewed_at: datetime = changed
        source = Evidence(shown, f"last git commit touching it: {changed.isoformat()}")
    elif section.reviewed is not None:
        reviewed_at = datetime(section.reviewed.year, section.reviewed.month, section.reviewed.day, tzinfo=UTC)
        source = Evidence(f"{shown}:{section.reviewed_line}", f"Last reviewed: {section.reviewed.isoformat()}")
    else:
        return Verdict.failed(
            f"section '{section.heading}' ({shown}:{section.line}) has no review date: no git "
            "history and no 'Last reviewed: YYYY-MM-DD' line",
            head_ev,
        )
    age = now - reviewed_at
    if age < timedelta(0):
        return Verdict.failed(
            f"review date of '{section.heading}' is after the evaluation time ({source.detail})", head_ev, source
        )
    if age > max_age:
        return Verdict.failed(
            f"'{section.heading}' last reviewed {format_age(age)} ago ({source.location}), older "
            f"than {format_age(max_age)}; review the procedure and record the date",
            head_ev,
            source,
        )
    return Verdict.passed(
        f"'{section.heading}' reviewed {format_age(age)} ago (max {format_age(max_age)})", head_ev, source, *uses[:4]
    )
