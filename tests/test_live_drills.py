"""Drills (--readiness-drills) on the real Docker engine, and their safety guards.

The engine tests bring up a throw-away busybox compose project (``readiness-test-drill-*``) and always tear
it down: ``writer`` (healthy, limited, appends keyed JSONL records and resumes its numbering after a
restart) and ``replayer`` (the same, but re-appends its last record when it starts: duplicate
amplification, and no memory limit). The pid guard, the lock and the drill gates need no engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.checks import data, runtime
from pytest_readiness.context import Stack
from pytest_readiness.live import (
    ContainerFacts,
    DockerProbe,
    DrillLockTimeout,
    DrillRefused,
    DrillRunner,
    StackLock,
    Unobservable,
    main_pid,
)
from pytest_readiness.live.drills import HealthTiming, lock_path
from pytest_readiness.results import CriterionError, Outcome, Scope, Verdict
from tests.engines import BUSYBOX_IMAGE, require_compose, require_docker
from tests.stacks import make_stack, service

ROOT = Path(__file__).resolve().parents[1]
UP_TIMEOUT_S = 90

# ---------------------------------------------------------------------------------------------------
# The pid guard: no engine needed
# ---------------------------------------------------------------------------------------------------


def _attrs(running: bool = True, pid: object = 4242, status: str = "running") -> dict[str, Any]:
    return {"Name": "/p-app-1", "State": {"Running": running, "Status": status, "Pid": pid}}


@pytest.mark.parametrize("pid", [0, 1, -1, None, "1", "0", "", "abc", True, 1.0])
def test_main_pid_refuses_pid_one_or_below_outright(pid: object) -> None:
    with pytest.raises(DrillRefused, match="refusing main pid"):
        main_pid(_attrs(pid=pid))


def test_main_pid_refuses_a_container_that_is_not_running() -> None:
    with pytest.raises(DrillRefused, match="exited: no main process"):
        main_pid(_attrs(running=False, pid=4242, status="exited"))


@pytest.mark.parametrize("pid", [4242, "4242", 2])
def test_main_pid_reads_the_running_main_process(pid: object) -> None:
    assert main_pid(_attrs(pid=pid)) == int(str(pid))


def test_health_timing_bounds_the_wait() -> None:
    ns = 1_000_000_000
    attrs = {
        "Config": {"Healthcheck": {"Test": ["CMD", "true"], "Interval": 5 * ns, "Retries": 3, "StartPeriod": 10 * ns}}
    }
    timing = HealthTiming.from_attrs(attrs)
    assert (timing.enabled, timing.wait_s) == (True, 10 + 5 * 3 + 30)
    defaults = HealthTiming.from_attrs({"Config": {"Healthcheck": {"Test": ["CMD", "true"]}}})
    assert defaults.wait_s == 0 + 30 * 3 + 30
    slow = {"Config": {"Healthcheck": {"Test": ["CMD", "true"], "Interval": 60 * ns, "Retries": 10}}}
    assert HealthTiming.from_attrs(slow).wait_s == 180  # capped
    assert not HealthTiming.from_attrs({"Config": {"Healthcheck": {"Test": ["NONE"]}}}).enabled


# ---------------------------------------------------------------------------------------------------
# The per-stack lock: across processes and threads, bounded
# ---------------------------------------------------------------------------------------------------

HOLDER = """
import json, sys, time
from pytest_readiness.live.drills import StackLock
project, directory, hold, log = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
lock = StackLock.for_project(project, directory)
with lock.exclusive(wait_s=30, purpose="test holder"):
    start = time.time()
    print("held", flush=True)
    time.sleep(hold)
    end = time.time()
with open(log, "a") as fh:
    fh.write(json.dumps([start, end]) + "\\n")
