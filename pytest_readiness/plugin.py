"""pytest hooks: translate between pytest and the plain readiness core. Kept thin on purpose."""

from __future__ import annotations

import glob
import os
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from . import outcomes
from .artifacts import dotted
from .compose import ComposeProject, split_profiles
from .config import StackConfig, load_config
from .context import Service, Stack, missing_service_text
from .errors import ConfigError, InputError
from .levels import LEVELS
from .live.probes import LiveProbes
from .units import parse_timestamp

STACK_KEY = pytest.StashKey[Stack]()
CRITERIA_KEY = pytest.StashKey[dict[str, str]]()
MARKER_HELP = (
    "readiness(id, level, critical=False): a readiness criterion; id 'family.name', level L1..L3. "
    "The test takes the `service` fixture and runs once per service in services.yaml."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production-readiness scorecard (pytest-readiness)")
    group.addoption(
        "--readiness",
        action="store_true",
        default=False,
        help="run the readiness checklist over every service in services.yaml and print the scorecard",
    )
    group.addoption(
        "--readiness-config",
        metavar="PATH",
        default=None,
        help="services.yaml to read (default: ini readiness_config, else ./services.yaml)",
    )
    group.addoption(
        "--readiness-now",
        metavar="ISO8601",
        default=None,
        help="evaluation time for freshness checks, e.g. 2026-02-27T12:00:00Z (default: now)",
    )
    group.addoption(
        "--readiness-offline",
        action="store_true",
        default=False,
        help="do not probe the running stack: live parts are 'not observed'",
    )
    group.addoption(
        "--readiness-drills",
        action="store_true",
        default=False,
        help="run drills that disturb the running stack (restarts); opt-in",
    )
    group.addoption(
        "--readiness-profile",
        metavar="NAME",
        action="append",
        default=[],
        help="compose profile to activate (repeatable; default: COMPOSE_PROFILES)",
    )
    group.addoption(
        "--readiness-target",
        metavar="LEVEL",
        default=None,
        choices=LEVELS,
        help="raise every service's target to at least LEVEL (L0..L3)",
    )
    group.addoption(
        "--readiness-json",
        metavar="PATH",
        default=None,
        help="write every result, level, gap and the checkpoint as JSON to PATH",
    )
    group.addoption(
        "--readiness-md",
        metavar="PATH",
        default=None,
        help="write the scorecard, SLO matrix and decision checkpoint as Markdown (the seed's layout) to PATH",
    )
    group.addoption(
        "--readiness-sarif", metavar="PATH", default=None, help="write failing criteria as SARIF 2.1.0 to PATH"
    )
    group.addoption(
        "--readiness-textfile",
        metavar="PATH",
        default=None,
        help="write levels as Prometheus text exposition (node_exporter textfile collector) to PATH",
    )
    group.addoption(
        "--readiness-badge",
        metavar="PATH",
        default=None,
        help="write an SVG badge with the overall level and the gate (for a README) to PATH",
    )
    group.addoption(
        "--readiness-details",
        action="store_true",
        default=False,
        help="show every failure's evidence and fix in the terminal (also with -v); default: one line each",
    )
    group.addoption(
        "--readiness-history",
        metavar="DIR",
        default=None,
        help="append this run to DIR and show each service's change since the last full run",
    )
    group.addoption(
        "--readiness-fix-alerts",
        metavar="PATH",
        default=None,
        help="write the alert rules every service is missing to PATH, and promtool tests that fire them beside it",
    )
    group.addoption(
        "--readiness-fail-on-regression",
        action="store_true",
        default=False,
        help="fail the run when a service's level dropped since the last run in --readiness-history",
    )
    parser.addini(
        "readiness_config",
        "services.yaml path, relative to the ini file (else the invocation dir)",
        default="services.yaml",
    )
    parser.addini(
        "readiness_builtin",
        "include the built-in checklist (readiness_tests) in the catalog and collection",
        type="bool",
        default=True,
    )
    parser.addini("readiness_history_keep", "how many runs --readiness-history keeps", default="100")
    parser.addini("readiness_half_step", "share of next-level criteria that makes a half level (0..1)", default="0.5")
    parser.addini(
        "readiness_max_file_size",
        "largest artifact the run reads, in MiB (bigger files are refused with their size)",
        default="64",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[CRITERIA_KEY] = {}
    if not config.getoption("readiness"):
        return
    stack = _load_stack(config)
    config.stash[STACK_KEY] = stack
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = _checklist_args(config, stack.config)
    if not hasattr(config, "workerinput"):
        from .reporter import ScorecardReporter, check_outputs

        check_outputs(config)
        line_failures = _readiness_failure_style(config)
        from .atomic_outputs import AtomicOutputs

        config.pluginmanager.register(AtomicOutputs(config), "readiness-atomic-outputs")
        reporter = ScorecardReporter(config, stack, line_failures=line_failures)
        config.pluginmanager.register(reporter, "readiness-scorecard")
        if config.pluginmanager.hasplugin("html"):
            from .report_html import HtmlScorecard

            title = stack.redactor.text(stack.config.name)  # input: masked, no control character
            config.pluginmanager.register(HtmlScorecard(reporter.result, title), "readiness-html")


def _readiness_failure_style(config: pytest.Config) -> bool:
    """Unless the user chose a ``--tb``, readiness failures are not tracebacks: once collection went
    well, pytest's FAILURES section gives way to the scorecard's one-line failures (evidence and fix
    with -v or --readiness-details). That also skips pytest's per-failure rescan of every report,
    which is quadratic in the failures. Collection errors keep pytest's own report."""
    return bool(config.option.tbstyle == "auto")


def _config_path(config: pytest.Config) -> Path:
    option = config.getoption("readiness_config")
    if option:
        return Path(config.invocation_params.dir, option)
    # Beside the ini file when there is one; otherwise where pytest was invoked (pytest picks the
    # rootdir before plugin options are known, so `--readiness-json /x/y.json` can move it).
    base = config.inipath.parent if config.inipath else config.invocation_params.dir
    return Path(base, str(config.getini("readiness_config")))


def _load_stack(config: pytest.Config) -> Stack:
    """services.yaml and the compose files it names; any bad input is a usage error (exit 4)."""
    now_text = config.getoption("readiness_now")
    try:
        now = parse_timestamp(now_text) if now_text else datetime.now(UTC)
    except ValueError:
        raise pytest.UsageError(
            f"--readiness-now: {now_text!r} is not an ISO 8601 time (write e.g. 2026-02-27T12:00:00Z)"
        ) from None
    try:
        half = float(str(config.getini("readiness_half_step")))
    except ValueError:
        half = -1.0
    if not 0 < half <= 1:
        raise pytest.UsageError("ini readiness_half_step: must be a number in (0, 1], e.g. 0.5")
    keep = str(config.getini("readiness_history_keep"))
    if not keep.isdigit() or int(keep) < 1:
        raise pytest.UsageError(f"ini readiness_history_keep: {keep!r} must be a whole number >= 1, e.g. 100")
    cap = str(config.getini("readiness_max_file_size"))
    if not cap.isdigit() or int(cap) < 1:
        raise pytest.UsageError(f"ini readiness_max_file_size: {cap!r} must be a whole number of MiB >= 1, e.g. 64")
    profiles = tuple(config.getoption("readiness_profile") or ()) or split_profiles(os.environ.get("COMPOSE_PROFILES"))
    try:
        stack_config = load_config(_config_path(config))
        offline = bool(config.getoption("readiness_offline"))
        stack = Stack(
            stack_config,
            now=now,
            offline=offline,
            target_override=config.getoption("readiness_target"),
            drills=bool(config.getoption("readiness_drills")),
            profiles=profiles,
            live_factory=LiveProbes.for_stack,
            max_file_bytes=int(cap) * 1024 * 1024,
        )
        project = stack.compose  # load (and validate) the compose project once, before any test
        outcomes.validate_references(stack_config)
        validate_compose_names(stack_config, project)
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None
    return stack


def validate_compose_names(stack_config: StackConfig, project: ComposeProject | None) -> None:
    """Every compose service a row names exists in the project: a usage error at its line, with the closest."""
    if project is None:
        return
    for spec in stack_config.services:
        for index, name in enumerate(spec.compose_services):
            if name not in project.services:
                keys = ("services", spec.index, "compose_services", index)
                raise ConfigError(
                    stack_config.show(stack_config.path),
                    stack_config.document.line_of(keys),
                    missing_service_text(project, name),
                    dotted(keys),
                )


def _checklist_args(config: pytest.Config, stack_config: StackConfig) -> list[str]:
    """What --readiness collects when no paths are given: the built-in checklist, the stack's own
    criteria folders, and readiness test files beside services.yaml (not its subfolders)."""
    import readiness_tests

    here = stack_config.path.parent
    patterns = [str(p) for p in config.getini("python_files")]
    local = sorted({f for pat in patterns for f in glob.glob(os.path.join(glob.escape(str(here)), pat))})
    builtin = [str(Path(readiness_tests.__file__).parent)] if config.getini("readiness_builtin") else []
    own = [str(stack_config.resolve(p)) for p in stack_config.stack_paths("criteria")]
    return [*builtin, *own, *local]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("readiness")
    if marker is None:
        return
    criterion = outcomes.criterion_from_marker(marker, metafunc.definition.nodeid)
    seen = metafunc.config.stash[CRITERIA_KEY]
    where = metafunc.definition.nodeid
    if seen.setdefault(criterion.id, where) != where:
        raise pytest.Collector.CollectError(
            f"{where}: readiness id {criterion.id!r} is already used by {seen[criterion.id]}; ids must be unique"
        )
    stack = metafunc.config.stash.get(STACK_KEY, None)
    if stack is None:
        return
    if "_readiness_service" not in metafunc.fixturenames:
        raise pytest.Collector.CollectError(f"{where}: a readiness criterion must take the `service` fixture")
    names = [s.name for s in stack.config.services]
    metafunc.parametrize("_readiness_service", names, ids=names, indirect=True)


def pytest_itemcollected(item: pytest.Item) -> None:
    """A criterion answers to ``-k`` by its id, its family and its level (after the stack's override):
    ``-k runtime.healthcheck-liveness``, ``-k security``, ``-k L1``."""
    marker = item.get_closest_marker("readiness")
    stack = item.config.stash.get(STACK_KEY, None)
    if marker is None or stack is None:
        return
    criterion = outcomes.criterion_from_marker(marker, item.nodeid)
    level = stack.config.level_overrides.get(criterion.id, criterion.level)
    item.extra_keyword_matches.update({criterion.id, criterion.id.split(".", 1)[0], level})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --readiness only criteria run; without it, criteria stay out of the way."""
    active = STACK_KEY in config.stash
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        is_criterion = item.get_closest_marker("readiness") is not None
        (keep if is_criterion == active else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def _readiness_service(request: pytest.FixtureRequest) -> str:
    """The service name this criterion runs for (parametrized by pytest_generate_tests)."""
    name: str = request.param
    return name


@pytest.fixture
def service(request: pytest.FixtureRequest, _readiness_service: str) -> Service:
    """The service under evaluation: its declaration, artifacts, clock, and evidence list."""
    stack = request.config.stash.get(STACK_KEY, None)
    if stack is None:
        pytest.skip("readiness criteria run only with --readiness")
    return Service(stack, stack.config.service(_readiness_service))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    stack = item.config.stash.get(STACK_KEY, None)
    if stack is not None:
        outcomes.attach_result(item, call, report, stack)
    return report
