"""Image tags that float or pin a release; lockfiles of every ecosystem pinned and hashed or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.artifacts import Artifacts
from pytest_readiness.images import ImageRef, floating_reason, kind_of_image
from pytest_readiness.lockfiles import discover, read_lockfile
from tests.stacks import write_tree


@pytest.mark.parametrize(
    "image",
    ["redis", "redis:latest", "grafana/grafana:11", "redis:7-alpine", "postgres:16-bookworm", "node:alpine",
     "rabbitmq:3-management", "caddy:stable", "traefik:edge", "node:lts", "nginx:mainline", "x:latest-alpine",
     "acme/app:${TAG}"],
)  # fmt: skip
def test_floating_tags(image: str) -> None:
    assert floating_reason(ImageRef.parse(image)) is not None


@pytest.mark.parametrize(
    "image",
    ["postgres:16.4", "redis:7.2.4-alpine", "nginx:1.27.3", "traefik:v3.1.2", "registry.local:5000/acme/app:2.0.1",
     "redis@sha256:" + "a" * 64, "redis:latest@sha256:" + "b" * 64, "acme/app:2026.11.30"],
)  # fmt: skip
def test_release_tags_and_digests(image: str) -> None:
    assert floating_reason(ImageRef.parse(image)) is None


@pytest.mark.parametrize(
    ("image", "kind"),
    [("postgres:16.4", "datastore"), ("bitnami/postgresql:16", "datastore"),
     ("confluentinc/cp-kafka:7.6.1", "datastore"),
     ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "datastore"),
     ("clickhouse/clickhouse-server:24.8", "datastore"),
     ("nginx:1.27", "proxy"), ("envoyproxy/envoy:v1.31.0", "proxy"), ("prom/node-exporter:v1.8.2", "monitoring"),
     ("gcr.io/cadvisor/cadvisor:v0.49.1", "monitoring"), ("grafana/promtail:3.2.0", "monitoring")],
)  # fmt: skip
def test_well_known_images(image: str, kind: str) -> None:
    found = kind_of_image(image)
    assert found is not None
    assert found[0] == kind
    assert kind_of_image("acme/shop:1.0") is None


LOCKS = {
    "package-lock.json": ('{"lockfileVersion": 3, "packages": {"": {"name": "app"}, "node_modules/express": '
                          '{"version": "4.21.1", "integrity": "sha512-x"}}}', True, True),
    "yarn.lock": ('express@^4.21.1:\n  version "4.21.1"\n  resolved "https://r/x.tgz"\n  integrity sha512-x\n',
                  True, True),
    "go.sum": ("github.com/nats-io/nats.go v1.37.0 h1:abc=\ngithub.com/nats-io/nats.go v1.37.0/go.mod h1:def=\n",
               True, True),
    "Cargo.lock": ('[[package]]\nname = "serde"\nversion = "1.0.210"\nchecksum = "abc"\n', True, True),
    "Gemfile.lock": ("GEM\n  specs:\n    rails (7.2.1)\n", True, False),
    "package.json": ('{"dependencies": {"express": "^4.21.1", "left-pad": "1.3.0"}}', False, False),
}  # fmt: skip


@pytest.mark.parametrize("name", list(LOCKS))
def test_lockfile_formats(tmp_path: Path, name: str) -> None:
    text, pinned, hashed = LOCKS[name]
    write_tree(tmp_path, {name: text})
    lock = read_lockfile(Artifacts(tmp_path, show=str), tmp_path / name)
    assert lock.entries, name
    assert all(e.pinned for e in lock.entries) is pinned
    assert all(e.hashed for e in lock.entries) is hashed


def test_a_package_json_is_a_lock_only_without_a_real_lock_beside_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a/package.json": "{}", "b/package.json": "{}", "b/package-lock.json": "{}",
                          "c/requirements-dev.txt": "x==1\n", "c/requirements.txt": "y==2\n"})  # fmt: skip
    door = Artifacts(tmp_path, show=str)
    assert [p.name for p in discover(door, tmp_path / "a")] == ["package.json"]
    assert [p.name for p in discover(door, tmp_path / "b")] == ["package-lock.json"]
    assert [p.name for p in discover(door, tmp_path / "c")] == ["requirements-dev.txt", "requirements.txt"]
