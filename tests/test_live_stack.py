"""The live stack (examples/live) on the real Docker engine.

`stack.sh up` twice (idempotent, from another working directory), every container of the compose
project healthy, the ledger's /metrics parsing as Prometheus exposition with its freshness gauge, then
`stack.sh down` twice and nothing left with the project's label. Locally this skips without Docker
(or without the readiness-busybox image); under CI=true it fails instead. It takes ~20 s.

A stack that was up before the test is brought up again at its end (after the down checks).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from tests.engines import BUSYBOX_IMAGE, engine_missing, require_compose, require_docker

if TYPE_CHECKING:
    from docker.models.containers import Container

ROOT = Path(__file__).resolve().parents[1]
STACK = ROOT / "examples" / "live" / "stack.sh"
PROJECT = "readiness-live"
PROJECT_LABEL = f"com.docker.compose.project={PROJECT}"
SERVICES = {"ledger", "gateway", "exporter", "relay", "archiver", "notifier", "reporter"}
METRICS_URL = "http://127.0.0.1:18080/metrics"


def stack(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``bash examples/live/stack.sh COMMAND`` run from ``cwd``; the ledger's tests use this python."""
    return subprocess.run(
        ["bash", str(STACK), command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "LIVE_PYTHON": sys.executable, **env},
    )


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return (proc.stdout + proc.stderr)[-2000:]


def test_stack_up_twice_healthy_with_fresh_metrics_then_down_twice(tmp_path: Path) -> None:
    engine = require_docker()
    require_compose()
    client = engine.client(timeout=30)
    was_up = False
    try:
        try:
            client.images.get(BUSYBOX_IMAGE)
        except Exception as exc:
            engine_missing(f"image {BUSYBOX_IMAGE} is missing ({exc})")

        def project_containers() -> list[Container]:
            return client.containers.list(all=True, filters={"label": PROJECT_LABEL})

        was_up = bool(client.containers.list(filters={"label": PROJECT_LABEL}))
        try:
            first = stack("up", tmp_path)
            assert first.returncode == 0, output(first)
            ids_first = {c.id for c in project_containers()}
            second = stack("up", tmp_path)
            assert second.returncode == 0, output(second)
            containers = project_containers()
            assert {c.id for c in containers} == ids_first, "a second up recreated containers"
            by_service = {c.labels["com.docker.compose.service"]: c for c in containers}
            assert set(by_service) == SERVICES
            for name, container in by_service.items():
                state = container.attrs["State"]
                assert state["Status"] == "running", f"{name}: {state['Status']}"
                assert state["Health"]["Status"] == "healthy", f"{name}: {state['Health']}"

            with urllib.request.urlopen(METRICS_URL, timeout=5) as response:
                body = response.read().decode("utf-8")
            samples = {s.name: s.value for fam in text_string_to_metric_families(body) for s in fam.samples}
            assert 0 <= samples["ledger_last_write_age_seconds"] < 60, body
            assert samples["ledger_entries_written_total"] >= 0
            assert samples["ledger_write_errors_total"] == 0, body
            junit = ROOT / "examples" / "live" / "state" / "junit" / "ledger.xml"
            assert junit.is_file(), "stack.sh up did not run the ledger's tests"
        finally:
            down = stack("down", tmp_path)
            down_again = stack("down", tmp_path)
        assert down.returncode == 0, output(down)
        assert down_again.returncode == 0, output(down_again)
        assert project_containers() == []
        assert client.networks.list(filters={"label": PROJECT_LABEL}) == []
    finally:
        if was_up:  # leave a stack someone was using as it was
            stack("up", tmp_path)
        client.close()


def test_stack_reports_an_unreachable_engine_clearly(tmp_path: Path) -> None:
    proc = stack("up", tmp_path, DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert proc.returncode == 1
    assert "docker engine is not reachable at unix:///nonexistent/docker.sock" in proc.stderr
    assert "scripts/setup-engines.sh" in proc.stderr


def test_stack_usage(tmp_path: Path) -> None:
    proc = stack("restart", tmp_path)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr
