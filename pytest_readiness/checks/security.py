"""Security & access criteria: no secrets committed or logged, minimal network exposure, least privilege,
and a reviewed key-rotation procedure.

Secret findings never carry the secret: only the variable name or the detector, the file and the line.
``pytest_readiness.secrets`` finds what the stack holds; least privilege reads everything compose can
use to hand a container the host (privileged, capabilities, the Docker socket, host namespaces, weakened
seccomp/AppArmor/SELinux, host paths, devices).
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from ..artifacts import ArtifactError
from ..compose import ComposeService
from ..context import Service
from ..errors import InputError
from ..live import LivePart, Unobservable, every_container, with_live
from ..results import Evidence, Scope, Verdict
from ..secrets import Finding, SecretScanner, Sighting, discover, redaction_values
from ..units import format_age, parse_duration
from .common import add_key, containers_of, dockerfile_of, fixes, input_failure, join_reasons, limited

MAX_LINES_PER_FILE = 200_000
DEFAULT_ROTATION_HEADING = "Key rotation"
DEFAULT_ROTATION_MAX_AGE = "90d"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
LIVE_LOG_TAIL = 200
DANGEROUS_CAPS = frozenset(
    [
        "ALL",
        "SYS_ADMIN",
        "NET_ADMIN",
        "SYS_PTRACE",
        "SYS_MODULE",
        "DAC_READ_SEARCH",
        "DAC_OVERRIDE",
        "SYS_RAWIO",
        "SYS_BOOT",
        "SYS_TIME",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "BPF",
        "PERFMON",
        "SYSLOG",
        "SYS_RESOURCE",
        "NET_RAW",
        "LINUX_IMMUTABLE",
    ]
)
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock", "/var/run/docker", "/run/containerd/containerd.sock")
SENSITIVE_ROOTS = ("/", "/etc", "/proc", "/sys", "/boot", "/dev", "/root", "/var/lib/docker", "/home", "/Users",
                   "/var/run", "/run", "/usr", "/lib", "/bin", "/sbin", "/var/lib/kubelet")  # fmt: skip
SENSITIVE_BELOW = (
    "/proc",
    "/sys",
    "/boot",
    "/dev",
    "/root",
    "/var/lib/docker",
    "/home",
    "/Users",
    "/etc/ssh",
    "/etc/shadow",
    "/etc/sudoers",
    "/etc/kubernetes",
    "/etc/docker",
    "/var/lib/kubelet",
)
HOST_NAMESPACES = ("network_mode", "pid", "ipc", "userns_mode", "uts", "cgroup")
WEAKENING = (
    (re.compile(r"^seccomp[:=]unconfined$", re.I), "seccomp:unconfined turns off the syscall filter"),
    (re.compile(r"^apparmor[:=]unconfined$", re.I), "apparmor:unconfined turns off AppArmor"),
    (re.compile(r"^label[:=]disable$", re.I), "label:disable turns off SELinux separation"),
    (re.compile(r"^systempaths[:=]unconfined$", re.I), "systempaths=unconfined unmasks /proc and /sys"),
)


# ---------------------------------------------------------------------------------------------------
# security.secrets-not-logged
# ---------------------------------------------------------------------------------------------------


def _declared_files(service: Service) -> tuple[list[Path], list[str]]:
    """Files the row declares as logs (globs), reports, outputs and config; also which declared paths are missing."""
    door = service.artifacts
    files: list[Path] = []
    missing: list[str] = []
    for pattern in service.spec.paths("logs"):
        matches = door.glob(pattern)
        files.extend(matches)
        if not matches:
            missing.append(pattern)
    report_paths = [spec.path for spec in service.reports]
    for key in ("backup_drill", "integration_gate", "promotion_gate", "junit"):
        spec = service.report_spec(key)
        if spec is not None:
            report_paths.append(spec.path)
    output_paths = [str(o["path"]) for o in service.spec.raw.get("outputs", []) if isinstance(o, dict)]
    for rel in [*report_paths, *output_paths, *service.spec.paths("config")]:
        full = service.path(rel)
        if door.is_file(full):
            files.append(full)
        elif door.is_dir(full):
            files.extend(door.files_under(full))
        else:
            missing.append(rel)
    return list(dict.fromkeys(files)), list(dict.fromkeys(missing))


def scanner_for(service: Service) -> SecretScanner:
    """The scanner with every known secret value (declared and discovered) as an exact match; one per run."""

    def make() -> SecretScanner:
        values = dict(service.secret_values())
        values.update(redaction_values(discover(service.stack)))
        return SecretScanner(values)

    result: SecretScanner = service.stack.memo("secret-scanner", None, make)
    return result


def committed_secrets(service: Service, containers: list[ComposeService]) -> list[Sighting]:
    """Literal secrets the row's containers get from committed files (compose, env_file, .env, Dockerfile)."""
    names = {c.name for c in containers}
    referenced: set[str] = set()
    for container in containers:
        for entry in container.entries("environment"):
            for ref in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", str(entry.value or "")):
                referenced.add(ref)
    found = []
    for sighting in discover(service.stack):
        if not sighting.literal:
            continue
        if set(sighting.services) & names or (not sighting.services and sighting.name in referenced):
            found.append(sighting)
    return found