"""


def _holder(project: str, directory: Path, hold: float, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, project, str(directory), str(hold), str(log)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_lock_file_is_in_the_temp_dir_named_after_a_hash_of_the_project(tmp_path: Path) -> None:
    path = lock_path("readiness-live")
    assert path.parent == Path(tempfile.gettempdir())
    assert "readiness-live" not in path.name
    assert path.name.startswith("pytest-readiness-drills-")
    assert lock_path("readiness-live") == path != lock_path("readiness-other")


def test_lock_serialises_two_processes(tmp_path: Path) -> None:
    project = f"readiness-test-lock-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "held.jsonl"
    procs = [_holder(project, tmp_path, 1.0, log) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.wait(timeout=60) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    (a_start, a_end), (b_start, b_end) = sorted(json.loads(line) for line in log.read_text().splitlines())
    assert a_end <= b_start, f"the two holds overlap: {a_start}-{a_end} and {b_start}-{b_end}"


def test_lock_wait_is_bounded_and_the_error_is_clear(tmp_path: Path) -> None:
    project = f"readiness-test-lock-{uuid.uuid4().hex[:8]}"
    proc = _holder(project, tmp_path, 4.0, tmp_path / "held.jsonl")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        lock = StackLock.for_project(project, tmp_path)
        start = time.monotonic()
        with pytest.raises(DrillLockTimeout) as caught, lock.exclusive(wait_s=0.5, purpose="a restart drill"):
            pass
        assert time.monotonic() - start < 3.0
        text = str(caught.value)
        assert project in text
        assert str(lock_path(project, tmp_path)) in text
        assert f"pid {proc.pid}" in text  # the holder names itself in the lock file
        assert "within 0.5 s" in text
        with pytest.raises(DrillLockTimeout), lock.shared(wait_s=0.3):  # observers wait for a drill too
            pass
    finally:
        proc.wait(timeout=30)
    with lock.exclusive(wait_s=5):  # free again once the holder ended
        assert lock.held


def test_lock_serialises_two_runners_in_threads_and_is_reentrant(tmp_path: Path) -> None:
    project = f"readiness-test-lock-{uuid.uuid4().hex[:8]}"
    lock = StackLock.for_project(project, tmp_path)
    runners = [DrillRunner(DockerProbe(base_url="unix:///nonexistent/docker.sock"), project, lock=lock) for _ in "ab"]
    spans: list[tuple[float, float]] = []

    def drill(runner: DrillRunner) -> None:
        with runner.locked(), runner.locked():  # re-entrant within the holder
            start = time.monotonic()
            time.sleep(0.4)
            spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=drill, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    (_, a_end), (b_start, _) = sorted(spans)
    assert a_end <= b_start
    assert not lock.held


def test_shared_holds_do_not_block_each_other(tmp_path: Path) -> None:
    project = f"readiness-test-lock-{uuid.uuid4().hex[:8]}"
    lock = StackLock.for_project(project, tmp_path)
    reader = "import sys; from pytest_readiness.live.drills import StackLock\n" + (
        "with StackLock.for_project(sys.argv[1], sys.argv[2]).shared(wait_s=2): print('ok')"
    )
    with lock.shared(wait_s=1):
        other = subprocess.run(
            [sys.executable, "-c", reader, project, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        assert other.stdout.strip() == "ok", other.stderr[-500:]


# ---------------------------------------------------------------------------------------------------
# When drills may run: no engine needed
# ---------------------------------------------------------------------------------------------------

GATE_YAML = """
version: 1
stack:
  name: gates
  root: stack
  compose: [compose.yml]
  compose_project: {project}
services:
  - {{name: top, kind: service, compose_services: [app], target: L3,
      outputs: [{{dataset: a, path: out.jsonl, key: id}}]}}
  - {{name: mid, kind: service, compose_services: [app], target: L2,
      outputs: [{{dataset: b, path: out2.jsonl, key: id}}]}}
  - {{name: nokey, kind: service, compose_services: [app], target: L3}}
  - {{name: gate, kind: gate, target: L3}}
