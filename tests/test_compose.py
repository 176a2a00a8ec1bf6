"""The compose package: files found as Compose finds them, the model from Compose's own resolver,
values located at the file and line they were written, and bad projects as one located line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_readiness.artifacts import Artifacts
from pytest_readiness.compose import (
    ComposeError,
    ComposeProject,
    NoComposeFile,
    discover,
    load_project,
    parse_duration,
    parse_memory,
)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def load(root: Path, files: dict[str, str], names: list[str] | None = None, **kwargs: object) -> ComposeProject:
    write(root, files)
    door = Artifacts(root, show=lambda p: Path(p).resolve().relative_to(root.resolve()).as_posix())
    found = discover(root, names or [], environ={})
    return load_project(door, list(found.files), environ={}, **kwargs)  # type: ignore[arg-type]


# -- finding the files ---------------------------------------------------------------------------


def test_default_file_and_override_are_found_in_compose_order(tmp_path: Path) -> None:
    write(tmp_path, {"docker-compose.yml": "services: {}\n", "compose.yaml": "services: {}\n",
                     "compose.override.yaml": "services: {}\n"})  # fmt: skip
    found = discover(tmp_path, environ={})
    assert [f.name for f in found.files] == ["compose.yaml", "compose.override.yaml"]


def test_compose_file_variable_and_f_flags_win(tmp_path: Path) -> None:
    write(tmp_path, {"a.yml": "services: {}\n", "b.yml": "services: {}\n", "compose.yaml": "services: {}\n"})
    assert [f.name for f in discover(tmp_path, environ={"COMPOSE_FILE": "a.yml:b.yml"}).files] == ["a.yml", "b.yml"]
    assert [f.name for f in discover(tmp_path, ["b.yml"], environ={"COMPOSE_FILE": "a.yml"}).files] == ["b.yml"]
    write(tmp_path, {".env": "COMPOSE_FILE=b.yml\nCOMPOSE_PROFILES=debug,ops\n"})
    found = discover(tmp_path, environ={})
    assert [f.name for f in found.files] == ["b.yml"]
    assert found.profiles == ("debug", "ops")


def test_a_parent_folder_is_searched_and_nothing_found_says_where(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yml": "services: {}\n", "sub/deeper/x.txt": ""})
    assert discover(tmp_path / "sub" / "deeper", environ={}).files == (tmp_path / "compose.yml",)
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "compose.yml").unlink()
    with pytest.raises(NoComposeFile, match=r"looked for compose\.yaml, compose\.yml"):
        discover(empty, environ={})


# -- the model and where each value was written ----------------------------------------------------


def test_override_extends_and_include_are_merged_and_located(tmp_path: Path) -> None:
    project = load(tmp_path, {
        "compose.yaml": """
            name: shop
            include:
              - db/compose.yaml
            services:
              web:
                image: shop/web:1.0.0
                build: ./web
              worker:
                extends: {file: common.yaml, service: hardened}
                image: shop/worker:1.0.0
              beat:
                extends: worker
        """,
        "compose.override.yaml": """
            services:
              web:
                deploy:
                  resources:
                    limits: {cpus: "1.0", memory: 512M}
        """,
        "common.yaml": """
            services:
              hardened:
                restart: unless-stopped
                mem_limit: 256m
        """,
        "db/compose.yaml": """
            services:
              postgres:
                image: postgres:16.4
        """,
        "web/Dockerfile": "FROM python:3.12\n",
    })  # fmt: skip
    assert project.name == "shop"
    assert set(project.services) == {"web", "worker", "beat", "postgres"}
    web, worker, beat, postgres = (project.services[n] for n in ("web", "worker", "beat", "postgres"))
    assert (web.memory_limit, web.cpu_limit) == (512 * 1024**2, 1.0)
    assert web.where("deploy", "resources", "limits") == "compose.override.yaml:5"
    assert worker.restart == "unless-stopped"
    assert worker.where("restart") == "common.yaml:3"
    assert worker.memory_limit == 256 * 1024**2
    assert beat.restart == "unless-stopped"  # extends a service that extends another file
    assert postgres.image == "postgres:16.4"
    assert postgres.where() == "db/compose.yaml:2"
    assert web.builds
    assert not postgres.builds
    assert web.dockerfile == (tmp_path / "web" / "Dockerfile").resolve()


def test_profiles_leave_services_out_and_say_so(tmp_path: Path) -> None:
    files = {"compose.yaml": """
        services:
          app: {image: "a:1.0"}
          debug-shell: {image: "busybox:1.36.1", profiles: [debug]}
    """}  # fmt: skip
    project = load(tmp_path, files)
    assert set(project.services) == {"app"}
    assert set(project.inactive) == {"debug-shell"}
    assert set(load(tmp_path, files, profiles=["debug"]).services) == {"app", "debug-shell"}


def test_dotenv_interpolation_env_file_and_escaped_dollars(tmp_path: Path) -> None:
    project = load(tmp_path, {
        "compose.yaml": """
            services:
              app:
                image: "acme/app:${TAG:-1.0.0}"
                env_file: app.env
                ports: ["${BIND}:8000:8000"]
                environment:
                  LITERAL: "p$$ss"
                healthcheck:
                  test: ["CMD-SHELL", "test -n \\"$$(find /x -mmin -2)\\""]
        """,
        ".env": "TAG=2.3.4\n",
        "app.env": "# retries\nDB_RETRY_ATTEMPTS=10\n",
    })  # fmt: skip
    app = project.services["app"]
    assert app.image == "acme/app:2.3.4"
    assert app.environment["DB_RETRY_ATTEMPTS"] == "10"
    assert app.env_location("DB_RETRY_ATTEMPTS") == "app.env:2"
    assert app.environment["LITERAL"] == "p$ss"  # Compose prints $$; the container gets $
    assert app.healthcheck is not None
    assert app.healthcheck.test[1] == 'test -n "$(find /x -mmin -2)"'
    assert project.warnings == ('compose.yaml:5: The "BIND" variable is not set. Defaulting to a blank string.',)


def test_ports_are_published_as_docker_publishes_them(tmp_path: Path) -> None:
    project = load(tmp_path, {"compose.yaml": """
        services:
          app:
            image: a:1.0
            ports:
              - "3000"
              - "127.0.0.1:8080:80"
              - target: 9000
                published: "9000"
              - "[::1]:7000:7000"
    """})  # fmt: skip
    ports = {p.target: p for p in project.services["app"].ports}
    assert ports["3000"].on_all_interfaces
    assert ports["3000"].published is None
    assert ports["3000"].where == "compose.yaml:5"
    assert not ports["80"].on_all_interfaces
    assert ports["80"].where == "compose.yaml:6"
    assert ports["9000"].on_all_interfaces
    assert ports["9000"].where == "compose.yaml:7"
    assert not ports["7000"].on_all_interfaces


def test_anchors_and_merge_keys_cite_the_anchor(tmp_path: Path) -> None:
    project = load(tmp_path, {"compose.yaml": """
        x-hardened: &hardened
          restart: unless-stopped
          read_only: true
        services:
          app:
            <<: *hardened
            image: a:1.0
    """})  # fmt: skip
    app = project.services["app"]
    assert app.restart == "unless-stopped"
    assert app.read_only
    assert app.where("restart") == "compose.yaml:2"


def test_command_is_the_argv_docker_runs_and_limits_come_in_every_spelling(tmp_path: Path) -> None:
    project = load(tmp_path, {"compose.yaml": """
        services:
          app:
            image: a:1.0
            command: pip install x && python -m app
            mem_limit: 1g
            cpus: 0.5
            pids_limit: 64
            depends_on: [db]
          db:
            image: postgres:16.4
            deploy: {resources: {limits: {memory: 64M, cpus: "0.25", pids: 32}}}
    """})  # fmt: skip
    app, db = project.services["app"], project.services["db"]
    assert app.command == ["pip", "install", "x"]  # Compose's shell-words split stops at &&: Docker runs only this
    assert (app.memory_limit, app.cpu_limit, app.pids_limit) == (1024**3, 0.5, 64)
    assert (db.memory_limit, db.cpu_limit, db.pids_limit) == (64 * 1024**2, 0.25, 32)
    assert app.depends_on == {"db": "service_started"}
    assert app.depends_on_written_as_list


# -- bad projects: one located line -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("services:\n  api:\n    image: a\n    environment:\n      TOKEN: ${API_TOKEN:?set API_TOKEN}\n",
         "compose.yaml:5", "required variable API_TOKEN is missing a value"),
        ("services:\n  api:\n    image: a\n    image: b\n", "compose.yaml:4", "duplicate key 'image'"),
        ("services:\n  api:\n   image: [\n", "compose.yaml:", "invalid YAML"),
        ("services:\n  api:\n    image: a\n    env_file: missing.env\n", "compose.yaml:4", "missing.env"),
        ("services:\n  api:\n    image: a\n    healthcheck: {interval: 10x}\n", "compose.yaml:4", "10x"),
        ("services:\n  api:\n    image: a\n    depends_on: [nope]\n", "compose.yaml:2", "nope"),
    ],
)  # fmt: skip
def test_a_bad_project_is_one_line_naming_file_and_line(tmp_path: Path, text: str, where: str, words: str) -> None:
    with pytest.raises(ComposeError) as raised:
        load(tmp_path, {"compose.yaml": text})
    line = str(raised.value)
    assert line.startswith(where), line
    assert words in line, line
    assert "\n" not in line
    assert str(tmp_path) not in line


def test_a_compose_file_outside_the_root_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {"outside.yaml": "services: {}\n", "root/x": ""})
    door = Artifacts(tmp_path / "root", show=str)
    with pytest.raises(ComposeError, match="resolves outside the stack root"):
        load_project(door, [tmp_path / "outside.yaml"], environ={})


# -- value parsers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0), (10, 10.0), ("0", 0.0)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "size"), [("512m", 512 * 1024**2), ("1g", 1024**3), ("256MiB", 256 * 1024**2),
                                            ("134217728", 134217728), (100, 100)])  # fmt: skip
def test_sizes(text: object, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize("bad", ["10x", "", True])
def test_bad_values_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match=r"duration|expected"):
        parse_duration(bad)