def secrets_not_logged(service: Service) -> Verdict:
    """security.secrets-not-logged: no literal secret is committed in the row's compose environment, env_file,
    ``.env`` or Dockerfile, and its logs, reports, outputs and config hold no known secret value and no
    secret-shaped token. Findings show the variable or detector, never the value. Live: the same scanner
    over each container's recent logs (the last 200 lines)."""
    scanner = scanner_for(service)
    static = _static_secrets_not_logged(service, scanner)
    return with_live(static, lambda: live_secrets_not_logged(service, scanner))


def live_secrets_not_logged(service: Service, scanner: SecretScanner) -> LivePart:
    """Live part of security.secrets-not-logged: scan each container's log sample; a finding names the
    container, the line within the sample and the detector, never the value."""
    every = every_container(service)
    if not isinstance(every, list):
        return every
    findings: list[Finding] = []
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
                    Finding(where, f"line {number} of the last {len(lines)}: {finding.detector}", finding.length)
                )
        lines_total += len(lines)
        scanned.append(Evidence(where, f"last {len(lines)} line(s) scanned"))
    if findings:
        first = findings[0]
        return Verdict.failed(
            f"{len(findings)} secret-looking value(s) in container logs, first {first.detector} in {first.location}; "
            "remove and rotate it, and mask secrets before logging",
            *limited([_evidence(f) for f in findings]),
        )
    if unseen:
        # A container whose logs could not be read was not checked: the live part proves nothing.
        return unseen[0]
    return Verdict.passed(
        f"no secret in the logs of {len(scanned)} container(s) ({lines_total} line(s) scanned)", *limited(scanned)
    )


def _evidence(finding: Finding) -> Evidence:
    return Evidence(finding.location, f"{finding.detector} (value masked, {finding.length} chars)")


def _scan_file(service: Service, scanner: SecretScanner, path: Path) -> tuple[list[Finding], int, bool]:
    """(findings, lines scanned, truncated) for one file; NUL bytes do not hide a file from the scan."""
    shown = service.show(path)
    findings: list[Finding] = []
    count = 0
    truncated = False
    try:
        with service.artifacts.open_text(path) as handle:
            for number, raw in enumerate(handle, start=1):
                if number > MAX_LINES_PER_FILE:
                    truncated = True
                    break
                count = number
                findings.extend(scanner.scan_line(path.name, raw.rstrip("\n"), f"{shown}:{number}"))
    except ArtifactError as exc:
        return [Finding(shown, f"not scanned: {exc.message}", 0)], 0, False
    return findings, count, truncated


