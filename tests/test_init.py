"""``python -m pytest_readiness init``: one row per compose service, kinds from what each service is,
where to look discovered from the files, every guess commented, and a scorecard right after."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pytest_readiness.__main__ import main
from tests.stacks import write_tree

PROJECT = {
    "compose.yaml": """
        name: shop
        services:
          web:
            image: shop/web:1.8.2
            build: ./web
            ports: ["127.0.0.1:8000:8000"]
          worker:
            image: shop/web:1.8.2
            build: ./web
            command: ["celery", "-A", "shop", "worker"]
          migrate:
            image: shop/web:1.8.2
            build: ./web
            command: ["python", "manage.py", "migrate"]
            restart: "no"
          db:
            image: postgres:16.4
          cache:
            image: bitnami/redis:7.2.4
          edge:
            image: traefik:v3.1.2
          grafana:
            image: grafana/grafana:11.3.0
            volumes: ["./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro"]
          keycloak:
            image: quay.io/keycloak/keycloak:25.0.6
          idle:
            image: busybox:1.36.1
            deploy: {replicas: 0}
          debug:
            image: busybox:1.36.1
            profiles: [debug]
    """,
    "web/Dockerfile": "FROM python:3.12.7-slim\n",
    "web/requirements.txt": "Django==5.1.3\n",
    "web/tests/test_x.py": "def test_x():\n    assert True\n",
    "web/config.yaml": "db: {connect_retries: 5}\n",
    "monitoring/prometheus.yml": "rule_files: [rules.yml]\nscrape_configs: []\n",
    "monitoring/rules.yml": "groups: [{name: g, rules: []}]\n",
    "docs/ops/runbook.md": "# Runbook\n",
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
}


def run_init(tmp_path: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMPOSE_FILE", raising=False)
    monkeypatch.delenv("COMPOSE_PROFILES", raising=False)
    return main(["init", *args])


def test_init_writes_a_row_per_service_with_kinds_and_where_to_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, PROJECT)
    assert run_init(tmp_path, "--target", "L2", monkeypatch=monkeypatch) == 0
    text = (tmp_path / "services.yaml").read_text()
    data = yaml.safe_load(text)
    rows = {r["name"]: r for r in data["services"]}
    assert set(rows) == {"web", "worker", "migrate", "db", "cache", "edge", "grafana", "keycloak"}
    kinds = {n: r["kind"] for n, r in rows.items()}
    assert kinds == {"web": "service", "worker": "worker", "migrate": "job", "db": "datastore", "cache": "datastore",
                     "edge": "proxy", "grafana": "monitoring", "keycloak": "service"}  # fmt: skip
    assert {r["target"] for r in rows.values()} == {"L2"}
    assert rows["web"]["code"] == "web"
    assert rows["web"]["lockfiles"] == ["web/requirements.txt"]
    assert rows["web"]["tests"] == "web/tests"
    assert rows["web"]["config"] == ["web/config.yaml"]
    assert "code" not in rows["keycloak"]  # a third-party image is not own code
    stack = data["stack"]
    assert stack["compose"] == ["compose.yaml"]
    assert stack["compose_project"] == "shop"
    assert stack["prometheus_config"] == "monitoring/prometheus.yml"
    assert stack["alert_rules"] == ["monitoring/rules.yml"]
    assert stack["runbooks"] == "docs/ops/runbook.md"
    assert stack["ci"] == [".github/workflows/ci.yml"]
    assert "# kind guessed from image postgres:16.4 (postgres)" in text
    assert "# no row for idle: deploy.replicas 0" in text
    assert "# no row for debug: in profile debug, not active" in text
    assert "wrote services.yaml: 8 service(s)" in capsys.readouterr().out


def test_an_existing_file_is_kept_without_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {**PROJECT, "services.yaml": "mine\n"})
    assert run_init(tmp_path, monkeypatch=monkeypatch) == 1
    assert (tmp_path / "services.yaml").read_text() == "mine\n"
    assert run_init(tmp_path, "--force", "--output", "services.yaml", monkeypatch=monkeypatch) == 0
    assert (tmp_path / "services.yaml").read_text() != "mine\n"


def test_f_files_and_the_output_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"deploy/stack.yml": "services:\n  api:\n    image: acme/api:1.0.0\n"})
    assert run_init(tmp_path, "-f", "deploy/stack.yml", "--output", "ops/services.yaml", monkeypatch=monkeypatch) == 0
    data = yaml.safe_load((tmp_path / "ops/services.yaml").read_text())
    assert data["stack"]["root"] == "../deploy"
    assert data["stack"]["compose"] == ["stack.yml"]


def test_a_broken_project_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"compose.yaml": "services:\n  api:\n    image: a\n    environment:\n      T: ${T:?set T}\n"})
    assert run_init(tmp_path, monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("compose.yaml:5:")
    assert "\n" not in err
    assert not (tmp_path / "services.yaml").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_init(empty, monkeypatch=monkeypatch) == 2


def test_the_scorecard_runs_right_after_init(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    subprocess.run([sys.executable, "-m", "pytest_readiness", "init"], cwd=tmp_path, check=True, capture_output=True)
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness", "--readiness-offline", f"--readiness-json={out}",
         "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "readiness scorecard" in proc.stdout
    data = json.loads(out.read_text())
    assert {s["name"] for s in data["services"]} == {"web", "worker", "migrate", "db", "cache", "edge", "grafana",
                                                     "keycloak"}  # fmt: skip
    assert all(r["fix"] for r in data["results"] if r["outcome"] == "failed")
