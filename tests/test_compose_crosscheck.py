"""Our static compose reader agrees with Docker Compose itself on every service of the desk stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_readiness.compose import docker_compose_config, load_compose
from tests.engines import require_compose

ROOT = Path(__file__).resolve().parent.parent
DESK_COMPOSE = ROOT / "examples/desk/compose/docker-compose.yml"


def _theirs_ports(svc: dict[str, Any]) -> set[tuple[str, str | None, str]]:
    return {
        (p.get("host_ip") or "0.0.0.0", str(p["published"]) if p.get("published") else None, str(p["target"]))
        for p in svc.get("ports", [])
    }


def test_reader_matches_docker_compose_config() -> None:
    require_compose()
    theirs = docker_compose_config([DESK_COMPOSE])
    assert theirs is not None, "docker compose config failed on the desk compose file"
    ours = load_compose([DESK_COMPOSE], environ={})
    assert set(ours.services) == set(theirs["services"])
    assert ours.name == theirs["name"]
    for name, svc in ours.services.items():
        ref = theirs["services"][name]
        assert svc.image == ref.get("image"), name
        assert svc.restart == ref.get("restart"), name
        assert svc.user == ref.get("user"), name
        assert svc.read_only == bool(ref.get("read_only", False)), name
        assert svc.privileged == bool(ref.get("privileged", False)), name
        assert set(svc.cap_drop) == set(ref.get("cap_drop", [])), name
        assert {(p.host_ip, p.published, p.target) for p in svc.ports if p.published} == _theirs_ports(ref), name
        assert svc.depends_on == {k: v["condition"] for k, v in ref.get("depends_on", {}).items()}, name
        limits = ref.get("deploy", {}).get("resources", {}).get("limits", {})
        if svc.memory_limit is not None or "memory" in limits or "mem_limit" in ref:
            assert svc.memory_limit == int(limits.get("memory") or ref.get("mem_limit")), name
        hc_ref = ref.get("healthcheck")
        if svc.healthcheck is None:
            assert hc_ref is None, name
        else:
            # `docker compose config` re-escapes a literal $ as $$ so its output stays parseable.
            assert list(svc.healthcheck.test) == [t.replace("$$", "$") for t in hc_ref["test"]], name
            assert svc.healthcheck.disabled == bool(hc_ref.get("disable", False)), name
        assert (svc.logging_options or {}).get("max-size") == (ref.get("logging") or {}).get("options", {}).get(
            "max-size"
        ), name