def _static_secrets_not_logged(service: Service, scanner: SecretScanner) -> Verdict:
    files, missing = _declared_files(service)
    containers: list[ComposeService] = []
    if service.kind != "gate" and service.spec.compose_services:
        containers, verdict = containers_of(service)
        if verdict is not None:
            return verdict
    committed = committed_secrets(service, containers)
    if committed:
        first = committed[0]
        return Verdict.failed(
            f"{len(committed)} literal secret(s) committed in the stack's files, first {first.name} "
            f"({first.source}) at {first.location}; move it out of the repository (a secret store, compose secrets:, "
            "or a gitignored .env) and rotate it",
            *limited(
                [Evidence(s.location, f"{s.name}: literal secret in {s.source} (value masked)") for s in committed]
            ),
            fix=fixes(
                [
                    f"{s.location}: replace the literal with a reference (${{{s.name.split(' ')[0]}}}) or a compose "
                    "secret, and rotate the leaked value"
                    for s in committed
                ]
            ),
        )
    env_checked = sum(len(c.environment) for c in containers)
    findings: list[Finding] = []
    scanned = lines = 0
    truncated: list[str] = []
    unreadable: list[Finding] = []
    for path in files:
        found, count, cut = _scan_file(service, scanner, path)
        if count:
            scanned += 1
            lines += count
        if cut:
            truncated.append(service.show(path))
        unreadable.extend(x for x in found if x.detector.startswith("not scanned"))
        findings.extend(x for x in found if not x.detector.startswith("not scanned"))
    if findings:
        hit = findings[0]
        return Verdict.failed(
            f"{len(findings)} secret-looking value(s) in logs/reports/outputs/config, first {hit.detector} at "
            f"{hit.location}; remove and rotate it, and mask secrets before logging",
            *limited([_evidence(f) for f in findings]),
            fix=fixes(
                [
                    f"{f.location}: remove the value, rotate it, and mask secrets before they are logged"
                    for f in findings
                ]
            ),
        )
    clean = [
        Evidence(service.spec.where, f"{env_checked} environment value(s) and the env files hold no committed secret")
    ]
    if scanned == 0:
        what = ", ".join(missing) if missing else "no logs, reports or outputs declared"
        return Verdict.not_observed(
            f"no log, report or output file of {service.name} to scan ({what}); its logs need the running stack "
            "or a log file (services.yaml logs:)",
            *clean,
            *(_evidence(f) for f in unreadable),
            scope=Scope.STATIC,
        )
    detail = f"{scanned} file(s), {lines} line(s) scanned"
    if truncated:
        detail += f"; only the first {MAX_LINES_PER_FILE} lines of {', '.join(truncated)}"
    evidence = [Evidence(service.show(p), "scanned") for p in files[:8]]
    if missing:
        evidence.append(Evidence(", ".join(missing), "declared but not present"))
    return Verdict.passed(
        f"no secret found: {detail} ({len(scanner.exact)} known secret value(s) matched exactly)",
        Evidence(service.spec.where, detail),
        *clean,
        *evidence,
        *(_evidence(f) for f in unreadable),
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
    without a host IP (a bare ``"3000"``, a host part that interpolates to empty, long syntax without
    ``host_ip``) listens on every interface. Live: the port bindings the engine actually applied."""
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
    todo: list[str] = []
    for container in containers:
        if (container.network_mode or "").strip() == "host":
            bad.append(
                Evidence(
                    container.where("network_mode"),
                    f"{container.name}: network_mode: host exposes every port it listens on",
                )
            )
            todo.append(f"{container.where('network_mode')}: drop network_mode: host and publish 127.0.0.1:PORT:PORT")
        for port in container.ports:
            shown = port.binding
            if not port.on_all_interfaces and _allowed_bind(str(port.host_ip), allowed):
                good.append(Evidence(port.where, f"{container.name}: {shown}"))
                continue
            written = f" (written {port.written!r})" if port.written is not None else ""
            why = " (no host IP: all interfaces)" if port.on_all_interfaces else ""
            if port.published is None:
                why = " (a bare container port: Docker publishes it on a random host port on every interface)"
            bad.append(Evidence(port.where, f"{container.name}: {shown}{why}{written}"))
            host_port = port.published or port.target
            todo.append(f'{port.where}: publish  "127.0.0.1:{host_port}:{port.target}"')
        if not container.ports and container.network_mode != "host":
            good.append(Evidence(container.where(), f"{container.name}: no published ports"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.detail} at {e.location}" for e in bad], 2)
            + "; bind published ports to 127.0.0.1 (e.g. '127.0.0.1:8080:8080') or allow-list the address",
            *bad,
            scope=Scope.STATIC_ONLY,
            fix=fixes(todo),
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


def _cap(name: str) -> str:
    return name.strip().upper().removeprefix("CAP_")


def _root_user(user: str) -> bool:
    return not user or user.split(":")[0].strip() in ("root", "0")


def host_path_problem(source: str, writable: bool) -> str | None:
    """Why bind-mounting host path ``source`` hands the container the host (None when it does not)."""
    path = posixpath.normpath(source) if source else ""
    if not path.startswith("/"):
        return None
    mode = "writable" if writable else "read-only"
    if any(path == s or path.startswith(s.rstrip("/") + "/") for s in DOCKER_SOCKETS):
        return f"mounts the Docker socket {path} ({mode}): full control of the host's engine"
    if path in SENSITIVE_ROOTS:
        return f"bind-mounts host {path} ({mode})"
    for below in SENSITIVE_BELOW:
        if path.startswith(below.rstrip("/") + "/"):
            return f"bind-mounts host {path} under {below} ({mode})"
    if writable and path.startswith(("/etc/", "/usr/", "/var/lib/", "/lib/", "/bin/", "/sbin/")):
        return f"bind-mounts host system path {path} writable"
    return None


def privilege_gaps(container: ComposeService) -> list[tuple[str, str, str]]:
    """(where, what, fix) for everything in compose that hands this container more than it needs."""
    gaps: list[tuple[str, str, str]] = []
    name = container.name
    if container.privileged:
        gaps.append(
            (
                container.where("privileged"),
                f"{name}: privileged: true gives it every capability and device",
                f"{container.where('privileged')}: remove  privileged: true",
            )
        )
    added = {_cap(c) for c in container.cap_add}
    if "ALL" in added:
        gaps.append(
            (
                container.where("cap_add"),
                f"{name}: cap_add: [ALL] grants every capability (cap_drop cannot take them back)",
                f"{container.where('cap_add')}: remove ALL from cap_add",
            )
        )
    for cap in sorted(added & DANGEROUS_CAPS - {"ALL"}):
        gaps.append(
            (
                container.where("cap_add"),
                f"{name}: cap_add {cap} hands it the host",
                f"{container.where('cap_add')}: remove {cap} from cap_add",
            )
        )
    if "ALL" not in {_cap(c) for c in container.cap_drop}:
        gaps.append((container.where("cap_drop"), f"{name}: cap_drop lacks ALL", add_key(container, "cap_drop: [ALL]")))
    for mount in container.volumes:
        if mount.type != "bind":
            continue
        problem = host_path_problem(mount.source, not mount.read_only)
        if problem:
            gaps.append((mount.where, f"{name}: {problem}", f"{mount.where}: remove the bind mount of {mount.source}"))
    for key in HOST_NAMESPACES:
        value = (container.namespace(key) or "").strip().lower()
        if value == "host":
            gaps.append(
                (
                    container.where(key),
                    f"{name}: {key}: host shares the host's {key.split('_')[0]} namespace",
                    f"{container.where(key)}: remove  {key}: host",
                )
            )
    for option in container.security_opt:
        text = option.replace(" ", "")
        for pattern, why in WEAKENING:
            if pattern.match(text):
                gaps.append(
                    (
                        container.where("security_opt"),
                        f"{name}: security_opt {option}: {why}",
                        f"{container.where('security_opt')}: remove {option}",
                    )
                )
    if not _no_new_privileges(container.security_opt):
        gaps.append(
            (
                container.where("security_opt"),
                f"{name}: security_opt lacks no-new-privileges:true",
                add_key(container, 'security_opt: ["no-new-privileges:true"]'),
            )
        )
    for device in container.devices:
        gaps.append(
            (
                container.where("devices"),
                f"{name}: devices passes host device {device.split(':')[0]} through",
                f"{container.where('devices')}: remove the device {device.split(':')[0]}",
            )
        )
    if not container.read_only:
        gaps.append(
            (
                container.where("read_only"),
                f"{name}: read_only is not true (writable root filesystem)",
                add_key(container, "read_only: true")
                if "read_only" not in container.written
                else f"{container.where('read_only')}: set  read_only: true",
            )
        )
    return gaps


def least_privilege(service: Service) -> Verdict:
    """security.least-privilege: non-root, unprivileged, no added dangerous capability, cap_drop ALL,
    no-new-privileges, read-only root, and nothing that hands it the host (Docker socket, host namespaces,
    unconfined seccomp/AppArmor/SELinux, host system paths, devices). Live: the same, as the engine applied
    it, and the uid the main process actually runs as."""
    return with_live(_static_least_privilege(service), lambda: live_least_privilege(service))


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
            problems.append("HostConfig.Privileged true")
        added = {_cap(cap) for cap in c.cap_add}
        dangerous = sorted(added & DANGEROUS_CAPS)
        if dangerous:
            problems.append(f"HostConfig.CapAdd {', '.join(dangerous)}")
        if "ALL" not in {_cap(cap) for cap in c.cap_drop}:
            problems.append("CapDrop lacks ALL")
        # CgroupnsMode is left out: "host" is the engine's own default on cgroup v1 hosts, not the stack's choice.
        for label, mode in (
            ("NetworkMode", c.network_mode),
            ("PidMode", c.pid_mode),
            ("IpcMode", c.ipc_mode),
            ("UsernsMode", c.userns_mode),
            ("UTSMode", c.uts_mode),
        ):
            if mode.lower() == "host":
                problems.append(f"HostConfig.{label} host")
        for source, _target, writable in c.mounts:
            problem = host_path_problem(source, writable)
            if problem:
                problems.append(problem)
        for option in c.security_opt:
            if any(pattern.match(option.replace(" ", "")) for pattern, _ in WEAKENING):
                problems.append(f"HostConfig.SecurityOpt {option}")
        if not _no_new_privileges(c.security_opt):
            problems.append("SecurityOpt lacks no-new-privileges")
        if c.devices:
            problems.append(f"HostConfig.Devices {', '.join(c.devices)}")
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
            + "; recreate it non-root with cap_drop [ALL], no-new-privileges and read_only, and nothing of the host",
            *limited(bad),
        )
    return Verdict.passed(f"{len(good)} container(s) run with least privilege", *limited(good))


def _static_least_privilege(service: Service) -> Verdict:
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    bad: list[Evidence] = []
    good: list[Evidence] = []
    todo: list[str] = []
    for container in containers:
        gaps: list[tuple[str, str, str]] = []
        user = container.user
        user_where = container.where("user")
        if not user:
            try:
                dockerfile = dockerfile_of(service, container)
            except InputError as exc:
                return input_failure(exc)
            ins = dockerfile.last("USER") if dockerfile else None
            if ins is not None and dockerfile is not None:
                user, user_where = ins.value.strip(), dockerfile.where(ins)
        if not user:
            gaps.append(
                (
                    container.where(),
                    f"{container.name}: no user set (runs as the image's default, root unless "
                    "the image says otherwise)",
                    add_key(container, 'user: "10001:10001"'),
                )
            )
        elif _root_user(user):
            gaps.append(
                (user_where, f"{container.name}: user {user} is root", f'{user_where}: set  user: "10001:10001"')
            )
        gaps.extend(privilege_gaps(container))
        if gaps:
            bad.extend(Evidence(where, what) for where, what, _ in gaps)
            todo.extend(fix for _, _, fix in gaps)
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
            + "; run as a non-root user with cap_drop [ALL], no-new-privileges and read_only, and nothing of the host",
            *limited(bad),
            scope=Scope.STATIC_ONLY,
            fix=fixes(todo, 4),
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
        for entry in container.entries("environment"):
            written = str(entry.value or "")
            for name in declared:
                if entry.key == name or re.search(rf"\$\{{?{re.escape(name)}\b", written):
                    found.append(Evidence(container.cite(entry), f"{container.name} uses {name}"))
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
            fix=f"{service.config.where(('stack',))}: under stack add  runbooks: docs/RUNBOOK.md (with a "
            f"'{heading}' section)",
        )
    path = service.path(str(runbook_rel))
    shown = service.show(path)
    try:
        text = service.artifacts.text(path).text
    except ArtifactError as exc:
        if exc.missing:
            return Verdict.failed(
                f"runbook {shown} does not exist",
                Evidence(shown, "stack.runbooks"),
                *uses[:3],
                fix=f"{shown}: write the runbook with a '{heading}' section",
            )
        return Verdict.failed(f"runbook {exc}", Evidence(shown, "stack.runbooks"), fix=f"{shown}: {exc.message}")
    section = find_section(text, heading)
    if section is None:
        return Verdict.failed(
            f"{shown} has no '{heading}' heading; write the key-rotation procedure there",
            Evidence(shown, f"no heading containing '{heading}'"),
            *uses[:3],
            fix=f"{shown}: add a '## {heading}' section with the steps and a 'Last reviewed: YYYY-MM-DD' line",
        )
    head_ev = Evidence(f"{shown}:{section.line}", f"heading '{section.heading}'")
    content = [b for n, b in section.body_lines if n != section.reviewed_line]
    if not content:
        return Verdict.failed(
            f"section '{section.heading}' at {shown}:{section.line} is empty; write the steps",
            head_ev,
            fix=f"{shown}:{section.line}: write the key-rotation steps under '{section.heading}'",
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
            fix=f"{shown}:{section.line}: add  Last reviewed: YYYY-MM-DD  under '{section.heading}'",
        )
    age = now - reviewed_at
    if age < timedelta(0):
        return Verdict.failed(
            f"review date of '{section.heading}' is after the evaluation time ({source.detail})",
            head_ev,
            source,
            fix=f"{source.location}: record the real review date",
        )
    if age > max_age:
        return Verdict.failed(
            f"'{section.heading}' last reviewed {format_age(age)} ago ({source.location}), older "
            f"than {format_age(max_age)}; review the procedure and record the date",
            head_ev,
            source,
            fix=f"{shown}:{section.line}: review the procedure and record the date (Last reviewed: YYYY-MM-DD)",
        )
    return Verdict.passed(
        f"'{section.heading}' reviewed {format_age(age)} ago (max {format_age(max_age)})", head_ev, source, *uses[:4]
    )
