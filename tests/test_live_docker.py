"""Live Docker evidence: the probe, the stack's live probes, and the live parts of the criteria.

The engine tests bring up a throw-away busybox compose project (``readiness-test-*``) and always tear it
down. Its services: ``good`` (healthy, JSON logs, limits, non-root, cap_drop ALL, no-new-privileges,
read-only, loopback port), ``bad`` (root, 0.0.0.0 port, no limits, plain logs printing a declared secret,
an install at start, unhealthy), ``drift`` (declared like ``good`` in the compose file services.yaml names,
but started from another file without any of it: the live part contradicts the static one) and ``ghost``
(declared, never started).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.checks import build, observability, runtime, security
from pytest_readiness.context import Service, Stack
from pytest_readiness.live import ContainerFacts, DockerProbe, PortBinding, Unobservable, combine
from pytest_readiness.results import Evidence, Outcome, Scope, Verdict
from tests.engines import BUSYBOX_IMAGE, require_compose, require_docker
from tests.stacks import make_stack, service

UP_TIMEOUT_S = 90

# ---------------------------------------------------------------------------------------------------
# combine: the rules, without an engine
# ---------------------------------------------------------------------------------------------------

S_EV = Evidence("compose.yml:3", "static")
L_EV = Evidence("container c (compose service s)", "live")
PASS = Verdict.passed("static ok", S_EV, scope=Scope.STATIC_ONLY)
FAIL = Verdict.failed("static gap", S_EV, scope=Scope.STATIC_ONLY)
NOBS = Verdict.not_observed("no log file", scope=Scope.LIVE)
LIVE_PASS = Verdict.passed("live ok", L_EV)
LIVE_FAIL = Verdict.failed("live gap", L_EV)
GONE = Unobservable("docker engine unreachable at unix:///nonexistent/docker.sock: refused", "docker engine")


@pytest.mark.parametrize(
    ("static", "live", "outcome", "scope"),
    [
        (PASS, LIVE_PASS, Outcome.PASSED, Scope.STATIC_AND_LIVE),
        (PASS, LIVE_FAIL, Outcome.FAILED, Scope.STATIC_AND_LIVE),
        (FAIL, LIVE_PASS, Outcome.FAILED, Scope.STATIC_AND_LIVE),
        (FAIL, LIVE_FAIL, Outcome.FAILED, Scope.STATIC_AND_LIVE),
        (PASS, GONE, Outcome.PASSED, Scope.STATIC_ONLY),
        (FAIL, GONE, Outcome.FAILED, Scope.STATIC_ONLY),
        (NOBS, LIVE_PASS, Outcome.PASSED, Scope.LIVE),
        (NOBS, LIVE_FAIL, Outcome.FAILED, Scope.LIVE),
        (NOBS, GONE, Outcome.NOT_OBSERVED, Scope.LIVE),
    ],
)
def test_combine_rules(static: Verdict, live: Verdict | Unobservable, outcome: Outcome, scope: Scope) -> None:
    verdict = combine(static, live)
    assert (verdict.outcome, verdict.scope) == (outcome, scope)
    if isinstance(live, Verdict) and live.outcome is Outcome.FAILED:
        assert "live gap" in verdict.reason
        assert L_EV in verdict.evidence
    if isinstance(live, Unobservable):
        assert "docker" in " ".join(e.detail for e in verdict.evidence) + verdict.reason


def test_combine_keeps_not_applicable_and_no_live_part() -> None:
    na = Verdict.not_applicable("gate row")
    assert combine(na, LIVE_FAIL) is na
    assert combine(PASS, None) is PASS


def test_combine_offline_adds_no_evidence_but_names_the_option() -> None:
    offline = Unobservable("--readiness-offline: docker not probed", "--readiness-offline", deliberate=True)
    assert combine(PASS, offline).evidence == PASS.evidence
    verdict = combine(NOBS, offline)
    assert verdict.outcome is Outcome.NOT_OBSERVED
    assert "--readiness-offline" in verdict.reason


def test_container_facts_keep_env_names_never_values() -> None:
    attrs: dict[str, Any] = {
        "Id": "0123456789abcdef0123",
        "Name": "/p-app-1",
        "Image": "sha256:feed",
        "RestartCount": 2,
        "State": {"Status": "running", "Running": True, "Pid": 42, "Health": {"Status": "starting"}},
        "Config": {
            "Image": "acme/app:1.0",
            "User": "10001",
            "Cmd": ["run"],
            "Entrypoint": None,
            "Env": ["API_SECRET=hunter2-very-secret", "PATH=/bin"],
            "Labels": {"com.docker.compose.project": "p", "com.docker.compose.service": "app"},
        },
        "HostConfig": {"Memory": 0, "CpuQuota": 50000, "CpuPeriod": 100000, "CapDrop": ["ALL"]},
        "NetworkSettings": {"Ports": {"8080/tcp": [{"HostIp": "", "HostPort": "8080"}], "9000/tcp": None}},
    }
    facts = ContainerFacts.from_attrs(attrs)
    assert facts.env_names == ("API_SECRET", "PATH")
    assert "hunter2" not in repr(facts)
    assert (facts.id, facts.name, facts.service, facts.health, facts.pid) == (
        "0123456789ab",
        "p-app-1",
        "app",
        "starting",
        42,
    )
    assert facts.cpus == 0.5
    assert facts.memory == 0
    assert facts.port_bindings == (PortBinding("", "8080", "8080/tcp"),)
    assert facts.port_bindings[0].all_interfaces
    assert facts.location == "container p-app-1 (compose service app)"


# ---------------------------------------------------------------------------------------------------
# Unreachable engine: one attempt, quickly, for any number of calls
# ---------------------------------------------------------------------------------------------------


class _Blackhole:
    """A TCP listener on loopback that accepts connections, counts them and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def _hammer(probe: DockerProbe) -> list[object]:
    out: list[object] = []
    for i in range(10):
        out.append(probe.project_containers(f"readiness-test-nothing-{i}"))
        out.append(probe.containers("readiness-test-nothing", f"svc{i}"))
        out.append(probe.logs(f"deadbeef{i}"))
        out.append(probe.top_user(f"deadbeef{i}"))
    return out


