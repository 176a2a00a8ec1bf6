"""Fuzzing the parsers an attacker reaches (hypothesis): every input ends in a value or one located,
typed error; never another exception, never a hang, never a secret in the text.

A few hundred examples per test by default (CI); set READINESS_FUZZ_EXAMPLES=10000 for a deep run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_readiness.artifacts import ArtifactError, Artifacts
from pytest_readiness.artifacts.yamldoc import YamlProblem, parse_yaml
from pytest_readiness.config import load_config
from pytest_readiness.errors import ConfigError, InputError
from pytest_readiness.healthcheck import Classification, classify_healthcheck
from pytest_readiness.lockfiles import LOCK_NAMES, read_lockfile
from pytest_readiness.redact import Redactor

EXAMPLES = int(os.environ.get("READINESS_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

# YAML-ish text: the tokens that break parsers (anchors, tags, flow, deep nesting, odd scalars).
YAML_TOKENS = st.sampled_from(
    [
        "version: 1\n", "stack:\n", "  name: x\n", "  root: .\n", "services:\n", "  - name: a\n", "    kind: service\n",
        "    target: L1\n", "&a ", "*a ", "<<: *a\n", "!!bool maybe\n", "!!int 1e400\n", "2026-13-45\n", "[", "]",
        "{", "}", ": ", "- ", "? ", "\x00", "\t", "'", '"', "|\n", ">\n", "9" * 400, "!reset ", "null\n", "~\n",
        "target: L3\ntarget: L1\n", "cpus: [1]\n", "\ufeff", "%YAML 1.1\n---\n", "...\n",
    ]
)  # fmt: skip
YAML_TEXT = st.one_of(st.lists(YAML_TOKENS, max_size=40).map("".join), st.text(max_size=400))


@FUZZ
@given(YAML_TEXT)
def test_bounded_yaml_returns_a_document_or_a_located_problem(text: str) -> None:
    try:
        parse_yaml(text)
    except YamlProblem as problem:
        assert problem.line is None or problem.line >= 1  # noqa: PT017 - any input, not one expected error


@FUZZ
@given(YAML_TEXT)
def test_services_yaml_loads_or_fails_with_one_located_line(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "services.yaml")
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_config(path)
        except ConfigError as error:
            shown = str(error)
            assert "\n" not in shown.strip()
            assert shown.split(":", 1)[0].endswith("services.yaml")


SHELL_WORDS = st.sampled_from(
    [
        "curl", "-f", "http://localhost:8080/health", "||", "&&", ";", "|", "true", "exit", "0", "1", "grep", "-q",
        "PONG", "redis-cli", "ping", "$(", ")", "${HOST:-localhost}", "'", '"', "sh", "-c", "if", "then", "fi",
        "set", "-o", "pipefail", "kill", "-0", "1", "pgrep", "x", "&", "(", "`", "\\", "\n", "<<EOF", "tee", "/tmp/h",
    ]
)  # fmt: skip


@FUZZ
@given(st.lists(SHELL_WORDS, max_size=30).map(" ".join), st.booleans())
def test_healthcheck_classifier_always_decides(body: str, exec_form: bool) -> None:
    test = ["CMD", *body.split()] if exec_form else ["CMD-SHELL", body]
    decided = classify_healthcheck(test, service="api", dependencies=["redis"], own_ports=[8080])
    assert isinstance(decided, Classification)
    assert decided.reason


@FUZZ
@given(st.sampled_from([*LOCK_NAMES, "requirements.txt", "package.json"]), st.binary(max_size=600))
def test_lockfile_reader_parses_or_raises_a_located_input_error(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        (root / name).write_bytes(data)
        door = Artifacts(root, show=lambda p: os.path.relpath(p, root))
        try:
            read_lockfile(door, root / name)
        except (InputError, ArtifactError) as error:
            assert name in str(error)  # noqa: PT017 - any input, not one expected error


@FUZZ
@given(st.text(min_size=6, max_size=40).filter(lambda s: s.strip() == s and len(s) >= 6), st.text(max_size=80))
def test_a_redacted_text_never_holds_the_secret(secret: str, around: str) -> None:
    redactor = Redactor({"TOKEN": secret})
    text = redactor.text(f"{around}{secret}{around}")
    assert secret not in text.replace("<redacted:TOKEN>", "")


def test_the_alias_bomb_is_refused_quickly() -> None:
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(YamlProblem):
        parse_yaml(bomb)
    assert yaml.safe_load("a: 1") == {"a": 1}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)
RUN_SHAPED = st.fixed_dictionaries(
    {
        "schema_version": st.sampled_from([1, 1, 2, "1", None]),
        "stack": st.sampled_from(["demo", "demo", "other", 5]),
        "partial": st.sampled_from([False, True, "no", None]),
        "services": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["api", "db", 3, None]), "level": st.sampled_from(["L0", "L1.5", "L9", 2])}
            )
            | JSON_VALUES,
            max_size=4,
        )
        | JSON_VALUES,
    }
)


@FUZZ
@given(st.one_of(RUN_SHAPED, JSON_VALUES), st.binary(max_size=40))
def test_any_history_file_is_a_run_or_a_warning_never_a_crash(run: object, tail: bytes) -> None:
    import json as json_module

    from pytest_readiness.history import compare, find_previous

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "20260101T000000.000000Z-20260101T000000Z-aaaaaaaa.json").write_text(json_module.dumps(run))
        (folder / "20260102T000000.000000Z-20260102T000000Z-bbbbbbbb.json").write_bytes(
            json_module.dumps(run).encode() + tail
        )
        previous, warnings = find_previous(folder, "demo")
        assert all(w.startswith("history: ") for w in warnings)
        changes = compare(previous, {"services": [{"name": "api", "level": "L1"}]})
        assert "api" in changes


def test_the_history_fuzz_reaches_the_reader() -> None:
    """The file names above are ones the history reader lists (else the fuzz would test nothing)."""
    import json as json_module

    from pytest_readiness.history import find_previous

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "20260101T000000.000000Z-20260101T000000Z-aaaaaaaa.json")
        path.write_text(json_module.dumps({"schema_version": 1, "stack": "demo", "services": []}))
        assert find_previous(Path(tmp), "demo")[0] is not None
        path.write_text("{")
        assert find_previous(Path(tmp), "demo")[1]
