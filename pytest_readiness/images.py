"""Image references: repository, tag, digest; whether a tag is a release or floats; what an image is.

A tag floats when it moves without anyone changing the file: ``latest``, no tag at all, a major version
alone (``:5``, ``:7-alpine``, ``:16-bookworm``), a bare variant (``:alpine``) or a channel name
(``stable``, ``edge``, ``lts``...). A tag carrying the release as the image publishes it (``:16.4``,
``:7.2.4-alpine``, ``:v2.11.3``) or a digest is a version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHANNELS = frozenset(
    [
        "latest",
        "stable",
        "release",
        "development",
        "dev",
        "edge",
        "lts",
        "mainline",
        "current",
        "nightly",
        "main",
        "master",
        "beta",
        "alpha",
        "rc",
        "canary",
        "preview",
        "insiders",
        "rolling",
        "testing",
        "unstable",
        "next",
        "experimental",
        "snapshot",
    ]
)
VARIANTS = frozenset(
    [
        "alpine",
        "slim",
        "bookworm",
        "bullseye",
        "buster",
        "jammy",
        "focal",
        "noble",
        "bionic",
        "debian",
        "ubuntu",
        "windowsservercore",
        "nanoserver",
        "management",
        "jdk",
        "jre",
        "openjdk",
        "temurin",
        "full",
        "minimal",
        "distroless",
    ]
)
_MAJOR = re.compile(r"^v?\d+$")
_MAJOR_VARIANT = re.compile(r"^v?\d+(?:-[a-z][a-z0-9.]*)+$", re.IGNORECASE)

# Last path component of a repository -> kind, for images a stack runs but does not build.
_DATASTORES = [
    "postgres",
    "postgresql",
    "postgis",
    "timescaledb",
    "mysql",
    "mariadb",
    "percona",
    "mongo",
    "mongodb",
    "redis",
    "redis-stack",
    "valkey",
    "keydb",
    "dragonfly",
    "elasticsearch",
    "opensearch",
    "clickhouse",
    "clickhouse-server",
    "kafka",
    "cp-kafka",
    "zookeeper",
    "cp-zookeeper",
    "rabbitmq",
    "nats",
    "nats-streaming",
    "minio",
    "etcd",
    "memcached",
    "cassandra",
    "scylla",
    "neo4j",
    "influxdb",
    "couchdb",
    "couchbase",
    "qdrant",
    "weaviate",
    "milvus",
    "pgbouncer",
    "pulsar",
    "redpanda",
    "cockroach",
    "mssql",
]
_PROXIES = ["nginx", "nginx-unprivileged", "openresty", "traefik", "caddy", "haproxy", "envoy", "varnish", "squid"]
_MONITORING = [
    "prometheus",
    "grafana",
    "loki",
    "alertmanager",
    "promtail",
    "node-exporter",
    "cadvisor",
    "pushgateway",
    "blackbox-exporter",
    "tempo",
    "mimir",
    "jaeger",
    "all-in-one",
    "opentelemetry-collector",
    "otel-collector",
    "kibana",
    "logstash",
    "fluentd",
    "fluent-bit",
    "vector",
    "statsd-exporter",
    "postgres-exporter",
    "redis_exporter",
    "mysqld-exporter",
    "uptime-kuma",
]
KNOWN_KINDS: dict[str, str] = {
    **dict.fromkeys(_DATASTORES, "datastore"),
    **dict.fromkeys(_PROXIES, "proxy"),
    **dict.fromkeys(_MONITORING, "monitoring"),
}


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into repository, tag and digest."""

    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        ref, _, digest = text.strip().partition("@")
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        if colon > slash:
            repo, tag = ref[:colon], ref[colon + 1 :]
        else:
            repo, tag = ref, None
        return cls(normalize_repository(repo), tag or None, digest or None)

    @property
    def key(self) -> str:
        return self.repository + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def name(self) -> str:
        """The last path component (``grafana/grafana`` -> ``grafana``)."""
        return self.repository.rsplit("/", 1)[-1]


def normalize_repository(repo: str) -> str:
    """``docker.io/library/redis`` and ``redis`` are the same repository."""
    repo = repo.lower()
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix) :]
    if repo.startswith("library/") and repo.count("/") == 1:
        repo = repo[len("library/") :]
    return repo


def floating_reason(ref: ImageRef) -> str | None:
    """Why the tag moves under the stack (None when it is a release or a digest pins it)."""
    if ref.digest:
        return None
    tag = ref.tag
    if not tag:
        return "has no tag (implicitly latest)"
    lowered = tag.lower()
    if lowered in CHANNELS or lowered.split("-", 1)[0] in CHANNELS:
        return f"is tagged {tag!r}, a channel that moves with every release"
    if lowered in VARIANTS:
        return f"is tagged {tag!r}, a variant without a version"
    if _MAJOR.match(tag):
        return f"is tagged {tag!r}, a major version alone, which moves with every minor and patch release"
    if _MAJOR_VARIANT.match(tag):
        return f"is tagged {tag!r}, a major version with a variant, which moves with every release of that major"
    if "$" in tag or "{" in tag:
        return f"is tagged {tag!r}, which is only known at run time"
    if not any(c.isdigit() for c in tag):
        return f"is tagged {tag!r}, which carries no version number (a moving name such as cli, fpm, prod)"
    return None


def kind_of_image(text: str) -> tuple[str, str] | None:
    """(kind, the name it was recognised by) for a well-known third-party image, else None."""
    ref = ImageRef.parse(text)
    name = ref.name
    candidates = [name, name.removeprefix("cp-"), name.removesuffix("-server"), name.split("-")[0]]
    for candidate in candidates:
        kind = KNOWN_KINDS.get(candidate)
        if kind:
            return kind, candidate
    return None