"""
GATE_FILES = {
    "compose.yml": f"""
        services:
          app:
            image: {BUSYBOX_IMAGE}
            healthcheck: {{test: [CMD, "true"], interval: 1s, retries: 3, start_period: 1s}}
            mem_limit: 32m
            cpus: 0.5
        """,
    "out.jsonl": '{"id": 1}\n',
    "out2.jsonl": '{"id": 1}\n',
}
DRILLS = (runtime.startup_drill, data.restart_idempotency)


def _gate_stack(tmp_path: Path, offline: bool, drills: bool, project: str = "readiness-test-gates") -> Stack:
    stack = make_stack(tmp_path, GATE_YAML.format(project=project), GATE_FILES, offline=offline)
    stack.drills = drills
    return stack


@pytest.mark.parametrize("check", DRILLS)
def test_drill_criteria_are_not_observed_without_the_option(tmp_path: Path, check: Any) -> None:
    stack = _gate_stack(tmp_path, offline=False, drills=False)
    verdict = check(service(stack, "top"))
    assert verdict.outcome is Outcome.NOT_OBSERVED
    assert verdict.reason == "drill not run: pass --readiness-drills"
    below = check(service(stack, "mid"))
    assert below.outcome is Outcome.NOT_OBSERVED
    assert below.reason.startswith("drill not run: pass --readiness-drills (and drills run only for rows targeting L3")
    assert stack._live is None or stack.live.docker is None or stack.live.docker.connect_attempts == 0


@pytest.mark.parametrize("check", DRILLS)
def test_drills_run_only_for_rows_targeting_l3(tmp_path: Path, check: Any) -> None:
    stack = _gate_stack(tmp_path, offline=True, drills=True)
    verdict = check(service(stack, "mid"))
    assert verdict.outcome is Outcome.NOT_OBSERVED
    assert "drills run only for rows targeting L3 (mid targets L2)" in verdict.reason


@pytest.mark.parametrize("check", DRILLS)
def test_drills_offline_or_without_engine_are_not_observed(
    tmp_path: Path, check: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = check(service(_gate_stack(tmp_path, offline=True, drills=True), "top"))
    assert offline.outcome is Outcome.NOT_OBSERVED
    assert "--readiness-offline" in offline.reason
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    gone = check(service(_gate_stack(tmp_path, offline=False, drills=True), "top"))
    assert gone.outcome is Outcome.NOT_OBSERVED
    assert "docker engine unreachable at unix:///nonexistent/docker.sock" in gone.reason


def test_drill_criteria_not_applicable_without_containers_or_keys(tmp_path: Path) -> None:
    stack = _gate_stack(tmp_path, offline=True, drills=True)
    for check in (*DRILLS, runtime.resource_usage):
        assert check(service(stack, "gate")).outcome is Outcome.NOT_APPLICABLE, check.__name__
    assert data.restart_idempotency(service(stack, "nokey")).outcome is Outcome.NOT_APPLICABLE


def test_resource_usage_is_not_observed_offline_or_when_the_stack_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = runtime.resource_usage(service(_gate_stack(tmp_path, offline=True, drills=False), "top"))
    assert (offline.outcome, offline.reason) == (Outcome.NOT_OBSERVED, "--readiness-offline: docker not probed")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    gone = runtime.resource_usage(service(_gate_stack(tmp_path, offline=False, drills=False), "top"))
    assert gone.outcome is Outcome.NOT_OBSERVED
    assert "docker engine unreachable" in gone.reason


def test_an_error_verdict_ends_the_criterion_as_an_error(tmp_path: Path) -> None:
    row = service(_gate_stack(tmp_path, offline=True, drills=True), "top")
    with pytest.raises(CriterionError) as caught:
        row.decide(Verdict.error("drill could not restore container c: simulated"))
    assert caught.value.outcome is Outcome.ERROR
    assert caught.value.reason == "drill could not restore container c: simulated"


def test_stats_of_an_unreachable_engine_cost_one_attempt() -> None:
    probe = DockerProbe(base_url="unix:///nonexistent/docker.sock", timeout=3.0)
    samples = probe.stats_many(["a", "b", "c"])
    assert all(isinstance(s, Unobservable) for s in samples.values())
    assert isinstance(probe.stats("d"), Unobservable)
    assert probe.connect_attempts == 1


def test_the_option_is_in_the_readiness_group() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "--readiness-drills" in proc.stdout
    assert "run drills that disturb the running stack (restarts); opt-in" in " ".join(proc.stdout.split())


# ---------------------------------------------------------------------------------------------------
# A real compose project
# ---------------------------------------------------------------------------------------------------

WRITER = (
    "trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & f=/data/$$NAME.jsonl; "
    "n=$$(wc -l 2>/dev/null < $$f || echo 0); n=$$((n + 0)); "
    "$$REPLAY; "
    'while true; do n=$$((n + 1)); echo "{\\"id\\":\\"k$$n\\",\\"n\\":$$n}" >> $$f; sleep 0.5; done'
)
HEALTHCHECK = {
    "test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"],
    "interval": "1s",
    "timeout": "2s",
    "retries": 3,
    "start_period": "2s",
}


def _writer(name: str, replay: bool, limited: bool) -> dict[str, Any]:
    # The replayer re-appends its last record at every start: a restart duplicates a key.
    replay_cmd = '[ -s "$$f" ] && tail -n 1 "$$f" >> "$$f"' if replay else "true"
    out: dict[str, Any] = {
        "image": BUSYBOX_IMAGE,
        "user": "65534:65534",
        "command": ["sh", "-c", WRITER.replace("$$NAME", name).replace("$$REPLAY", replay_cmd)],
        "volumes": ["./www:/www:ro", "./data:/data"],
        "healthcheck": HEALTHCHECK,
        "restart": "unless-stopped",
        "stop_grace_period": "5s",
    }
    if limited:
        out |= {"mem_limit": "64m", "cpus": 0.5}
    return out


SERVICES_YAML = """
version: 1
stack:
  name: drilltest
  root: stack
  compose: [compose.yml]
  compose_project: {project}
