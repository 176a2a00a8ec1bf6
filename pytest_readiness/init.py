"""``python -m pytest_readiness init``: from an existing compose project to a services.yaml in one command.

It finds the compose files the way ``docker compose`` does, resolves the project with Compose itself
(``include``, ``extends``, the override file, profiles, ``.env``), and writes one row per service with
where to look: build context, lockfiles, tests, config; and for the stack: Prometheus config, alert
rules and their tests, dashboards, runbooks, a release manifest, CI workflows. Every guess is commented
in the file (``# kind guessed from image postgres:16``); nothing it writes decides a verdict (the checks
read the artifacts themselves).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import lockfiles
from .artifacts import ArtifactError, Artifacts
from .compose import ComposeError, ComposeProject, ComposeService, NoComposeFile, discover, load_project, split_profiles
from .dockerfile import Dockerfile, read_dockerfile
from .errors import InputError
from .files import write_atomic
from .images import kind_of_image
from .secrets import secret_named

ONE_SHOT = re.compile(
    r"\b(migrate|migrations?|db:migrate|db:setup|alembic|flyway|liquibase|seed|seeder|fixtures|loaddata|"
    r"collectstatic|createbuckets?|mc (mb|alias)|init|setup|bootstrap|provision|wait-for)\b",
    re.IGNORECASE,
)
WORKER = re.compile(
    r"\b(celery\b.*\b(worker|beat)|sidekiq|rq worker|dramatiq|huey|arq)\b|celery-?(worker|beat)\b|"
    r"(consumer|worker|scheduler)\b",  # no leading boundary: celeryworker, /start-celeryworker; not --workers
    re.I,
)
TEST_DIRS = ("tests", "test", "__tests__", "spec")
CONFIG_NAMES = re.compile(r"^(config|settings|application|app)[\w.-]*\.(ya?ml|toml|ini|conf|json)$", re.IGNORECASE)
SKIP_DIRS = {"node_modules", ".venv", "venv", ".git", "__pycache__", "dist", "build", "vendor", "site-packages"}


class InitError(Exception):
    """What stops init, as one line (``FILE:LINE: what is wrong``); exit status 2."""


@dataclass
class Row:
    """One services.yaml row to write, with the comments that explain each guess."""

    name: str
    kind: str
    why: str
    fields: dict[str, object] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def _dockerfile(service: ComposeService, door: Artifacts | None) -> Dockerfile | None:
    if door is None or service.dockerfile is None or service.build_context is None:
        return None
    try:
        return read_dockerfile(door, service.dockerfile, service.build_context, service.build_target)
    except (InputError, ArtifactError):
        return None


def base_image(service: ComposeService, door: Artifacts | None) -> str | None:
    """The image the judged stage of the service's Dockerfile is built FROM (None when unreadable)."""
    dockerfile = _dockerfile(service, door)
    if dockerfile is None:
        return None
    first = dockerfile.final[0] if dockerfile.final else None
    words = [w for w in first.value.split() if not w.startswith("--")] if first else []
    return words[0] if words else None


def guess_kind(service: ComposeService, door: Artifacts | None = None) -> tuple[str, str]:
    """(kind, why) for one compose service, from what it is."""
    command = " ".join([*(service.entrypoint or []), *(service.command or [])])
    restart = (service.restart or "").lower()
    written_restart = service.written.get("restart")
    condition = (service.restart_policy or "").lower()
    stops = restart in ("no", "") and condition in ("", "none")
    if command and stops and (str(written_restart).lower() == "no" or condition == "none" or ONE_SHOT.search(command)):
        return "job", f"kind: restart: {written_restart!r} and command '{command[:60]}' runs once and exits"
    if service.builds:
        context = service.written.get("build")
        shown = (
            context
            if isinstance(context, str)
            else (context or {}).get("context", ".")
            if isinstance(context, dict)
            else "."
        )
        if WORKER.search(command) or WORKER.search(service.name):
            return (
                "worker",
                f"kind: the stack builds it (build: {shown}) and it consumes a queue ({command[:40] or service.name})",
            )
        base = base_image(service, door)
        known = kind_of_image(base) if base else None
        if known:
            return known[0], f"kind: built FROM {base} ({known[1]}), the upstream image with the stack's config"
        return "service", f"kind: the stack builds it (build: {shown}): own code"
    if service.image:
        known = kind_of_image(service.image)
        if known:
            return known[0], f"kind guessed from image {service.image} ({known[1]})"
        return "service", f"kind: third-party image {service.image} (not built here, so not own code)"
    return "service", "kind: no image and no build: guessed service"


def _files(root: Path, patterns: Sequence[str], limit: int = 50) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if any(re.search(p, rel, re.IGNORECASE) for p in patterns):
                found.append(path)
                if len(found) >= limit:
                    return found
    return found


def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


