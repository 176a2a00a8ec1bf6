"""services.yaml loading: schema validation with file:line errors, typed model, resolved paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.config import load_config
from pytest_readiness.errors import ConfigError

GOOD = """\
version: 1
stack:
  name: desk
  root: stack
  default_owner: Desk Ops
criteria:
  build.lockfile-pinned: {level: L3}
services:
  - name: api
    kind: service
    target: L2
    compose_services: [api]
    reports:
      - {path: reports/a.json, max_age: 10m, timestamp: generated_at, status: {field: status, pass: [pass]}}
  - name: db
    kind: datastore
    target: L1
    owner: DBA team
slos:
  - {domain: API freshness, service: api, evidence: reports/a.json, max_age: 10m, alert: ApiStale}
waivers:
  - {service: db, criterion: data.backup-restore, reason: drill booked, owner: lead, expires: 2026-03-10}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "stack").mkdir(exist_ok=True)
    path = tmp_path / "services.yaml"
    path.write_text(text)
    return path


def test_good_config_is_typed_and_resolved(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.name == "desk"
    assert cfg.root == (tmp_path / "stack").resolve()
    api, db = cfg.services
    assert (api.name, api.kind, api.target, api.owner) == ("api", "service", "L2", "Desk Ops")
    assert db.owner == "DBA team"
    assert db.stateful
    assert not api.stateful
    assert api.compose_services == ("api",)
    assert api.where.endswith("services.yaml:9")
    assert cfg.level_overrides == {"build.lockfile-pinned": "L3"}
    assert cfg.slos[0].evidence.max_age is not None
    assert cfg.slos[0].evidence.max_age.total_seconds() == 600
    assert str(cfg.waivers[0].expires) == "2026-03-10"
    assert cfg.resolve("reports/a.json") == (tmp_path / "stack" / "reports" / "a.json").resolve()


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("    target: L2\n", "    target: L5\n", 11, "services[0].target: 'L5' is not one of L0, L1, L2, L3"),
        ("    kind: datastore\n", "    kind: database\n", 16, "services[1].kind: 'database' is not one of"),
        ("max_age: 10m, timestamp", "max_age: ten minutes, timestamp", 14, "is not a duration"),
        ("    owner: DBA team\n", "    owner: DBA team\n    colour: red\n", 19, "unknown field 'colour'"),
        ("expires: 2026-03-10", "expires: next week", 22, "waivers[0].expires"),
        ("  - {service: db, criterion", "  - {service: dbx, criterion", 22, "'dbx' is not a service declared"),
        ("service: api, evidence", "service: nope, evidence", 20, "slos[0].service: 'nope' is not a service"),
        ("  - name: db\n", "  - name: api\n", 15, "duplicate service name 'api'"),
        ("criterion: data.backup-restore", "criterion: backup", 22, "waivers[0].criterion"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, old: str, new: str, line: int, expected: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert text.startswith(f"{path}:{line}: ") or f"services.yaml:{line}: " in text, text
    assert expected in text, text
    assert "\n" not in text


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    target: L1\n", "", 1))
    with pytest.raises(ConfigError, match=r"services.yaml:15: services\[1\]: 'target' is a required property; add it"):
        load_config(path)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  name: desk\n", "  name: [desk\n", 1))
    with pytest.raises(ConfigError, match=r"services.yaml:\d+: invalid YAML"):
        load_config(path)


def test_missing_file_and_missing_root(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "services.yaml")
    path = write(tmp_path, GOOD.replace("root: stack", "root: nowhere"))
    with pytest.raises(ConfigError, match=r"services.yaml:4: stack.root: folder 'nowhere' does not exist"):
        load_config(path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="None is not a mapping"):
        load_config(write(tmp_path, ""))


def test_a_compose_entry_that_is_a_folder_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "services.yaml"
    path.write_text(
        "version: 1\nstack: {name: x, root: ., compose: [sub]}\nservices:\n  - {name: a, kind: service, target: L1}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == 2
    assert "'sub' is a folder" in str(info.value)
