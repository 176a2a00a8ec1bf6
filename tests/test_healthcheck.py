"""The healthcheck classifier, over a table of real-world test shapes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.artifacts import Artifacts
from pytest_readiness.dockerfile import read_dockerfile
from pytest_readiness.healthcheck import Classification, HealthcheckKind, ScriptLocator, classify_healthcheck

L = HealthcheckKind.LIVENESS
C = HealthcheckKind.CONNECTIVITY_ONLY
F = HealthcheckKind.FRESHNESS_BASED
N = HealthcheckKind.NONE
U = HealthcheckKind.UNKNOWN
P = HealthcheckKind.PROCESS_ONLY
X = HealthcheckKind.CANNOT_FAIL
Q = HealthcheckKind.NOT_OBSERVED

DEPS = {"dependencies": ["redis", "postgres", "kafka"]}

# (id, test, extra kwargs, expected kind, text the reason must contain: the deciding command/probe)
CASES: list[tuple[str, Sequence[str] | str | None, dict[str, Any], HealthcheckKind, str]] = [
    # --- liveness: HTTP to itself
    ("curl-f-cmd", ["CMD", "curl", "-f", "http://localhost:8080/health"], {}, L,
     "curl -f http://localhost:8080/health"),
    ("curl-shell-or-exit", ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"], {}, L,
     "curl -fsS http://127.0.0.1:8080/healthz"),
    ("curl-string", "curl --fail --silent --max-time 2 http://localhost:${PORT:-8080}/ready", {}, L,
     "http://localhost:${PORT:-8080}/ready"),
    ("curl-own-name", "curl -f http://signal-service:8080/health", DEPS, L, "signal-service's own HTTP endpoint"),
    ("curl-ipv6", ["CMD", "curl", "-g", "-f", "http://[::1]:8080/"], {}, L, "http://[::1]:8080/"),
    ("curl-unix-socket", "curl --unix-socket /run/app.sock http://x/health", {}, L, "curl --unix-socket"),
    ("wget-spider", ["CMD", "wget", "--spider", "-q", "http://localhost:3000/health"], {}, L,
     "wget --spider -q http://localhost:3000/health"),
    ("wget-qO-scheme-less", "wget -qO- localhost:8080/status >/dev/null 2>&1", {}, L,
     "wget -qO- localhost:8080/status"),
    ("busybox-wget", "busybox wget -q -O /dev/null http://0.0.0.0:9000/", {}, L, "busybox wget"),
    ("sh-c-argv", ["CMD", "sh", "-c", "curl -f http://localhost/ && echo ok"], {}, L,
     "curl -f http://localhost/"),
    ("bash-lc-timeout", ["CMD", "/bin/bash", "-lc", "timeout 3 curl -f http://localhost:80/"], {}, L,
     "timeout 3 curl -f http://localhost:80/"),
    ("python-urllib", ["CMD", "python", "-c",
                       "import urllib.request; urllib.request.urlopen('http://localhost:8000/health', timeout=2)"],
     {}, L, "urllib.request.urlopen('http://localhost:8000/health', timeout=2)"),
    ("python3-urllib-alias", "python3 -c \"from urllib.request import urlopen as u; u('http://127.0.0.1:8000/')\"",
     {}, L, "u('http://127.0.0.1:8000/')"),
    ("python-requests-fstring", "python -c \"import os,requests; requests.get(f'http://localhost:{os.environ[\\\"P\\\"]}/')\"",
     {}, L, "requests.get"),
    ("python-url-variable", ["CMD", "python3", "-c",
                             "import urllib.request as r; u = 'http://localhost:8000/ping'; r.urlopen(u).read()"],
     {}, L, "r.urlopen(u)"),
    ("python-http-client",
     "python -c 'import http.client as h; h.HTTPConnection(\"localhost\", 8000).request(\"GET\", \"/\")'",
     {}, L, "h.HTTPConnection(\"localhost\", 8000)"),
    ("grpc-health-probe", ["CMD", "/bin/grpc_health_probe", "-addr=:50051"], {}, L, "grpc_health_probe -addr=:50051"),
    ("dev-tcp", "bash -c 'echo > /dev/tcp/localhost/8080'", {}, L, "echo > /dev/tcp/localhost/8080"),
    # --- liveness: own port, datastore, process
    ("nc-localhost", "nc -z localhost 8080", {"own_ports": [8080]}, L, "nc -z localhost 8080"),
    ("redis-cli-ping", ["CMD", "redis-cli", "ping"], {}, L, "redis-cli ping"),
    ("redis-cli-local-h", "redis-cli -h 127.0.0.1 -p 6379 ping | grep PONG", {}, L, "redis-cli -h 127.0.0.1"),
    ("pg-isready-local", ["CMD-SHELL", "pg_isready -U $$POSTGRES_USER -d $$POSTGRES_DB"], {}, L, "pg_isready -U"),
    ("pg-isready-localhost", "pg_isready -h localhost -U app", {}, L, "pg_isready -h localhost -U app"),
    ("mysqladmin", "mysqladmin ping -h localhost -uroot -p$MYSQL_ROOT_PASSWORD", {}, L, "mysqladmin ping"),
    ("mongosh-eval", "mongosh --quiet --eval \"db.adminCommand('ping')\"", {}, L, "mongosh --quiet"),
    ("rabbitmq", ["CMD", "rabbitmq-diagnostics", "-q", "ping"], {}, L, "rabbitmq-diagnostics -q ping"),
    ("pgrep", "pgrep -f 'celery worker'", {}, P, "pgrep -f 'celery worker'"),
    ("pidof", ["CMD", "pidof", "nginx"], {}, P, "pidof nginx"),
    ("kill-0", "kill -0 1", {}, P, "kill -0 1"),
    ("kill-0-pidfile", "[ -s /run/app.pid ] && kill -0 $(cat /run/app.pid)", {}, F, "/run/app.pid"),
    ("proc-1", "test -e /proc/1", {}, P, "test -e /proc/1"),
    ("proc-net-tcp", "grep -q ':1F90' /proc/net/tcp", {}, P, "/proc/net/tcp"),
    ("python-os-kill", "python -c 'import os; os.kill(1, 0)'", {}, P, "os.kill(1, 0)"),
    ("own-cli-module", ["CMD", "python", "-m", "signal_service", "healthcheck"], {}, L,
     "runs the service's own health command (python -m signal_service healthcheck)"),
    ("own-cli-flag", "/usr/local/bin/app --health", {}, L, "own health command (/usr/local/bin/app --health)"),
    ("own-health-script", ["CMD", "/healthcheck.sh"], {}, Q,
     "/healthcheck.sh is a script whose contents cannot be read"),
    ("liveness-beats-connectivity", "redis-cli -h redis ping && curl -f http://localhost:8080/health", DEPS, L,
     "curl -f http://localhost:8080/health"),
    # --- freshness
    ("find-mmin", "find /tmp/heartbeat -mmin -1 | grep -q .", {}, F, "find /tmp/heartbeat -mmin -1"),
    ("find-newermt", ["CMD-SHELL", "test -n \"$(find /data/report.json -newermt '-5 minutes')\""], {}, F,
     "find /data/report.json -newermt '-5 minutes'"),
    ("find-mtime", "find /var/lib/app/last_run -mtime -1", {}, F, "/var/lib/app/last_run"),
    ("stat-arith", "test $(( $(date +%s) - $(stat -c %Y /tmp/hb) )) -lt 60", {}, F, "stat -c %Y /tmp/hb"),
    ("stat-bracket-arith", "[ $(($(date +%s) - $(stat -c %Y /tmp/hb))) -lt 120 ] || exit 1", {}, F,
     "stat -c %Y /tmp/hb"),
    ("date-r", "[ $(date -r /tmp/hb +%s) -gt $(( $(date +%s) - 60 )) ]", {}, F, "date -r /tmp/hb +%s"),
    ("test-f", "test -f /tmp/healthy", {}, F, "test -f /tmp/healthy"),
    ("bracket-s", ["CMD-SHELL", "[ -s /var/run/app/ready ]"], {}, F, "[ -s /var/run/app/ready ]"),
    ("double-bracket", "[[ -f /tmp/ready && -s /tmp/ready ]]", {}, F, "/tmp/ready"),
    ("if-then", "if [ -f /tmp/ready ]; then exit 0; else exit 1; fi", {}, F, "[ -f /tmp/ready ]"),
    ("cat-marker", "cat /tmp/healthy", {}, F, "cat /tmp/healthy"),
    ("python-getmtime", "python3 -c \"import os,time,sys; sys.exit(time.time()-os.path.getmtime('/tmp/hb')>60)\"",
     {}, F, "os.path.getmtime('/tmp/hb')"),
    ("python-path-stat", "python -c 'import time; from pathlib import Path; "
                         "assert time.time() - Path(\"/tmp/hb\").stat().st_mtime < 60'", {}, F,
     "Path(\"/tmp/hb\").stat()"),
    ("python-report-json", ["CMD", "python", "-c",
                            "import json, datetime as d; r = json.load(open('/data/report.json')); "
                            "assert d.datetime.now() - d.datetime.fromisoformat(r['ts']) < d.timedelta(minutes=5)"],
     {}, F, "open('/data/report.json')"),
    ("python-os-stat", "python -c 'import os, time; assert time.time() - os.stat(\"/tmp/hb\").st_mtime < 30'",
     {}, F, "os.stat(\"/tmp/hb\")"),
    ("freshness-beats-connectivity", "redis-cli -h redis ping && test -f /tmp/hb", DEPS, F, "test -f /tmp/hb"),
    # --- connectivity only
    ("redis-cli-h", "redis-cli -h redis ping", DEPS, C, "pings dependency 'redis' (redis-cli -h redis ping)"),
    ("redis-cli-u", ["CMD", "redis-cli", "-u", "redis://redis:6379/0", "ping"], DEPS, C, "redis-cli -u"),
    ("pg-isready-h", ["CMD", "pg_isready", "-h", "postgres", "-U", "app"], DEPS, C,
     "pings dependency 'postgres' (pg_isready -h postgres -U app)"),
    ("nc-z-dep", "nc -zv -w 2 redis 6379", DEPS, C, "connects to dependency 'redis' (nc -zv -w 2 redis 6379)"),
    ("curl-dep", "curl -f http://kafka:8082/topics", DEPS, C, "curl -f http://kafka:8082/topics"),
    ("curl-external", "curl -fsS https://api.example.com/status", {}, C, "other host 'api.example.com'"),
    ("python-socket", "python -c 'import socket; socket.create_connection((\"redis\", 6379), timeout=2)'", DEPS, C,
     "socket.create_connection((\"redis\", 6379), timeout=2)"),
    ("python-socket-connect", "python -c 'import socket; s=socket.socket(); s.connect((\"postgres\", 5432))'",
     DEPS, C, "s.connect((\"postgres\", 5432))"),
    ("python-redis", "python -c 'import redis; redis.Redis(host=\"redis\", port=6379).ping()'", DEPS, C,
     "redis.Redis(host=\"redis\", port=6379)"),
    ("python-psycopg", "python -c 'import psycopg2; psycopg2.connect(\"dbname=app host=postgres user=app\")'", DEPS,
     C, "pings dependency 'postgres'"),
    ("kafka-bootstrap", "kafka-topics --bootstrap-server kafka:9092 --list", DEPS, C, "kafka-topics"),
    ("timeout-wrapper", ["CMD", "sh", "-c", "timeout 5 redis-cli -h redis ping"], DEPS, C,
     "timeout 5 redis-cli -h redis ping"),
    ("substitution", "[ \"$(redis-cli -h redis ping)\" = PONG ]", DEPS, C, "redis-cli -h redis ping"),
    ("pipe", "echo PING | nc -q1 redis 6379 | grep -q PONG", DEPS, C, "nc -q1 redis 6379"),
    # --- none
    ("none-list", ["NONE"], {}, N, "disabled"),
    ("none-python-none", None, {}, N, "no healthcheck"),
    ("none-empty-string", "   ", {}, N, "no healthcheck"),
    ("none-empty-list", [], {}, N, "no healthcheck"),
    # --- unknown
    ("unparsable-quote", "curl 'http://localhost", {}, U, "could not parse shell command"),
    ("unsupported-case", "case $x in a) true;; esac", {}, U, "could not parse shell command"),
    ("opaque-script", ["CMD", "/usr/local/bin/check.sh"], {}, Q, "/usr/local/bin/check.sh"),
    ("only-exit", "exit 0", {}, X, "exits 0 whatever its commands return (exit 0)"),
    ("variable-url", "curl -f $HEALTH_URL", {}, U, "curl -f $HEALTH_URL"),
    ("python-syntax-error", "python -c 'import ('", {}, U, "does not parse"),
    ("python-nothing", "python -c 'print(1)'", {}, U, "print(1)"),
    ("garbage-word", "frobnicate --now", {}, U, "runs 'frobnicate', which is not a known probe (frobnicate --now)"),
    # --- cannot fail: the shell's own exit rules
    ("true", ["CMD", "true"], {}, X, "cannot report the service unhealthy"),
    ("echo-ok", ["CMD-SHELL", "echo ok"], {}, X, "echo ok"),
    ("or-true", "curl -f http://localhost:8080/ || true", {}, X, "|| true"),
    ("then-exit-0", "curl -f http://localhost:8080/; exit 0", {}, X, "exit 0"),
    ("then-echo", "curl -f http://localhost:8080/; echo done", {}, X, "echo done"),
    ("pipe-tee", "curl -f http://localhost:8080/ | tee /tmp/h", {}, X, "tee /tmp/h"),
    ("background", "curl -f http://localhost:8080/ &", {}, X, "&"),
    # --- the own probe only as a fallback
    ("dep-or-self", "curl -f http://kafka:8082/ || curl -f http://localhost:8080/health", DEPS, C,
     "runs only as a fallback"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("test", "kwargs", "kind", "mentions"),
    [pytest.param(test, kwargs, kind, mentions, id=case_id) for case_id, test, kwargs, kind, mentions in CASES],
)
def test_classifies(
    test: Sequence[str] | str | None, kwargs: dict[str, Any], kind: HealthcheckKind, mentions: str
) -> None:
    result = classify_healthcheck(test, service="signal-service", **kwargs)
    assert result.kind is kind, result.reason
    assert mentions in result.reason, result.reason
    assert "\n" not in result.reason


def test_table_covers_every_kind_with_enough_shapes() -> None:
    assert len(CASES) >= 60
    assert {case[3] for case in CASES} == set(HealthcheckKind)


def test_connectivity_reason_says_own_process_is_not_probed() -> None:
    result = classify_healthcheck("redis-cli -h redis ping", service="signal-service", dependencies=["redis"])
    assert result.reason == (
        "pings dependency 'redis' (redis-cli -h redis ping); does not probe signal-service's own process"
    )
    assert [(p.kind, p.target) for p in result.probes] == [("connectivity", "redis")]


def test_probes_record_every_command() -> None:
    result = classify_healthcheck(
        "redis-cli -h redis ping && test -f /tmp/hb && curl -f http://localhost/", service="api", dependencies=["redis"]
    )
    assert [(p.kind, p.target) for p in result.probes] == [
        ("connectivity", "redis"),
        ("freshness", "/tmp/hb"),
        ("liveness", "localhost"),
    ]
    assert result.probes[2].command == "curl -f http://localhost/"


@pytest.mark.parametrize(
    ("test", "kind"),
    [
        ("set -o pipefail; curl -f http://localhost:8080/ | tee /tmp/x", L),  # pipefail: curl decides again
        ("sh -ec 'curl -f http://localhost:8080/; echo ok'", L),  # -e: a failing curl ends the script
        ("curl -f http://localhost:8080/ && redis-cli -h redis ping", L),  # own probe necessary, dependency too
        ("for i in 1 2 3; do curl -f http://localhost:8080/ && exit 0; sleep 1; done; exit 1", L),
        ('x=$(curl -s http://localhost:8080/health); [ "$x" = ok ]', L),  # decided through the variable
        ("if curl -f http://localhost:8080/; then exit 0; else exit 1; fi", L),
        ("if [ -f /tmp/ready ]; then curl -f http://localhost:8080/; fi", F),  # no file: exits 0 unchecked
        ("! curl -f http://localhost:8080/", U),  # healthy only when the service is down
        ("while ! curl -f http://localhost:8080/; do sleep 1; done", L),  # loops until Docker's timeout
        ("redis-cli -h redis ping | grep -q PONG", C),  # grep only reads what redis-cli printed
        ("[ yes = yes ] && curl -f http://localhost:8080/", L),  # a literal test is decided, not a probe
    ],
)
def test_exit_status_is_computed_as_the_shell_does(test: str, kind: HealthcheckKind) -> None:
    result = classify_healthcheck(test, service="api", dependencies=["redis"])
    assert result.kind is kind, result.reason


def test_parameter_expansion_is_resolved_from_the_environment() -> None:
    own = classify_healthcheck("curl -f http://${HEALTH_HOST:-localhost}:8080/", service="api")
    assert own.kind is L, own.reason
    dep = classify_healthcheck(
        "curl -f http://$DB_HOST:5432/", service="api", dependencies=["db"], environment={"DB_HOST": "db"}
    )
    assert dep.kind is C, dep.reason
    unknown = classify_healthcheck("curl -f http://$SOMEWHERE/", service="api")
    assert unknown.kind is U
    assert "only known at run time" in unknown.reason


def _locator(tmp_path: Path, files: dict[str, str], mounts: tuple[tuple[str, str, str], ...] = ()) -> ScriptLocator:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    door = Artifacts(tmp_path, show=lambda p: Path(p).name)
    dockerfile = read_dockerfile(door, tmp_path / "Dockerfile", tmp_path) if "Dockerfile" in files else None
    return ScriptLocator(door, dockerfile, mounts, third_party=dockerfile is None)


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        ("#!/bin/sh\ncurl -fsS http://127.0.0.1:8080/healthz\n", L),
        ("#!/bin/sh\nredis-cli -h redis -p 6379 ping | grep -q PONG\n", C),
        ("#!/bin/sh\ncurl -fsS http://127.0.0.1:8080/healthz || true\n", X),
    ],
)
def test_a_script_is_judged_by_its_contents_from_the_build_context(
    tmp_path: Path, script: str, kind: HealthcheckKind
) -> None:
    scripts = _locator(
        tmp_path, {"Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY hc.sh /app/healthcheck.sh\n", "hc.sh": script}
    )
    result = classify_healthcheck(
        ["CMD", "/app/healthcheck.sh"], service="worker", dependencies=["redis"], scripts=scripts
    )
    assert result.kind is kind, result.reason
    if kind is not X:
        assert "hc.sh via COPY at Dockerfile:3" in result.reason


def test_python_and_node_scripts_are_read(tmp_path: Path) -> None:
    scripts = _locator(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\n",
            "healthcheck.py": "import sys, urllib.request\n"
            "urllib.request.urlopen('http://localhost:8000/h', timeout=2)\n",
            "healthcheck.js": "require('http').get('http://db:5432', "
            "r => process.exit(r.statusCode === 200 ? 0 : 1))\n",
        },
    )
    py = classify_healthcheck(["CMD", "python", "healthcheck.py"], service="api", scripts=scripts)
    assert py.kind is L, py.reason
    js = classify_healthcheck(["CMD", "node", "healthcheck.js"], service="api", dependencies=["db"], scripts=scripts)
    assert js.kind is C, js.reason


def test_a_bind_mounted_script_is_read_and_a_missing_one_is_not_observed(tmp_path: Path) -> None:
    scripts = _locator(
        tmp_path,
        {"checks/hc.sh": "#!/bin/sh\nnc -z localhost 5432\n"},
        mounts=((str(tmp_path / "checks"), "/checks", "compose.yaml:9"),),
    )
    assert classify_healthcheck(["CMD", "/checks/hc.sh"], service="db", scripts=scripts).kind is L
    missing = classify_healthcheck(["CMD", "/usr/local/bin/docker-healthcheck"], service="db", scripts=scripts)
    assert missing.kind is Q
    assert "comes with the image" in missing.reason


def test_port_outside_own_ports_is_noted() -> None:
    result = classify_healthcheck("nc -z localhost 9999", service="api", own_ports=["8080/tcp", 9090])
    assert result.kind is L
    assert "port 9999 is not one of its ports 8080, 9090" in result.reason


def test_aliases_count_as_own_names() -> None:
    result = classify_healthcheck("curl -f http://api-1:8080/", service="api", aliases=["api-1"])
    assert result.kind is L


def test_non_dependency_host_is_still_connectivity() -> None:
    result = classify_healthcheck("pg_isready -h db.internal", service="api")
    assert result.kind is C
    assert "other host 'db.internal'" in result.reason


@pytest.mark.parametrize(
    "weird",
    ["", "$(", "`", "((", "&&", "|", ";;", "\\", "'", "\"", "${", "[[ ]]", "$(( 1 +", "x" * 5000, "\x00",
     ["CMD"], ["CMD-SHELL"], ["CMD", ""], ["CMD", "sh", "-c"], ["CMD", "python", "-c"], [1, 2, 3]],
)  # fmt: skip
def test_never_raises(weird: Any) -> None:
    result = classify_healthcheck(weird, service="svc")
    assert isinstance(result, Classification)
    assert result.reason


def test_deep_nesting_is_bounded() -> None:
    command = "curl -f http://localhost/"
    for _ in range(12):
        command = f"sh -c {command!r}"
    result = classify_healthcheck(command, service="svc")
    assert result.kind in (L, U)