class Finder:
    """Where the evidence of a project is: discovered from its files, relative to the stack root."""

    def __init__(self, root: Path, door: Artifacts, project: ComposeProject) -> None:
        self.root = root
        self.door = door
        self.project = project

    def own_code(self, service: ComposeService, row: Row) -> None:
        context = service.build_context
        if context is None or not self.door.is_dir(context):
            return
        row.fields["code"] = _rel(context, self.root)
        found = lockfiles.discover(self.door, context)
        dockerfile = _dockerfile(service, self.door)
        found = lockfiles.installed_by_image(found, dockerfile.requirement_files() if dockerfile else None)
        locks = [_rel(p, self.root) for p in found]
        if locks:
            row.fields["lockfiles"] = locks
            row.notes["lockfiles"] = "found in the build context"
        tests = next((context / d for d in TEST_DIRS if self.door.is_dir(context / d)), None)
        if tests is not None:
            row.fields["tests"] = _rel(tests, self.root)
            row.notes["tests"] = "the tests folder of the build context"
        configs = [
            p
            for p in _files(context, [r"(^|/)[^/]+$"], 400)
            if CONFIG_NAMES.match(p.name) and not any(part in SKIP_DIRS for part in p.parts)
        ]
        if configs:
            row.fields["config"] = [_rel(p, self.root) for p in configs[:5]]
            row.notes["config"] = "config files of the build context (searched for retry settings)"

    def stack_fields(self) -> tuple[dict[str, object], dict[str, str]]:
        fields: dict[str, object] = {}
        notes: dict[str, str] = {}
        prom = self._prometheus_config()
        if prom is not None:
            fields["prometheus_config"] = _rel(prom, self.root)
            rules = self._rule_files(prom)
            if rules:
                fields["alert_rules"] = [_rel(p, self.root) for p in rules]
                notes["alert_rules"] = f"rule_files of {_rel(prom, self.root)} and rule files found"
        if "alert_rules" not in fields:
            rules = [p for p in _files(self.root, [r"(rules|alerts?)[^/]*\.ya?ml$"]) if self._is_rule_file(p)]
            if rules:
                fields["alert_rules"] = [_rel(p, self.root) for p in rules]
        tests = [p for p in _files(self.root, [r"\.ya?ml$"], 200) if self._is_rule_test(p)]
        if tests:
            fields["alert_tests"] = [_rel(p, self.root) for p in tests]
        boards = sorted({p.parent for p in _files(self.root, [r"dashboards?/.*\.json$", r"grafana/.*\.json$"])})
        if boards:
            fields["dashboards"] = [_rel(p, self.root) for p in boards[:5]]
        runbook = _files(self.root, [r"(^|/)docs/.*runbook[^/]*\.md$", r"(^|/)RUNBOOK\.md$", r"runbooks?\.md$"], 1)
        if runbook:
            fields["runbooks"] = _rel(runbook[0], self.root)
        manifest = _files(
            self.root,
            [
                r"(^|/)release[_-]?manifest[^/]*\.(md|ya?ml|json|txt)$",
                r"(^|/)docs/.*release[^/]*\.md$",
                r"(^|/)RELEASES?\.md$",
            ],
            1,
        )
        if manifest:
            fields["release_manifest"] = _rel(manifest[0], self.root)
            notes["release_manifest"] = "images are judged against it"
        ci = _files(self.root, [r"^\.github/workflows/.*\.ya?ml$", r"^\.gitlab-ci\.ya?ml$"], 10)
        ci += [p for p in [self.root / ".gitlab-ci.yml"] if p.is_file() and p not in ci]
        for wf in (
            sorted((self.root / ".github" / "workflows").glob("*.y*ml")) if (self.root / ".github").is_dir() else []
        ):
            if wf not in ci:
                ci.append(wf)
        if ci:
            fields["ci"] = [_rel(p, self.root) for p in ci]
        return fields, notes

    def _prometheus_config(self) -> Path | None:
        for service in self.project.services.values():
            for mount in service.volumes:
                if mount.type == "bind" and mount.target.endswith("prometheus.yml") and Path(mount.source).is_file():
                    return Path(mount.source)
                if (
                    mount.type == "bind"
                    and mount.target.rstrip("/") in ("/etc/prometheus",)
                    and Path(mount.source).is_dir()
                ):
                    candidate = Path(mount.source) / "prometheus.yml"
                    if candidate.is_file():
                        return candidate
        found = _files(self.root, [r"(^|/)prometheus\.ya?ml$"], 1)
        return found[0] if found else None

    def _rule_files(self, prom: Path) -> list[Path]:
        try:
            data = self.door.yaml(prom).data
        except Exception:
            return []
        out: list[Path] = []
        for pattern in (data or {}).get("rule_files") or [] if isinstance(data, dict) else []:
            pattern = str(pattern)
            base = prom.parent
            matches = sorted(base.glob(pattern)) if not os.path.isabs(pattern) else []
            if not matches and os.path.isabs(pattern):
                # a container path (/etc/prometheus/rules.yml): find the file of that name beside the config
                matches = sorted(base.rglob(Path(pattern).name))
            out.extend(p for p in matches if self._is_rule_file(p) and p not in out)
        return out

    def _is_rule_file(self, path: Path) -> bool:
        try:
            data = self.door.yaml(self.door.resolve(path)).data
        except Exception:
            return False
        return isinstance(data, dict) and isinstance(data.get("groups"), list)

    def _is_rule_test(self, path: Path) -> bool:
        try:
            data = self.door.yaml(self.door.resolve(path)).data
        except Exception:
            return False
        return isinstance(data, dict) and "rule_files" in data and "tests" in data