def test_engine_that_never_answers_costs_one_connection_and_one_timeout() -> None:
    hole = _Blackhole()
    try:
        probe = DockerProbe(base_url=f"tcp://127.0.0.1:{hole.port}", timeout=0.5)
        start = time.monotonic()
        results = _hammer(probe)
        took = time.monotonic() - start
        time.sleep(0.2)  # let the listener thread see any late connection
        assert all(isinstance(r, Unobservable) for r in results)
        assert len(hole.accepted) == 1
        assert probe.connect_attempts == 1
        assert took < 3.0, took
        reason = str(results[0])
        assert "docker" in reason
        assert f"tcp://127.0.0.1:{hole.port}" in reason
    finally:
        hole.close()


def test_missing_socket_is_unobservable_at_once() -> None:
    probe = DockerProbe(base_url="unix:///nonexistent/docker.sock", timeout=3.0)
    start = time.monotonic()
    results = _hammer(probe)
    assert time.monotonic() - start < 2.0
    assert probe.connect_attempts == 1
    assert all(r == results[0] for r in results)
    assert isinstance(results[0], Unobservable)
    assert results[0].reason.startswith("docker engine unreachable at unix:///nonexistent/docker.sock: ")


def test_an_api_error_is_per_call_not_engine_wide() -> None:
    require_docker()
    probe = DockerProbe()
    missing = probe.logs("readiness-test-no-such-container")
    assert isinstance(missing, Unobservable)
    assert "No such container" in missing.reason
    assert probe.failure is None
    assert probe.project_containers(f"readiness-test-none-{uuid.uuid4().hex[:8]}") == {}
    assert probe.connect_attempts == 1


# ---------------------------------------------------------------------------------------------------
# A real compose project
# ---------------------------------------------------------------------------------------------------

GOOD_CMD = 'httpd -f -p 8080 -h /www & while true; do echo \'{"level":"info","msg":"tick"}\'; sleep 1; done'
BAD_CMD = (
    "echo starting with password $$DB_PASSWORD; pip install requests || true; "
    "httpd -f -p 8080 -h / & while true; do echo plain log line; sleep 1; done"
)
HEALTHCHECK = {
    "test": ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"],
    "interval": "1s",
    "timeout": "2s",
    "retries": 3,
    "start_period": "2s",
}


def _good(port: int) -> dict[str, Any]:
    return {
        "image": BUSYBOX_IMAGE,
        "user": "65534:65534",
        "command": ["sh", "-c", GOOD_CMD],
        "environment": {"DB_PASSWORD": "${DB_PASSWORD}"},
        "healthcheck": HEALTHCHECK,
        "volumes": ["./www:/www:ro"],
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "mem_limit": "64m",
        "cpus": 0.5,
        "pids_limit": 64,
        "restart": "unless-stopped",
        "ports": [f"127.0.0.1:{port}:8080"],
    }


