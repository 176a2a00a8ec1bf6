"""The service model the checks read agrees with `docker compose config`, read independently.

Our model is built from Compose's JSON and normalised by ``pytest_readiness.compose.model``; here the
same project goes through the docker CLI's compose plugin via python-on-whales (its typed model where it
has one, its JSON for the rest), on the desk, the live example and every project of the test corpus:
same services, healthchecks, ports, restart policies, limits, users and logging after normalisation.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.artifacts import Artifacts
from pytest_readiness.compose import ComposeProject, discover, load_project, parse_duration, parse_memory
from tests.engines import require_compose

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [
    ROOT / "examples/desk/compose",
    ROOT / "examples/live",
    *sorted(p for p in (ROOT / "tests/corpus").glob("*") if p.is_dir() and (p / "VERDICTS.yaml").exists()),
]


def ours(folder: Path) -> ComposeProject:
    door = Artifacts(folder, show=str)
    found = discover(folder, environ={})
    return load_project(door, list(found.files), environ={})


def theirs(folder: Path) -> tuple[Any, dict[str, Any]]:
    from python_on_whales import DockerClient

    found = discover(folder, environ={})
    client = DockerClient(compose_files=list(found.files), compose_project_directory=folder)
    return client.compose.config(), client.compose.config(return_json=True)


def _seconds(value: Any) -> float | None:
    return None if value is None else parse_duration(value)


@pytest.mark.parametrize("folder", PROJECTS, ids=[p.name for p in PROJECTS])
def test_model_matches_docker_compose_config(folder: Path) -> None:
    require_compose()
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is needed for python-on-whales")
    mine = ours(folder)
    typed, raw = theirs(folder)
    assert set(mine.services) == set(typed.services) == set(raw["services"])
    assert mine.name == raw["name"]
    for name, svc in mine.services.items():
        ref, model = raw["services"][name], typed.services[name]
        assert svc.image == model.image, name
        assert svc.restart == ref.get("restart"), name
        assert svc.user == ref.get("user"), name
        assert svc.read_only == bool(ref.get("read_only", False)), name
        assert svc.privileged == bool(ref.get("privileged", False)), name
        assert set(svc.cap_drop) == set(model.cap_drop or []), name
        assert set(svc.cap_add) == set(model.cap_add or []), name
        got_ports = {(p.published, p.target, p.protocol) for p in svc.ports}
        want_ports = {(str(p.published) if p.published else None, str(p.target), p.protocol or "tcp")
                      for p in model.ports or []}  # fmt: skip
        assert got_ports == want_ports, name
        assert {(p.host_ip or "", p.target) for p in svc.ports} == {
            (p.get("host_ip") or "", str(p["target"])) for p in ref.get("ports") or []
        }, name
        assert set(svc.depends_on) == set(model.depends_on or {}), name
        limits = ((ref.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        memory = limits.get("memory") or ref.get("mem_limit")
        assert svc.memory_limit == (parse_memory(memory) if memory else None), name
        cpus = limits.get("cpus") or ref.get("cpus")
        assert svc.cpu_limit == (float(cpus) if cpus else None), name
        hc = ref.get("healthcheck")
        if svc.healthcheck is None:
            assert hc is None, name
        else:
            # `docker compose config` re-escapes a literal $ as $$; the container gets $.
            assert list(svc.healthcheck.test) == [t.replace("$$", "$") for t in hc.get("test") or []], name
            assert svc.healthcheck.disabled == bool(hc.get("disable", False)), name
            for key in ("interval", "timeout", "start_period"):
                assert getattr(svc.healthcheck, key) == _seconds(hc.get(key)), (name, key)
            assert svc.healthcheck.retries == hc.get("retries"), name
        logging = ref.get("logging") or {}
        assert svc.logging_driver == logging.get("driver"), name
        assert svc.logging_options == {str(k): str(v) for k, v in (logging.get("options") or {}).items()}, name


def test_the_corpus_is_covered() -> None:
    assert len(PROJECTS) >= 17, "the corpus holds at least 15 projects besides the desk and the live example"