def build_rows(project: ComposeProject, finder: Finder, owner: str) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    skipped: list[str] = []
    for name in sorted(project.services):
        service = project.services[name]
        if service.replicas == 0:
            skipped.append(f"{name}: deploy.replicas 0 (runs no container)")
            continue
        kind, why = guess_kind(service, finder.door)
        row = Row(name, kind, why)
        row.fields["compose_services"] = [name]
        if service.builds or kind in ("service", "worker", "job"):
            finder.own_code(service, row) if service.builds else None
        rows.append(row)
    for name, marks in sorted(project.inactive.items()):
        profiles = marks.raw.get("profiles")
        skipped.append(
            f"{name}: in profile {', '.join(map(str, profiles)) if isinstance(profiles, list) else profiles}, "
            "not active"
        )
    return rows, skipped


def _flow(value: object) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text[:-4].strip() if text.endswith("\n...") else text.removesuffix("...").strip()


def render(
    project: ComposeProject,
    rows: list[Row],
    skipped: list[str],
    *,
    root: str,
    compose: list[str],
    target: str,
    stack_fields: dict[str, object],
    stack_notes: dict[str, str],
    secrets: list[str],
    how: str,
    profiles: Sequence[str],
) -> str:
    lines = [
        "# services.yaml written by `python -m pytest_readiness init`: where to look, never what the answer is.",
        f"# Compose files {how}; every guess below is commented. Edit freely, then run: pytest --readiness",
        "version: 1",
        "stack:",
        f"  name: {_flow(project.name or 'stack')}",
        f"  root: {_flow(root)}",
        f"  compose: {_flow(compose)}",
        f"  compose_project: {_flow(project.name)}  # the project name Compose gives it (labels on running containers)",
    ]
    if profiles:
        lines.append(f"  # profiles active when init ran: {', '.join(profiles)} (pass --readiness-profile to the run)")
    for key, value in stack_fields.items():
        note = f"  # {stack_notes[key]}" if key in stack_notes else ""
        lines.append(f"  {key}: {_flow(value)}{note}")
    if secrets:
        lines.append(f"  secrets: {_flow(secrets)}  # variables whose names say secret: redacted from every output")
    lines.append("services:")
    for row in rows:
        lines.append(f"  - name: {_flow(row.name)}")
        lines.append(f"    kind: {row.kind}  # {' '.join(row.why.split())}")
        lines.append(f"    target: {target}")
        for key, value in row.fields.items():
            note = f"  # {' '.join(row.notes[key].split())}" if key in row.notes else ""
            lines.append(f"    {key}: {_flow(value)}{note}")
    for line in skipped:
        lines.append(f"  # no row for {' '.join(line.split())}")
    return "\n".join(lines) + "\n"


def run(argv: Sequence[str] | None = None, cwd: Path | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pytest-readiness init", description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", "--file", action="append", default=[], metavar="FILE", help="compose file (repeatable)")
    parser.add_argument("--target", default="L1", choices=("L1", "L2", "L3"), help="target level of every row")
    parser.add_argument(
        "--output", default="services.yaml", metavar="PATH", help="where to write (default services.yaml)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing services.yaml")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME", help="compose profile to activate")
    args = parser.parse_args(argv)
    here = (cwd or Path.cwd()).resolve()
    output = (here / args.output).resolve()
    if output.exists() and not args.force:
        print(f"{args.output}: already exists; pass --force to overwrite it", file=sys.stderr)
        return 1
    try:
        found = discover(here, args.file)
    except NoComposeFile as exc:
        print(f"{here}: {exc}", file=sys.stderr)
        return 2
    project_dir = found.project_dir
    profiles = tuple(args.profile) or found.profiles or split_profiles(os.environ.get("COMPOSE_PROFILES"))
    door = Artifacts(project_dir, show=lambda p: _shown(Path(p), here))
    try:
        project = load_project(door, list(found.files), profiles=profiles)
    except ComposeError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finder = Finder(project_dir, door, project)
    rows, skipped = build_rows(project, finder, "")
    stack_fields, stack_notes = finder.stack_fields()
    secrets = sorted({k for s in project.services.values() for k in s.environment if secret_named(k)})
    text = render(
        project, rows, skipped,
        root=_rel(project_dir, output.parent),
        compose=[_rel(f, project_dir) for f in found.files],
        target=args.target, stack_fields=stack_fields, stack_notes=stack_notes, secrets=secrets,
        how=found.how if found.how in ("-f", "COMPOSE_FILE") else "found as docker compose finds them",
        profiles=profiles,
    )  # fmt: skip
    write_atomic(output, text)
    kinds = ", ".join(f"{r.name}: {r.kind}" for r in rows)
    print(f"wrote {args.output}: {len(rows)} service(s) ({kinds})")
    for warning in project.warnings:
        print(f"warning: {warning}")
    print("next: pytest --readiness   (add --readiness-offline without a running stack)")
    return 0


def _shown(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return str(path)