def _bad(port: int) -> dict[str, Any]:
    return {
        "image": BUSYBOX_IMAGE,
        "command": ["sh", "-c", BAD_CMD],
        "environment": {"DB_PASSWORD": "${DB_PASSWORD}"},
        "healthcheck": {"test": ["CMD", "false"], "interval": "1s", "timeout": "1s", "retries": 1},
        "ports": [f"0.0.0.0:{port}:8080"],
    }


def _compose(project: str, ports: list[int], drift_good: bool) -> dict[str, Any]:
    ghost = _good(ports[3])
    ghost["profiles"] = ["never"]
    drift = _good(ports[2]) if drift_good else {**_bad(ports[2]), "command": ["sh", "-c", GOOD_CMD]}
    return {
        "name": project,
        "services": {"good": _good(ports[0]), "bad": _bad(ports[1]), "drift": drift, "ghost": ghost},
    }


SERVICES_YAML = """
version: 1
stack:
  name: livetest
  root: stack
  compose: [compose.yml]
  compose_project: {project}
  release_manifest: release.md
  secrets: [DB_PASSWORD]
services:
  - {{name: good-svc, kind: service, compose_services: [good], target: L2}}
  - {{name: bad-svc, kind: service, compose_services: [bad], target: L2}}
  - {{name: drift-svc, kind: service, compose_services: [drift], target: L2}}
  - {{name: ghost-svc, kind: service, compose_services: [ghost], target: L2}}
"""


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class LiveProject:
    name: str
    root: Path  # the folder holding services.yaml
    secret: str
    ports: list[int]

    def stack(self, offline: bool = False) -> Stack:
        # profile "never" keeps ghost out of `docker compose up` while the stack still declares it
        return make_stack(self.root, SERVICES_YAML.format(project=self.name), offline=offline, profiles=("never",))


def _compose_cmd(docker: str, project: Path, name: str, *args: str) -> list[str]:
    return [docker, "compose", "-p", name, "-f", str(project / "stack" / "running.yml"), *args]


def _wait_until_settled(name: str, timeout: float) -> dict[str, ContainerFacts]:
    """Wait until good is healthy, bad is unhealthy and drift runs; the last facts by compose service."""
    deadline = time.monotonic() + timeout
    last: dict[str, ContainerFacts] = {}
    while time.monotonic() < deadline:
        probe = DockerProbe(timeout=5)  # a fresh probe: its cache is per process run, not per poll
        found = probe.project_containers(name)
        assert not isinstance(found, Unobservable), found.reason
        last = {svc: facts[0] for svc, facts in found.items() if facts}
        good, bad, drift = last.get("good"), last.get("bad"), last.get("drift")
        if good and bad and drift and good.health == "healthy" and bad.health == "unhealthy" and drift.running:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{name} did not settle in {timeout}s: {[(s, f.state_text) for s, f in last.items()]}")


