"""The static compose reader: normalization, line numbers, interpolation, merging, bad input."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pytest_readiness.compose import (
    ComposeProject,
    Port,
    docker_compose_config,
    load_compose,
    parse_duration,
    parse_memory,
    parse_port,
)
from pytest_readiness.errors import InputError

STACK = """\
name: Trading_Desk
x-logging: &default-logging
  driver: json-file
  options:
    max-size: 10m
    max-file: 3

services:
  signal-service:
    build:
      context: ./signal
      dockerfile: docker/Dockerfile.prod
    image: desk/signal:${SIGNAL_TAG:-latest}
    command: ["python", "-m", "signal_service", "--port", "8080"]
    entrypoint: /docker-entrypoint.sh --wait
    user: "10001:10001"
    read_only: true
    privileged: false
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    security_opt:
      - no-new-privileges:true
    ports:
      - "127.0.0.1:8080:8080"
      - 9090:9090
      - "8000-8010:8000-8010/udp"
      - "[::1]:7000:7000"
      - "127.0.0.1::5000"
      - "6000"
      - target: 443
        published: 8443
        host_ip: 10.0.0.5
        protocol: tcp
        mode: host
    expose: ["9100"]
    healthcheck:
      test: redis-cli -h redis ping
      interval: 1m30s
      timeout: 500ms
      retries: 3
      start_period: 1h
    restart: unless-stopped
    deploy:
      restart_policy:
        condition: on-failure
      resources:
        limits:
          cpus: "0.5"
          memory: 512m
    logging: *default-logging
    depends_on:
      redis:
        condition: service_healthy
      postgres: {}
    environment:
      LOG_LEVEL: info
      DEBUG: false
      WORKERS: 4
      UNSET_ME:
    env_file:
      - ./signal.env
      - path: ./optional.env
        required: false
    volumes:
      - ./data:/data:ro
      - type: tmpfs
        target: /tmp
    labels:
      - com.desk.team=signals
      - com.desk.tier
    stop_grace_period: 30s

  redis:
    image: redis:7.2
    command: redis-server --appendonly yes
    mem_limit: 256MiB
    cpus: 1.5
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
    depends_on: [postgres]
    environment:
      - ALLOW_EMPTY_PASSWORD=yes
      - TZ

  postgres:
    image: postgres:16
    healthcheck:
      test: ["NONE"]

  worker:
    image: desk/worker
    healthcheck:
      disable: true
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def stack(tmp_path: Path) -> ComposeProject:
    path = write(tmp_path / "Desk Stack", "compose.yaml", STACK)
    return load_compose([path], environ={}, display_root=tmp_path)


def line_containing(text: str, needle: str, start: int = 1) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(needle)


# --- normalization -------------------------------------------------------------------------------


def test_project_name_files_and_services(stack: ComposeProject, tmp_path: Path) -> None:
    assert stack.name == "trading_desk"
    assert stack.files == (tmp_path / "Desk Stack" / "compose.yaml",)
    assert list(stack.services) == ["signal-service", "redis", "postgres", "worker"]
    assert stack.warnings == ()


def test_project_name_defaults_to_normalized_directory_name(tmp_path: Path) -> None:
    path = write(tmp_path / "_My.Desk-2", "compose.yaml", "services:\n  a:\n    image: x\n")
    assert load_compose([path], environ={}).name == "mydesk-2"


def test_build_and_image(stack: ComposeProject, tmp_path: Path) -> None:
    svc = stack.services["signal-service"]
    root = (tmp_path / "Desk Stack").resolve()
    assert svc.image == "desk/signal:latest"
    assert svc.build_context == root / "signal"
    assert svc.dockerfile == root / "signal" / "docker" / "Dockerfile.prod"
    assert stack.services["redis"].build_context is None
    assert stack.services["redis"].dockerfile is None


