"""Unit tests of the build criteria (lockfiles, installs at start, versioned images) on tiny stacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.checks import build
from pytest_readiness.results import Outcome, Scope, Verdict
from tests.stacks import make_stack, service

SERVICES = """
version: 1
stack:
  name: t
  root: stack
  compose: [compose.yml]
  release_manifest: manifest.md
services:
  - name: app
    kind: service
    compose_services: [app]
    target: L2
    code: app
    lockfiles: [{lockfile}]
  - name: cache
    kind: datastore
    compose_services: [cache]
    target: L2
  - name: gate
    kind: gate
    target: L2
    code: gates
  - name: tool
    kind: worker
    target: L2
    compose_services: [app]
"""

COMPOSE = """
services:
  app:
    image: {image}
    build: ./app
    {extra}
  cache:
    image: redis:7.2.4-alpine
"""

MANIFEST = """
# Release 2026-02-21

| Component | Image | Digest |
|---|---|---|
| app | `acme/app:1.2.0` | sha256:abc |
| cache | `redis:7.2.4-alpine` | upstream |
"""

DOCKERFILE = """
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt && apt-get update && apt-get install -y curl
COPY entrypoint.sh /app/
COPY app/ ./app/
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["python", "-m", "app"]
"""

CLEAN_ENTRY = """
#!/bin/sh
set -eu
echo "never pip install at start"
exec python -m app "$@"
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Evidence paths are shown relative to the working directory: work inside tmp_path."""
    monkeypatch.chdir(tmp_path)


def stack_files(
    lock_text: str = "redis==5.2.1\n",
    lockfile: str = "app/requirements.txt",
    *,
    image: str = "acme/app:1.2.0",
    extra: str = "",
    entry: str = CLEAN_ENTRY,
    dockerfile: str = DOCKERFILE,
    more: dict[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    files = {
        "compose.yml": COMPOSE.format(image=image, extra=extra),
        "manifest.md": MANIFEST,
        "app/Dockerfile": dockerfile,
        "app/entrypoint.sh": entry,
        lockfile: lock_text,
        **(more or {}),
    }
    return SERVICES.format(lockfile=lockfile), files


def run(tmp_path: Path, check: str, name: str = "app", **kwargs: object) -> Verdict:
    services_yaml, files = stack_files(**kwargs)  # type: ignore[arg-type]
    stack = make_stack(tmp_path, services_yaml, files)
    result: Verdict = getattr(build, check)(service(stack, name))
    return result


# -- build.lockfile-pinned ------------------------------------------------------------------------


def test_pinned_lockfile_passes_and_follows_includes(tmp_path: Path) -> None:
    lock = "# comment\n-r base.txt\nredis==5.2.1 \\\n    --hash=sha256:aaa\nPyYAML===6.0.2 ; python_version >= '3.8'\n"
    verdict = run(tmp_path, "lockfile_pinned", lock_text=lock, more={"app/base.txt": "prometheus-client==0.21.1\n"})
    assert verdict.outcome is Outcome.PASSED, verdict.reason
    assert "3 dependencies" in verdict.reason
    assert any("includes" in e.detail for e in verdict.evidence)


def test_unpinned_entries_fail_with_every_line(tmp_path: Path) -> None:
    lock = "redis>=5.0\nprometheus-client\nnumpy>=1.26,<2\nyaml-lib==1.*\nok==1.0\nhttps://x.invalid/pkg-1.0.whl\n"
    verdict = run(tmp_path, "lockfile_pinned", lock_text=lock)
    assert verdict.outcome is Outcome.FAILED
    locations = [e.location for e in verdict.evidence]
    assert locations == [f"stack/app/requirements.txt:{n}" for n in (1, 2, 3, 4, 6)]
    assert "5 unpinned dependencies" in verdict.reason
    assert "redis>=5.0 (stack/app/requirements.txt:1)" in verdict.reason
    details = " ".join(e.detail for e in verdict.evidence)
    assert "bare name" in details
    assert "without --hash" in details


def test_constraints_file_pins_bare_names(tmp_path: Path) -> None:
    verdict = run(
        tmp_path,
        "lockfile_pinned",
        lock_text="-c constraints.txt\nredis\n",
        more={"app/constraints.txt": "redis==5.2.1\n"},
    )
    assert verdict.outcome is Outcome.PASSED, verdict.reason


def test_url_with_hash_and_vcs_commit_are_pinned(tmp_path: Path) -> None:
    lock = (
        "pkg @ https://x.invalid/pkg-1.0.whl --hash=sha256:abc\n"
        "lib @ git+https://x.invalid/lib.git@0123456789abcdef0123456789abcdef01234567\n"
    )
    assert run(tmp_path, "lockfile_pinned", lock_text=lock).outcome is Outcome.PASSED


def test_invalid_requirement_fails_with_file_and_line(tmp_path: Path) -> None:
    verdict = run(tmp_path, "lockfile_pinned", lock_text="redis==5.2.1\nthis is ==not valid\n")
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason.startswith("stack/app/requirements.txt:2:")


def test_missing_lockfile_fails_with_path(tmp_path: Path) -> None:
    services_yaml, files = stack_files()
    del files["app/requirements.txt"]
    verdict = build.lockfile_pinned(service(make_stack(tmp_path, services_yaml, files), "app"))
    assert verdict.outcome is Outcome.FAILED
    assert "stack/app/requirements.txt" in verdict.reason
    assert "does not exist" in verdict.reason


def test_own_code_without_lockfile_fails_and_datastore_is_not_applicable(tmp_path: Path) -> None:
    services_yaml, files = stack_files(lockfile="locks/requirements.txt")  # nothing in the build context app/
    stack = make_stack(tmp_path, services_yaml, files)
    verdict = build.lockfile_pinned(service(stack, "tool"))
    assert verdict.outcome is Outcome.FAILED
    assert "holds no lockfile or requirements file" in verdict.reason
    assert verdict.fix is not None
    assert verdict.fix.startswith("stack/app: add a lockfile")
    cache = build.lockfile_pinned(service(stack, "cache"))
    assert cache.outcome is Outcome.NOT_APPLICABLE
    assert "third-party image (redis:7.2.4-alpine" in cache.reason


def test_undeclared_lockfile_is_found_in_the_build_context(tmp_path: Path) -> None:
    services_yaml, files = stack_files()  # tool declares no lockfiles; its build context app/ has requirements.txt
    stack = make_stack(tmp_path, services_yaml, files)
    verdict = build.lockfile_pinned(service(stack, "tool"))
    assert verdict.outcome is Outcome.PASSED, verdict.reason
    assert "found in the build context stack/app" in verdict.evidence[0].detail


@pytest.mark.parametrize(
    ("name", "text", "hashed"),
    [
        (
            "poetry.lock",
            '[[package]]\nname = "redis"\nversion = "5.2.1"\nfiles = [{file = "r.whl", hash = "sha256:a"}]\n',
            True,
        ),
        (
            "uv.lock",
            '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n\n'
            '[[package]]\nname = "redis"\nversion = "5.2.1"\nsource = { registry = "https://pypi.org/simple" }\n'
            'sdist = { url = "https://x/redis.tar.gz", hash = "sha256:b" }\n',
            True,
        ),
        ("uv.lock", '[[package]]\nname = "lib"\nversion = "1.0"\nsource = { git = "https://x/lib.git" }\n', False),
        (
            "Pipfile.lock",
            '{\n  "default": {\n    "redis": {\n      "hashes": ["sha256:c"],\n'
            '      "version": "==5.2.1"\n    }\n  },\n  "develop": {}\n}\n',
            True,
        ),
    ],
)
def test_structured_locks(tmp_path: Path, name: str, text: str, hashed: bool) -> None:
    pinned = run(tmp_path, "lockfile_pinned", lock_text=text, lockfile=f"app/{name}")
    assert pinned.outcome is Outcome.PASSED, pinned.reason
    hashes = build.lockfile_hashes(service(make_stack(tmp_path, *stack_files(text, f"app/{name}")), "app"))
    assert hashes.outcome is (Outcome.PASSED if hashed else Outcome.FAILED), hashes.reason


def test_broken_toml_lock_fails_with_line(tmp_path: Path) -> None:
    verdict = run(tmp_path, "lockfile_pinned", lock_text="[[package]\nname=", lockfile="app/poetry.lock")
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason.startswith("stack/app/poetry.lock")


# -- build.lockfile-hashes -----------------------------------------------------------------------


def test_hashes_pass_only_when_every_entry_is_hashed(tmp_path: Path) -> None:
    hashed = "redis==5.2.1 \\\n    --hash=sha256:aaa \\\n    --hash=sha256:bbb\npyyaml==6.0.2 --hash=sha256:ccc\n"
    assert run(tmp_path, "lockfile_hashes", lock_text=hashed).outcome is Outcome.PASSED
    verdict = run(tmp_path, "lockfile_hashes", lock_text=hashed + "idna==3.10\n")
    assert verdict.outcome is Outcome.FAILED
    assert [e.location for e in verdict.evidence] == ["stack/app/requirements.txt:5"]


# -- build.no-install-at-start --------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        'command: sh -c "pip install -r requirements.txt && python -m app"',
        'command: ["bash", "-lc", "python3 -m pip install foo; exec python -m app"]',
        "command: pip3 install --user foo",
        'entrypoint: ["/bin/sh", "-c", "apk add curl && exec python -m app"]',
        'command: sh -c "X=$$(npm ci) python -m app"',
    ],
)
def test_install_in_compose_command_fails(tmp_path: Path, command: str) -> None:
    verdict = run(tmp_path, "no_install_at_start", extra=command)
    assert verdict.outcome is Outcome.FAILED, verdict.reason
    assert verdict.scope is Scope.STATIC_ONLY
    assert verdict.evidence[0].location == "stack/compose.yml:5"


def test_quoted_install_text_is_not_an_install(tmp_path: Path) -> None:
    verdict = run(tmp_path, "no_install_at_start", extra="command: sh -c \"echo 'pip install x' && python -m app\"")
    assert verdict.outcome is Outcome.PASSED, verdict.reason
    assert any("entry script" in e.detail for e in verdict.evidence)


def test_entry_script_copied_by_dockerfile_is_read(tmp_path: Path) -> None:
    entry = '#!/bin/sh\nset -e\nif [ -n "$DEV" ]; then\n  pip install -e .\nfi\nexec python -m app\n'
    verdict = run(tmp_path, "no_install_at_start", entry=entry)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.evidence[0].location == "stack/app/entrypoint.sh:4"
    assert "pip install -e ." in verdict.evidence[0].detail


def test_dockerfile_shell_form_cmd_install_fails(tmp_path: Path) -> None:
    dockerfile = DOCKERFILE.replace('CMD ["python", "-m", "app"]', "CMD apt-get install -y jq && python -m app")
    verdict = run(tmp_path, "no_install_at_start", dockerfile=dockerfile)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.evidence[0].location == "stack/app/Dockerfile:8"


def test_bind_mounted_entry_script_is_read(tmp_path: Path) -> None:
    extra = 'command: ["/opt/start.sh"]\n    volumes: ["./scripts/start.sh:/opt/start.sh:ro"]'
    verdict = run(
        tmp_path,
        "no_install_at_start",
        extra=extra,
        more={"scripts/start.sh": "#!/bin/bash\ncase $1 in\n  dev) npm install ;;\nesac\nexec node s.js\n"},
    )
    assert verdict.outcome is Outcome.FAILED
    assert verdict.evidence[0].location == "stack/scripts/start.sh:3"


def test_missing_dockerfile_fails_and_gate_is_not_applicable(tmp_path: Path) -> None:
    services_yaml, files = stack_files()
    del files["app/Dockerfile"]
    stack = make_stack(tmp_path, services_yaml, files)
    verdict = build.no_install_at_start(service(stack, "app"))
    assert verdict.outcome is Outcome.FAILED
    assert "Dockerfile does not exist" in verdict.reason
    assert build.no_install_at_start(service(stack, "gate")).outcome is Outcome.NOT_APPLICABLE


def test_image_only_container_passes_static_only(tmp_path: Path) -> None:
    verdict = run(tmp_path, "no_install_at_start", name="cache")
    assert verdict.outcome is Outcome.PASSED
    assert verdict.scope is Scope.STATIC_ONLY
    assert "image's own command" in verdict.evidence[0].detail


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["pip", "install", "x"], True),
        (["/usr/local/bin/pip3.11", "--no-cache-dir", "install", "x"], True),
        (["exec", "gosu", "app", "python", "-m", "pip", "install", "x"], True),
        (["uv", "pip", "sync", "req.txt"], True),
        (["poetry", "install"], True),
        (["apt-get", "update"], False),
        (["pip", "freeze"], False),
        (["echo", "pip", "install"], False),
        (["yarn"], True),
    ],
)
def test_install_in_argv(argv: list[str], found: bool) -> None:
    assert (build.install_in_argv(argv) is not None) is found


def test_shell_commands_falls_back_when_bashlex_cannot_parse() -> None:
    text = "arr=(a b)\n[[ -f x ]] && apt-get install -y curl\necho 'apt-get install y'\n"
    installs = [c for c in build.shell_commands(text) if build.install_in_argv(c.argv)]
    assert len(installs) == 1
    assert installs[0].argv[:2] == ("apt-get", "install")


# -- build.versioned-image ------------------------------------------------------------------------


def test_versioned_image_in_manifest_passes_with_manifest_line(tmp_path: Path) -> None:
    verdict = run(tmp_path, "versioned_image")
    assert verdict.outcome is Outcome.PASSED, verdict.reason
    assert "stack/manifest.md:5" in [e.location for e in verdict.evidence]


@pytest.mark.parametrize(
    ("image", "words"),
    [
        ("acme/app:latest", "tagged 'latest'"),
        ("acme/app", "no tag"),
        ("acme/app:1.3.0", "not in"),
    ],
)
def test_unversioned_or_unreleased_image_fails(tmp_path: Path, image: str, words: str) -> None:
    verdict = run(tmp_path, "versioned_image", image=image)
    assert verdict.outcome is Outcome.FAILED
    assert words in verdict.reason
    assert verdict.evidence[0].location == "stack/compose.yml:3"


def test_build_only_service_fails(tmp_path: Path) -> None:
    services_yaml, files = stack_files()
    files["compose.yml"] = "services:\n  app:\n    build: ./app\n  cache:\n    image: redis:7.2.4-alpine\n"
    verdict = build.versioned_image(service(make_stack(tmp_path, services_yaml, files), "app"))
    assert verdict.outcome is Outcome.FAILED
    assert "build-only service without image:" in verdict.reason


def test_digest_and_image_tag_columns_are_matched(tmp_path: Path) -> None:
    digest = "sha256:" + "a" * 64
    manifest = f"| Image | Tag |\n|---|---|\n| docker.io/acme/app | 1.2.0 |\n\n```\nacme/app@{digest}\n```\n"
    services_yaml, files = stack_files(more={"manifest.md": manifest})
    stack = make_stack(tmp_path, services_yaml, files)
    assert build.versioned_image(service(stack, "app")).outcome is Outcome.PASSED
    assert build.manifest_refs(manifest)[f"acme/app@{digest}"] == 6


def test_missing_manifest_fails(tmp_path: Path) -> None:
    services_yaml, files = stack_files()
    del files["manifest.md"]
    verdict = build.versioned_image(service(make_stack(tmp_path, services_yaml, files), "app"))
    assert verdict.outcome is Outcome.FAILED
    assert "does not exist" in verdict.reason