@pytest.fixture(scope="module")
def live_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProject]:
    require_docker()
    docker = require_compose()
    root = tmp_path_factory.mktemp("live")
    name = f"readiness-test-{uuid.uuid4().hex[:10]}"
    secret = f"pw-{uuid.uuid4().hex[:16]}"
    ports = _free_ports(4)
    stack_dir = root / "stack"
    (stack_dir / "www").mkdir(parents=True)
    (stack_dir / "www" / "healthz").write_text("ok\n")
    (stack_dir / ".env").write_text(f"DB_PASSWORD={secret}\n")
    (stack_dir / "compose.yml").write_text(yaml.safe_dump(_compose(name, ports, drift_good=True), sort_keys=False))
    (stack_dir / "running.yml").write_text(yaml.safe_dump(_compose(name, ports, drift_good=False), sort_keys=False))
    (stack_dir / "release.md").write_text(f"# Release\n\n| image | tag |\n|---|---|\n| `{BUSYBOX_IMAGE}` | 1.36 |\n")
    try:
        up = subprocess.run(
            _compose_cmd(docker, root, name, "up", "-d"), capture_output=True, text=True, timeout=120, check=False
        )
        assert up.returncode == 0, up.stderr[-2000:]
        _wait_until_settled(name, UP_TIMEOUT_S)
        yield LiveProject(name, root, secret, ports)
    finally:
        subprocess.run(
            _compose_cmd(docker, root, name, "down", "-v", "--remove-orphans", "-t", "1"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _shown(verdict: Verdict) -> str:
    return verdict.reason + " " + " ".join(f"{e.location} {e.detail}" for e in verdict.evidence)


def _row(project: LiveProject, name: str, offline: bool = False) -> Service:
    return service(project.stack(offline), name)


def test_probe_facts_of_the_running_project(live_project: LiveProject) -> None:
    probe = DockerProbe()
    found = probe.project_containers(live_project.name)
    assert not isinstance(found, Unobservable)
    assert sorted(found) == ["bad", "drift", "good"]  # ghost was never started
    good, bad = found["good"][0], found["bad"][0]
    assert good.running
    assert good.health == "healthy"
    assert good.user == "65534:65534"
    assert good.cap_drop == ("ALL",)
    assert "no-new-privileges:true" in good.security_opt
    assert good.read_only
    assert not good.privileged
    assert good.memory == 64 * 1024 * 1024
    assert good.cpus == 0.5
    assert good.pids_limit == 64
    assert good.image == BUSYBOX_IMAGE
    assert good.port_bindings == (PortBinding("127.0.0.1", str(live_project.ports[0]), "8080/tcp"),)
    assert "DB_PASSWORD" in good.env_names
    assert live_project.secret not in repr(good) + repr(bad)
    assert (bad.user, bad.memory, bad.cpus, bad.health) == ("", 0, None, "unhealthy")
    assert bad.port_bindings[0].all_interfaces
    assert bad.cap_drop == ()
    assert probe.containers(live_project.name, "good") == [good]
    assert probe.top_user(good.id, good.pid) == "65534"
    assert probe.top_user(bad.id, bad.pid) == "0"
    lines = probe.logs(good.id)
    assert isinstance(lines, list)
    assert lines
    assert all(json.loads(line)["level"] == "info" for line in lines)
    assert probe.connect_attempts == 1


def test_labels_not_names_identify_containers(live_project: LiveProject) -> None:
    probe = DockerProbe()
    assert probe.containers(live_project.name, "ghost") == []
    assert probe.containers(live_project.name + "-other", "good") == []


def test_good_service_passes_static_and_live(live_project: LiveProject) -> None:
    row = _row(live_project, "good-svc")
    for check in (
        runtime.healthcheck_liveness,
        runtime.resource_limits,
        security.network_exposure,
        security.least_privilege,
        build.no_install_at_start,
        build.versioned_image,
    ):
        verdict = check(row)
        assert verdict.outcome is Outcome.PASSED, (check.__name__, verdict)
        assert verdict.scope is Scope.STATIC_AND_LIVE, (check.__name__, verdict)
        assert any(e.location.startswith("container ") for e in verdict.evidence), check.__name__
    for check in (security.secrets_not_logged, observability.structured_logs):
        verdict = check(row)
        # no log file declared: the container logs decide alone
        assert (verdict.outcome, verdict.scope) == (Outcome.PASSED, Scope.LIVE), (check.__name__, verdict)
        assert any("logs" in e.location and "good" in e.location for e in verdict.evidence)
    privilege = security.least_privilege(row)
    assert "main process uid 65534" in _shown(privilege)


def test_bad_service_fails_live_with_container_evidence(live_project: LiveProject) -> None:
    row = _row(live_project, "bad-svc")
    expected = {
        runtime.healthcheck_liveness: "unhealthy",
        runtime.resource_limits: "no memory and no cpu and no pids limit applied",
        security.network_exposure: f"0.0.0.0:{live_project.ports[1]}->8080/tcp (all interfaces)",
        security.least_privilege: "main process runs as uid 0",
        security.secrets_not_logged: "DB_PASSWORD",
        observability.structured_logs: "not JSON",
        build.no_install_at_start: "actual command runs `pip install requests`",
    }
    for check, words in expected.items():
        verdict = check(row)
        assert verdict.outcome is Outcome.FAILED, (check.__name__, verdict)
        live = [e for e in verdict.evidence if e.location.startswith("container ")]
        assert live, (check.__name__, verdict.evidence)
        assert words in " ".join(e.detail for e in live), (check.__name__, live)
        assert live_project.secret not in _shown(verdict)


def test_secret_in_container_logs_cites_container_and_line_never_the_value(live_project: LiveProject) -> None:
    verdict = security.secrets_not_logged(_row(live_project, "bad-svc"))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.scope is Scope.LIVE
    first = verdict.evidence[0]
    assert first.location.startswith("container ")
    assert first.location.endswith("(compose service bad) logs")
    assert re.search(r"^line \d+ of the last \d+: ", first.detail), first.detail
    assert "value of known secret DB_PASSWORD" in first.detail
    assert live_project.secret not in _shown(verdict)


def test_live_contradiction_fails_a_statically_passing_criterion(live_project: LiveProject) -> None:
    row = _row(live_project, "drift-svc")
    for check in (runtime.resource_limits, security.network_exposure, security.least_privilege):
        verdict = check(row)
        assert verdict.outcome is Outcome.FAILED, (check.__name__, verdict)
        assert verdict.scope is Scope.STATIC_AND_LIVE
        assert verdict.reason.startswith("live: ")
        assert "the static part passed" in verdict.reason
    # the same criteria without the engine: static only, never a pass claimed from the live side
    offline = _row(live_project, "drift-svc", offline=True)
    assert security.network_exposure(offline).scope is Scope.STATIC_ONLY


def test_declared_service_without_container_fails_liveness(live_project: LiveProject) -> None:
    row = _row(live_project, "ghost-svc")
    verdict = runtime.healthcheck_liveness(row)
    assert verdict.outcome is Outcome.FAILED
    assert f"no container for compose service ghost in project {live_project.name}" in _shown(verdict)
    # criteria that read a container's configuration cannot observe a missing one: static only
    assert runtime.resource_limits(row).scope is Scope.STATIC_ONLY


def test_offline_probes_nothing(live_project: LiveProject) -> None:
    stack = live_project.stack(offline=True)
    assert stack.live.docker is None
    row = service(stack, "good-svc")
    liveness = runtime.healthcheck_liveness(row)
    assert (liveness.outcome, liveness.scope) == (Outcome.PASSED, Scope.STATIC_ONLY)
    logs = observability.structured_logs(row)
    assert logs.outcome is Outcome.NOT_OBSERVED
    assert "--readiness-offline" in logs.reason


def test_unreachable_engine_one_attempt_per_stack(live_project: LiveProject, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    stack = live_project.stack()
    start = time.monotonic()
    verdicts = []
    for name in ("good-svc", "bad-svc", "drift-svc", "ghost-svc"):
        row = service(stack, name)
        for check in (
            runtime.healthcheck_liveness,
            runtime.resource_limits,
            security.network_exposure,
            security.least_privilege,
            security.secrets_not_logged,
            observability.structured_logs,
            build.no_install_at_start,
            build.versioned_image,
        ):
            verdicts.append((name, check.__name__, check(row)))
    assert time.monotonic() - start < 10
    assert stack.live.docker is not None
    assert stack.live.docker.connect_attempts == 1
    for name, check_name, verdict in verdicts:
        if verdict.outcome is Outcome.NOT_OBSERVED:
            assert "docker engine unreachable at unix:///nonexistent/docker.sock" in verdict.reason
        else:
            assert verdict.scope is Scope.STATIC_ONLY, (name, check_name, verdict)
    # the bad row's live failures are gone, but nothing it failed statically passes
    outcome = {(n, c): v.outcome for n, c, v in verdicts}
    assert outcome[("bad-svc", "network_exposure")] is Outcome.FAILED
    assert outcome[("bad-svc", "structured_logs")] is Outcome.NOT_OBSERVED


def test_stack_not_running_is_not_observed_as_a_whole(tmp_path: Path) -> None:
    """A project with no container at all: every live part is unobservable, not a failure per criterion."""
    require_docker()
    name = f"readiness-test-absent-{uuid.uuid4().hex[:8]}"
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "compose.yml").write_text(yaml.safe_dump(_compose(name, [1, 2, 3, 4], drift_good=True)))
    (tmp_path / "stack" / "release.md").write_text(f"`{BUSYBOX_IMAGE}`\n")
    project = LiveProject(name, tmp_path, "unused", [1, 2, 3, 4])
    liveness = runtime.healthcheck_liveness(_row(project, "ghost-svc"))
    assert (liveness.outcome, liveness.scope) == (Outcome.PASSED, Scope.STATIC_ONLY)
    note = " ".join(e.detail for e in liveness.evidence)
    assert f"stack 'livetest' is not running: no running container with label com.docker.compose.project={name}" in note
    logs = observability.structured_logs(_row(project, "good-svc"))
    assert logs.outcome is Outcome.NOT_OBSERVED
    assert "is not running" in logs.reason
    assert "docker engine at" in logs.reason