def test_build_string_form_uses_default_dockerfile(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  app:\n    build: ./app\n")
    svc = load_compose([path], environ={}).services["app"]
    assert svc.build_context == (tmp_path / "app").resolve()
    assert svc.dockerfile == (tmp_path / "app" / "Dockerfile").resolve()


def test_command_and_entrypoint_forms(stack: ComposeProject) -> None:
    svc = stack.services["signal-service"]
    assert svc.command == ["python", "-m", "signal_service", "--port", "8080"]
    assert svc.command_shell_form is False
    assert svc.command_text == "python -m signal_service --port 8080"
    assert svc.entrypoint == ["/docker-entrypoint.sh --wait"]
    assert svc.entrypoint_shell_form is True
    assert svc.entrypoint_text == "/docker-entrypoint.sh --wait"
    assert svc.entrypoint_argv == ["/docker-entrypoint.sh", "--wait"]
    redis = stack.services["redis"]
    assert redis.command == ["redis-server --appendonly yes"]
    assert redis.command_argv == ["redis-server", "--appendonly", "yes"]
    assert stack.services["postgres"].command is None
    assert stack.services["postgres"].command_text is None


def test_healthcheck_normalization(stack: ComposeProject) -> None:
    hc = stack.services["signal-service"].healthcheck
    assert hc is not None
    assert hc.test == ("CMD-SHELL", "redis-cli -h redis ping")
    assert hc.command_text == "redis-cli -h redis ping"
    assert (hc.interval, hc.timeout, hc.retries, hc.start_period) == (90.0, 0.5, 3, 3600.0)
    assert hc.disabled is False
    assert hc.line == line_containing(STACK, "healthcheck:")

    redis_hc = stack.services["redis"].healthcheck
    assert redis_hc is not None
    assert redis_hc.test == ("CMD", "redis-cli", "ping")
    assert redis_hc.command_text == "redis-cli ping"
    assert redis_hc.interval is None

    postgres_hc = stack.services["postgres"].healthcheck
    assert postgres_hc is not None
    assert postgres_hc.disabled
    assert postgres_hc.test == ("NONE",)
    worker_hc = stack.services["worker"].healthcheck
    assert worker_hc is not None
    assert worker_hc.disabled
    assert worker_hc.test == ()


def test_healthcheck_cmd_text_quotes_arguments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "compose.yaml",
        """\
        services:
          app:
            image: x
            healthcheck:
              test: ["CMD", "python", "-c", "import sys; sys.exit(0)"]
        """,
    )
    hc = load_compose([path], environ={}).services["app"].healthcheck
    assert hc is not None
    assert hc.command_text == "python -c 'import sys; sys.exit(0)'"


def test_limits_restart_and_security(stack: ComposeProject) -> None:
    svc = stack.services["signal-service"]
    assert svc.memory_limit == 512 * 1024**2
    assert svc.cpu_limit == 0.5
    assert svc.restart == "unless-stopped"
    assert svc.restart_policy == "on-failure"
    assert svc.user == "10001:10001"
    assert (svc.privileged, svc.read_only) == (False, True)
    assert svc.cap_drop == ("ALL",)
    assert svc.cap_add == ("NET_BIND_SERVICE",)
    assert svc.security_opt == ("no-new-privileges:true",)
    assert svc.stop_grace_period == 30.0
    redis = stack.services["redis"]
    assert redis.memory_limit == 256 * 1024**2
    assert redis.cpu_limit == 1.5
    assert redis.restart is None
    assert redis.restart_policy is None
    assert stack.services["postgres"].memory_limit is None


def test_logging_from_yaml_anchor(stack: ComposeProject) -> None:
    svc = stack.services["signal-service"]
    assert svc.logging_driver == "json-file"
    assert svc.logging_options == {"max-size": "10m", "max-file": "3"}
    assert stack.services["redis"].logging_driver is None


def test_depends_on_environment_labels_volumes(stack: ComposeProject, tmp_path: Path) -> None:
    svc = stack.services["signal-service"]
    assert svc.depends_on == {"redis": "service_healthy", "postgres": "service_started"}
    assert stack.services["redis"].depends_on == {"postgres": "service_started"}
    assert svc.environment == {"LOG_LEVEL": "info", "DEBUG": "false", "WORKERS": "4", "UNSET_ME": None}
    assert stack.services["redis"].environment == {"ALLOW_EMPTY_PASSWORD": "yes", "TZ": None}
    root = (tmp_path / "Desk Stack").resolve()
    assert svc.env_file == (root / "signal.env", root / "optional.env")
    assert svc.labels == {"com.desk.team": "signals", "com.desk.tier": ""}
    assert svc.volumes == ("./data:/data:ro", {"type": "tmpfs", "target": "/tmp"})
    assert svc.raw["user"] == "10001:10001"


