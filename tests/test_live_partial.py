"""A live part passes only when every container of the row was observed (fail closed on partial views)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_readiness.checks import observability
from pytest_readiness.live import ContainerFacts, Unobservable
from pytest_readiness.results import Outcome, Verdict
from tests.stacks import make_stack, service

SERVICES = """\
version: 1
stack: {name: t, root: stack, compose: [compose.yml], compose_project: t}
services:
  - {name: api, kind: service, target: L2, compose_services: [api, worker]}
"""
COMPOSE = """\
services:
  api: {image: "busybox:1.36"}
  worker: {image: "busybox:1.36"}
"""


def facts(name: str) -> ContainerFacts:
    attrs: dict[str, Any] = {
        "Id": f"{name}0123456789abcdef",
        "Name": f"/t-{name}-1",
        "State": {"Status": "running", "Running": True, "Pid": 42},
        "Config": {
            "Image": "busybox:1.36",
            "Labels": {"com.docker.compose.project": "t", "com.docker.compose.service": name},
        },
        "HostConfig": {},
        "NetworkSettings": {"Ports": {}},
    }
    return ContainerFacts.from_attrs(attrs)


class HalfBlindProbes:
    """Sees both containers, but can read the logs of only one of them."""

    project = "t"

    def service_containers(self, names: list[str]) -> dict[str, list[ContainerFacts]]:
        return {n: [facts(n)] for n in names}

    def logs(self, container: ContainerFacts, tail: int = 200) -> list[str] | Unobservable:
        if container.service == "worker":
            return Unobservable("docker engine at unix:///x: logs of t-worker-1 timed out", "container t-worker-1")
        return ['{"level": "info", "msg": "ok"}'] * 3


def test_structured_logs_live_part_is_unobservable_when_one_container_was_not_read(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, SERVICES, {"compose.yml": COMPOSE})
    stack._live = HalfBlindProbes()  # type: ignore[assignment]
    live = observability.live_structured_logs(service(stack, "api"))
    assert isinstance(live, Unobservable), live
    assert "t-worker-1" in live.reason


def test_structured_logs_live_part_passes_when_every_container_was_read(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, SERVICES, {"compose.yml": COMPOSE})
    probes = HalfBlindProbes()
    probes.logs = lambda container, tail=200: ['{"level": "info"}']  # type: ignore[method-assign]
    stack._live = probes  # type: ignore[assignment]
    live = observability.live_structured_logs(service(stack, "api"))
    assert isinstance(live, Verdict)
    assert live.outcome is Outcome.PASSED