services:
  - {{name: writer-svc, kind: service, compose_services: [writer], target: L3,
      outputs: [{{dataset: w, path: data/writer.jsonl, format: jsonl, key: id}}]}}
  - {{name: replayer-svc, kind: service, compose_services: [replayer], target: L3,
      outputs: [{{dataset: r, path: data/replayer.jsonl, format: jsonl, key: id}}]}}
"""


@dataclass
class DrillProject:
    name: str
    root: Path

    def stack(self, drills: bool = True) -> Stack:
        stack = make_stack(self.root, SERVICES_YAML.format(project=self.name), offline=False)
        stack.drills = drills
        return stack

    def facts(self, compose_service: str) -> ContainerFacts:
        found = DockerProbe(timeout=10).containers(self.name, compose_service)
        assert isinstance(found, list), found
        assert len(found) == 1, found
        return found[0]

    def wait_healthy(self, compose_service: str, timeout: float = 60) -> ContainerFacts:
        deadline = time.monotonic() + timeout
        while True:
            facts = self.facts(compose_service)
            if facts.running and facts.health == "healthy":
                return facts
            assert time.monotonic() < deadline, f"{compose_service}: {facts.state_text}"
            time.sleep(0.5)


def _compose(docker: str, root: Path, name: str, *args: str) -> list[str]:
    return [docker, "compose", "-p", name, "-f", str(root / "stack" / "compose.yml"), *args]


@pytest.fixture(scope="module")
def drill_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DrillProject]:
    require_docker()
    docker = require_compose()
    root = tmp_path_factory.mktemp("drills")
    name = f"readiness-test-drill-{uuid.uuid4().hex[:10]}"
    stack_dir = root / "stack"
    (stack_dir / "www").mkdir(parents=True)
    (stack_dir / "www" / "healthz").write_text("ok\n")
    (stack_dir / "data").mkdir()
    (stack_dir / "data").chmod(0o777)  # the writers run as uid 65534
    compose = {
        "name": name,
        "services": {"writer": _writer("writer", False, True), "replayer": _writer("replayer", True, False)},
    }
    (stack_dir / "compose.yml").write_text(yaml.safe_dump(compose, sort_keys=False))
    project = DrillProject(name, root)
    try:
        up = subprocess.run(
            _compose(docker, root, name, "up", "-d"), capture_output=True, text=True, timeout=120, check=False
        )
        assert up.returncode == 0, up.stderr[-2000:]
        for svc in ("writer", "replayer"):
            project.wait_healthy(svc, UP_TIMEOUT_S)
        yield project
    finally:
        subprocess.run(
            _compose(docker, root, name, "down", "-v", "--remove-orphans", "-t", "1"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        lock_path(name).unlink(missing_ok=True)  # this throw-away project's drill lock


def _runner(project: DrillProject) -> DrillRunner:
    return DrillRunner(DockerProbe(timeout=10), project.name)


def _shown(verdict: Verdict) -> str:
    return verdict.reason + " " + " ".join(f"{e.location} {e.detail}" for e in verdict.evidence)


def test_restart_drill_measures_and_restores(drill_project: DrillProject) -> None:
    before = drill_project.wait_healthy("writer")
    result = _runner(drill_project).restart_drill(before)
    assert result.problem is None, result
    assert (result.touched, result.restarted, result.healthy, result.restored) == (True, True, True, True)
    assert result.before == "running (healthy)"
    assert result.after == "running (healthy)"
    assert result.start_to_healthy_s is not None
    assert 0 < result.start_to_healthy_s <= 2 + 1 * 3  # start_period + interval x retries
    assert result.stop_s is not None
    assert result.disturbed_s >= result.start_to_healthy_s + result.stop_s - 0.01
    assert result.pid_before == before.pid
    assert result.pid_after not in (None, before.pid)
    after = drill_project.facts("writer")
    assert (after.running, after.health, after.pid) == (True, "healthy", result.pid_after)
    assert after.started_at != before.started_at
    assert after.restart_count == before.restart_count  # a drill's restart is not the engine's restart policy


def test_a_container_stopped_before_the_drill_is_restored_and_reported(drill_project: DrillProject) -> None:
    import docker

    client = docker.DockerClient(base_url=require_docker().base_url, version="auto", timeout=30)
    facts = drill_project.wait_healthy("writer")
    client.containers.get(facts.id).stop(timeout=5)
    stopped = drill_project.facts("writer")
    assert not stopped.running
    result = _runner(drill_project).restart_drill(stopped)
    assert result.before.startswith("exited")
    assert any("before the drill" in note for note in result.notes)
    assert (result.restored, result.healthy) == (True, True)
    assert result.pid_before is None
    assert drill_project.facts("writer").health == "healthy"
    # The criterion fails it: the container was down, the drill only brought it back.
    client.containers.get(facts.id).stop(timeout=5)
    verdict = runtime.startup_drill(service(drill_project.stack(), "writer-svc"))
    assert verdict.outcome is Outcome.FAILED
    assert "before the drill (the drill started it)" in verdict.reason
    assert drill_project.facts("writer").health == "healthy"


def test_a_failed_restart_is_restored_in_finally(drill_project: DrillProject, monkeypatch: pytest.MonkeyPatch) -> None:
    from docker.models.containers import Container

    def stop_then_fail(self: Container, **kwargs: Any) -> None:
        self.stop(timeout=5)
        raise RuntimeError("simulated: the engine gave up half way through the restart")

    facts = drill_project.wait_healthy("writer")
    monkeypatch.setattr(Container, "restart", stop_then_fail)
    result = _runner(drill_project).restart_drill(facts)
    assert result.problem is not None
    assert "simulated" in result.problem
    assert any("started it again" in note for note in result.notes)
    assert result.restored
    assert result.restore_error is None
    assert drill_project.facts("writer").running


def test_a_drill_that_cannot_restore_says_so_loudly_and_errors(
    drill_project: DrillProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docker.models.containers import Container

    def stop_then_fail(self: Container, **kwargs: Any) -> None:
        self.stop(timeout=5)
        raise RuntimeError("simulated restart failure")

    def refuse_start(self: Container, **kwargs: Any) -> None:
        raise RuntimeError("simulated: cannot start")

    facts = drill_project.wait_healthy("writer")
    original_start = Container.start
    try:
        monkeypatch.setattr(Container, "restart", stop_then_fail)
        monkeypatch.setattr(Container, "start", refuse_start)
        result = _runner(drill_project).restart_drill(facts)
        assert not result.restored
        assert result.restore_error is not None
        assert result.restore_error.startswith(f"drill could not restore container {facts.name}: ")
        verdict = runtime.startup_drill(service(drill_project.stack(), "writer-svc"))
        assert verdict.outcome is Outcome.ERROR
        assert f"drill could not restore container {facts.name}" in verdict.reason
        assert any(e.location == facts.location and "NOT RESTORED" in e.detail for e in verdict.evidence)
    finally:
        monkeypatch.undo()
        assert Container.start is original_start
        import docker

        client = docker.DockerClient(base_url=require_docker().base_url, version="auto", timeout=30)
        client.containers.get(facts.id).start()
        drill_project.wait_healthy("writer")


def test_a_drill_refuses_a_container_outside_the_declared_project(drill_project: DrillProject) -> None:
    facts = drill_project.wait_healthy("writer")
    runner = _runner(drill_project)
    for foreign in (replace(facts, service="replayer"), replace(facts, project="some-other-project")):
        result = runner.restart_drill(foreign)
        assert not result.touched
        assert result.problem is not None
        assert "not touched" in result.problem
    try:
        other = DrillRunner(DockerProbe(timeout=10), "some-other-project").restart_drill(facts)
    finally:
        lock_path("some-other-project").unlink(missing_ok=True)
    assert not other.touched
    assert "not touched" in (other.problem or "")
    assert drill_project.facts("writer").pid == facts.pid  # nothing restarted it


def test_startup_drill_criterion_passes_with_measured_evidence(drill_project: DrillProject) -> None:
    drill_project.wait_healthy("writer")
    verdict = runtime.startup_drill(service(drill_project.stack(), "writer-svc"))
    assert verdict.outcome is Outcome.PASSED, _shown(verdict)
    assert verdict.scope is Scope.LIVE
    (ev,) = verdict.evidence
    assert ev.location == f"container {drill_project.name}-writer-1 (compose service writer)"
    assert "start -> healthy" in ev.detail
    assert "service disturbed" in ev.detail
    assert "bound 5s (start_period 2s + interval 1s x 3 retries" in ev.detail
    assert drill_project.facts("writer").health == "healthy"


def test_restart_idempotency_passes_for_a_writer_that_resumes(drill_project: DrillProject) -> None:
    drill_project.wait_healthy("writer")
    verdict = data.restart_idempotency(service(drill_project.stack(), "writer-svc"))
    assert verdict.outcome is Outcome.PASSED, _shown(verdict)
    text = _shown(verdict)
    assert "written again, every id unique" in text
    assert "before the restart" in text
    assert f"container {drill_project.name}-writer-1 (compose service writer)" in text


def test_restart_idempotency_catches_duplicate_amplification(drill_project: DrillProject) -> None:
    drill_project.wait_healthy("replayer")
    verdict = data.restart_idempotency(service(drill_project.stack(), "replayer-svc"))
    assert verdict.outcome is Outcome.FAILED, _shown(verdict)
    assert "duplicate amplification: 1 id value(s) written again after the restart" in verdict.reason
    assert "replayer.jsonl:" in verdict.reason
    assert drill_project.facts("replayer").running


def test_resource_usage_reads_stats_limits_and_restart_counts(drill_project: DrillProject) -> None:
    stack = drill_project.stack(drills=False)
    good = runtime.resource_usage(service(stack, "writer-svc"))
    assert good.outcome is Outcome.PASSED, _shown(good)
    assert "of 64.0 MiB" in good.evidence[0].detail
    assert "OOMKilled false" in good.evidence[0].detail
    unlimited = runtime.resource_usage(service(stack, "replayer-svc"))
    assert unlimited.outcome is Outcome.FAILED
    assert "no memory limit applied" in unlimited.reason
    assert unlimited.evidence[0].location.startswith("container ")


def test_drill_criteria_not_observed_without_the_option_leave_the_stack_alone(drill_project: DrillProject) -> None:
    before = drill_project.wait_healthy("writer")
    stack = drill_project.stack(drills=False)
    for check in DRILLS:
        verdict = check(service(stack, "writer-svc"))
        assert (verdict.outcome, verdict.reason) == (Outcome.NOT_OBSERVED, "drill not run: pass --readiness-drills")
    assert drill_project.facts("writer").pid == before.pid


def test_stack_not_running_is_not_observed(tmp_path: Path) -> None:
    require_docker()
    project = f"readiness-test-none-{uuid.uuid4().hex[:8]}"
    stack = _gate_stack(tmp_path, offline=False, drills=True, project=project)
    try:
        for check in (*DRILLS, runtime.resource_usage):
            verdict = check(service(stack, "top"))
            assert verdict.outcome is Outcome.NOT_OBSERVED, check.__name__
            assert "is not running" in verdict.reason
    finally:
        lock_path(project).unlink(missing_ok=True)