def test_ports_all_syntaxes(stack: ComposeProject) -> None:
    ports = stack.services["signal-service"].ports
    first = line_containing(STACK, '"127.0.0.1:8080:8080"')
    assert ports == (
        Port("127.0.0.1", "8080", "8080", "tcp", first),
        Port("0.0.0.0", "9090", "9090", "tcp", first + 1),
        Port("0.0.0.0", "8000-8010", "8000-8010", "udp", first + 2),
        Port("::1", "7000", "7000", "tcp", first + 3),
        Port("127.0.0.1", None, "5000", "tcp", first + 4),
        Port("0.0.0.0", None, "6000", "tcp", first + 5),
        Port("10.0.0.5", "8443", "443", "tcp", first + 6, mode="host"),
    )
    assert ports[1].on_all_interfaces
    assert not ports[0].on_all_interfaces
    assert not ports[5].is_published
    assert stack.services["signal-service"].expose == ("9100",)


def test_unquoted_port_pair_is_not_sexagesimal(stack: ComposeProject) -> None:
    # PyYAML's YAML 1.1 default would read 9090:9090 as the base-60 integer 32727000; compose does not.
    assert stack.services["signal-service"].raw["ports"][1] == "9090:9090"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("8080:80", ("0.0.0.0", "8080", "80", "tcp")),
        ("127.0.0.1:8080:80", ("127.0.0.1", "8080", "80", "tcp")),
        ("127.0.0.1::80", ("127.0.0.1", None, "80", "tcp")),
        ("80", ("0.0.0.0", None, "80", "tcp")),
        (80, ("0.0.0.0", None, "80", "tcp")),
        ("8000-8010:8000-8010/udp", ("0.0.0.0", "8000-8010", "8000-8010", "udp")),
        ("[::1]:8080:80", ("::1", "8080", "80", "tcp")),
        ("0.0.0.0:53:53/UDP", ("0.0.0.0", "53", "53", "udp")),
        ({"target": 80}, ("0.0.0.0", None, "80", "tcp")),
        ({"target": 80, "published": "8080", "host_ip": "127.0.0.1"}, ("127.0.0.1", "8080", "80", "tcp")),
    ],
)
def test_parse_port(spec: object, expected: tuple[str, str | None, str, str]) -> None:
    port = parse_port(spec, 7)
    assert (port.host_ip, port.published, port.target, port.protocol) == expected
    assert port.line == 7


@pytest.mark.parametrize(
    "spec", ["abc", "8080:http", "host.example:8080:80", "80/icmp", "70000:80", "[::1:80", {"published": 80}]
)
def test_parse_port_rejects(spec: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - message content checked through InputError below
        parse_port(spec, 1)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0), ("1h2m3s", 3723.0), ("0", 0.0),
     ("1.5s", 1.5), (30, 30.0), ("100us", 0.0001)],
)  # fmt: skip
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "ten seconds", "1x", "", "s", True])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [("512m", 512 * 1024**2), ("1g", 1024**3), ("1GB", 1024**3), ("256MiB", 256 * 1024**2),
     ("100k", 102400), ("1024", 1024), (2048, 2048), ("1.5g", int(1.5 * 1024**3)), ("64 mb", 64 * 1024**2),
     ("10b", 10)],
)  # fmt: skip
def test_parse_memory(text: str | int, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["lots", "1x", "-5m", "", "1 gigabyte"])
def test_parse_memory_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_memory(text)


# --- line numbers --------------------------------------------------------------------------------


def test_line_numbers_and_where(stack: ComposeProject) -> None:
    svc = stack.services["signal-service"]
    service_line = line_containing(STACK, "  signal-service:")
    assert svc.line == service_line
    test_line = line_containing(STACK, "test: redis-cli")
    assert svc.line_of("healthcheck", "test") == test_line
    assert svc.where("healthcheck", "test") == f"Desk Stack/compose.yaml:{test_line}"
    assert svc.line_of("deploy", "resources", "limits", "memory") == line_containing(STACK, "memory: 512m")
    # the deepest key that exists wins; a missing leaf falls back to its parent
    assert svc.line_of("healthcheck", "start_interval") == line_containing(STACK, "healthcheck:")
    assert svc.line_of("no_such_key", "x") == service_line
    assert svc.where() == f"Desk Stack/compose.yaml:{service_line}"
    assert svc.line_of("ports", 1) == line_containing(STACK, "- 9090:9090")
    # keys that came through a YAML anchor point at the anchor's text
    assert svc.line_of("logging", "driver") == line_containing(STACK, "driver: json-file")
    assert stack.where("services", "redis", "image") == (
        f"Desk Stack/compose.yaml:{line_containing(STACK, 'image: redis:7.2')}"
    )


def test_where_without_display_root_uses_given_path(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  a:\n    image: x\n")
    svc = load_compose([path], environ={}).services["a"]
    assert svc.where("image") == f"{path.as_posix()}:3"


# --- interpolation -------------------------------------------------------------------------------


INTERPOLATED = """\
services:
  app:
    image: "registry/${IMAGE_NAME}:${TAG:-dev}"
    user: ${APP_USER-nobody}
    container_name: ${EMPTY-fallback}x${EMPTY:-fallback}
    hostname: ${FROM_DOTENV}
    restart: ${QUOTED}
    environment:
      PRICE: "$$5 and $${NOT_A_VAR}"
      ALT: ${TAG:+tagged}${MISSING:+never}
      NESTED: ${MISSING:-${TAG:-none}}
      BARE: $IMAGE_NAME/$UNDEFINED_THING
      SET_EMPTY: ${EMPTY?must exist}
      OVERRIDDEN: ${SHADOWED}
"""

DOTENV = """\
# comment line
FROM_DOTENV=from-dotenv
export QUOTED="on-failure" # trailing comment
SHADOWED=from-dotenv
SINGLE='a # not a comment'

"""


def test_interpolation_forms_and_dotenv(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", INTERPOLATED)
    write(tmp_path, ".env", DOTENV)
    environ = {"IMAGE_NAME": "signal", "TAG": "1.2", "EMPTY": "", "SHADOWED": "from-environ"}
    project = load_compose([path], environ=environ, display_root=tmp_path)
    svc = project.services["app"]
    assert svc.image == "registry/signal:1.2"
    assert svc.user == "nobody"
    assert svc.container_name == "xfallback"  # "-" keeps a set-but-empty value, ":-" does not
    assert svc.hostname == "from-dotenv"
    assert svc.restart == "on-failure"
    assert svc.environment == {
        "PRICE": "$5 and ${NOT_A_VAR}",
        "ALT": "tagged",
        "NESTED": "1.2",
        "BARE": "signal/",
        "SET_EMPTY": "",
        "OVERRIDDEN": "from-environ",
    }
    bare_line = line_containing(INTERPOLATED, "BARE:")
    assert project.warnings == (
        f"compose.yaml:{bare_line}: services.app.environment.BARE: variable UNDEFINED_THING is not set; "
        "using an empty string",
    )


def test_dotenv_single_quotes_keep_hash(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  a:\n    image: ${SINGLE}\n")
    write(tmp_path, ".env", DOTENV)
    assert load_compose([path], environ={}).services["a"].image == "a # not a comment"


def test_required_variable_error_names_file_line_and_variable(tmp_path: Path) -> None:
    text = "services:\n  app:\n    image: x\n    environment:\n      DB_URL: ${DATABASE_URL:?set DATABASE_URL}\n"
    path = write(tmp_path, "compose.yaml", text)
    with pytest.raises(InputError) as info:
        load_compose([path], environ={"DATABASE_URL": ""}, display_root=tmp_path)
    assert str(info.value) == (
        "compose.yaml:5: services.app.environment.DB_URL: required variable DATABASE_URL is missing a value: "
        "set DATABASE_URL (set DATABASE_URL in the environment or .env)"
    )
    assert info.value.line == 5


def test_required_unset_form_accepts_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  app:\n    image: x${V?need V}\n")
    assert load_compose([path], environ={"V": ""}).services["app"].image == "x"
    with pytest.raises(InputError, match=r"compose.yaml:3: services.app.image: required variable V"):
        load_compose([path], environ={}, display_root=tmp_path)


@pytest.mark.parametrize(
    ("value", "message"),
    [("${UNCLOSED", "unclosed"),
     ("${1BAD}", "invalid variable name"), ("${V/x/y}", "unsupported")],
)  # fmt: skip
def test_bad_interpolation_is_input_error(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, "compose.yaml", f"services:\n  app:\n    image: x\n    command: '{value}'\n")
    with pytest.raises(InputError, match=f"compose.yaml:4: services.app.command: .*{message}"):
        load_compose([path], environ={"V": "1"}, display_root=tmp_path)


def test_lone_dollar_stays_literal_like_compose(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  app:\n    image: x\n    command: 'price $5 or a $ b'\n")
    assert load_compose([path], environ={}).services["app"].command == ["price $5 or a $ b"]


def test_bad_dotenv_line(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  app:\n    image: x\n")
    write(tmp_path, ".env", "GOOD=1\nthis is not an assignment\n")
    with pytest.raises(InputError, match=r"\.env:2: expected KEY=VALUE"):
        load_compose([path], environ={}, display_root=tmp_path)


# --- merging -------------------------------------------------------------------------------------


BASE = """\
services:
  api:
    image: desk/api:1
    ports: ["8080:8080", "9090:9090"]
    environment:
      A: base
      B: base
    healthcheck:
      test: curl -f http://localhost:8080/health
      interval: 30s
    deploy:
      resources:
        limits: {memory: 1g}
  cache:
    image: redis:7
    mem_limit: 128m
"""

OVERRIDE = """\
services:
  api:
    image: desk/api:2
    ports: ["127.0.0.1:8080:8080"]
    environment:
      B: override
      C: override
    healthcheck:
      interval: 10s
  cache:
    mem_limit: !reset null
  extra:
    image: busybox
"""


def test_later_file_overrides_and_merges(tmp_path: Path) -> None:
    base = write(tmp_path, "compose.yaml", BASE)
    override = write(tmp_path, "compose.override.yaml", OVERRIDE)
    project = load_compose([base, override], environ={}, display_root=tmp_path)
    api = project.services["api"]
    assert project.files == (base, override)
    assert api.image == "desk/api:2"
    assert [(p.host_ip, p.published) for p in api.ports] == [("127.0.0.1", "8080")]  # lists replace
    assert api.environment == {"A": "base", "B": "override", "C": "override"}  # mappings merge
    assert api.healthcheck is not None
    assert api.healthcheck.test == ("CMD-SHELL", "curl -f http://localhost:8080/health")
    assert api.healthcheck.interval == 10.0
    assert api.memory_limit == 1024**3
    assert api.file == base
    assert api.line == 2
    assert api.where("image") == "compose.override.yaml:3"
    assert api.where("ports", 0) == "compose.override.yaml:4"
    assert api.where("healthcheck", "test") == "compose.yaml:9"
    assert api.where("healthcheck", "interval") == "compose.override.yaml:9"
    assert api.where("environment", "A") == "compose.yaml:6"
    assert project.services["cache"].memory_limit is None  # !reset removed it
    assert project.services["extra"].file == override
    assert project.services["extra"].where() == "compose.override.yaml:12"


def test_override_tag_replaces_mapping(tmp_path: Path) -> None:
    base = write(tmp_path, "a.yaml", "services:\n  s:\n    image: x\n    environment: {A: '1', B: '2'}\n")
    over = write(tmp_path, "b.yaml", "services:\n  s:\n    environment: !override {C: '3'}\n")
    svc = load_compose([base, over], environ={}).services["s"]
    assert svc.environment == {"C": "3"}


def test_dotenv_is_read_beside_first_file_only(tmp_path: Path) -> None:
    base = write(tmp_path / "base", "compose.yaml", "services:\n  s:\n    image: ${TAG}\n")
    over = write(tmp_path / "other", "compose.yaml", "services:\n  s:\n    user: ${WHO}\n")
    write(tmp_path / "base", ".env", "TAG=from-base\n")
    write(tmp_path / "other", ".env", "WHO=ignored\n")
    project = load_compose([base, over], environ={})
    assert project.services["s"].image == "from-base"
    assert project.services["s"].user == ""
    assert project.project_dir == (tmp_path / "base").resolve()


# --- bad input -----------------------------------------------------------------------------------


def test_yaml_syntax_error_reports_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  app:\n    image: x\n   bad: [unclosed\n")
    with pytest.raises(InputError) as info:
        load_compose([path], environ={}, display_root=tmp_path)
    assert str(info.value).startswith("compose.yaml:4: invalid YAML")


def test_duplicate_key_is_input_error_like_compose(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n  app:\n    image: x\n    image: y\n")
    with pytest.raises(InputError) as info:
        load_compose([path], environ={}, display_root=tmp_path)
    assert str(info.value) == "compose.yaml:4: services.app.image: key 'image' is already defined at line 3; keep one"


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read compose file"):
        load_compose([tmp_path / "nope.yaml"], environ={})


@pytest.mark.parametrize(
    ("body", "line", "field", "hint"),
    [
        ("  app: just-a-string\n", 2, "services.app", "must be a mapping"),
        ("  app:\n", 2, "services.app", "got nothing"),
        ("  app:\n    image: x\n    healthcheck: curl localhost\n", 4, "services.app.healthcheck", "mapping"),
        ("  app:\n    image: x\n    healthcheck:\n      test: [curl, localhost]\n", 5,
         "services.app.healthcheck.test", 'write \\["CMD", '),
        ("  app:\n    image: x\n    ports:\n      - \"80:http\"\n", 5, "services.app.ports[0]",
         "write 'HOST:CONTAINER'"),
        ("  app:\n    image: x\n    ports: \"8080:80\"\n", 4, "services.app.ports", "must be a list"),
        ("  app:\n    image: x\n    healthcheck:\n      test: [CMD, true]\n      interval: soon\n", 6,
         "services.app.healthcheck.interval", "write a duration like '30s'"),
        ("  app:\n    image: x\n    healthcheck:\n      retries: many\n", 5,
         "services.app.healthcheck.retries", "whole number"),
        ("  app:\n    image: x\n    mem_limit: lots\n", 4, "services.app.mem_limit", "write a size like '512m'"),
        ("  app:\n    image: x\n    deploy:\n      resources:\n        limits:\n          memory: 1 gigabyte\n", 7,
         "services.app.deploy.resources.limits.memory", "write a size"),
        ("  app:\n    image: x\n    cpus: half\n", 4, "services.app.cpus", "number of CPUs"),
        ("  app:\n    image: x\n    privileged: maybe\n", 4, "services.app.privileged", "write true or false"),
        ("  app:\n    image: x\n    depends_on: redis\n", 4, "services.app.depends_on", "list of service names"),
        ("  app:\n    image: x\n    cap_drop: {ALL: 1}\n", 4, "services.app.cap_drop", "list of strings"),
        ("  app:\n    image: x\n    deploy: fast\n", 4, "services.app.deploy", "must be a mapping"),
        ("  app:\n    image: x\n    environment: 5\n", 4, "services.app.environment", "KEY=VALUE"),
    ],
)  # fmt: skip
def test_bad_shapes_name_file_line_field_and_fix(tmp_path: Path, body: str, line: int, field: str, hint: str) -> None:
    path = write(tmp_path, "compose.yaml", "services:\n" + body)
    with pytest.raises(InputError) as info:
        load_compose([path], environ={}, display_root=tmp_path)
    assert str(info.value).startswith(f"compose.yaml:{line}: {field}: ")
    assert info.value.field == field
    assert re.search(hint, str(info.value)), str(info.value)


def test_top_level_and_services_shapes(tmp_path: Path) -> None:
    path = write(tmp_path, "compose.yaml", "- a\n- b\n")
    with pytest.raises(InputError, match=r"compose\.yaml:1: top level must be a mapping"):
        load_compose([path], environ={}, display_root=tmp_path)
    path = write(tmp_path, "compose.yaml", "services: [a, b]\n")
    with pytest.raises(InputError, match=r"compose\.yaml:1: services: must be a mapping"):
        load_compose([path], environ={}, display_root=tmp_path)
    empty = write(tmp_path, "empty.yaml", "")
    assert load_compose([empty], environ={}).services == {}


def test_no_files_is_input_error() -> None:
    with pytest.raises(InputError, match="no compose file given"):
        load_compose([], environ={})


def test_docker_compose_config_without_docker_returns_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pytest_readiness.compose.shutil.which", lambda _name: None)
    assert docker_compose_config([tmp_path / "compose.yaml"]) is None
