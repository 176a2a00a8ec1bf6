"""Observability criteria: scrape jobs, structured logs, alert rules, alert unit tests, dashboards.

Everything here reads the real artifacts (Prometheus config and rule files, promtool's verdict,
log files, Grafana dashboard JSON); services.yaml only says where they are.
"""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..context import Service
from ..errors import InputError
from ..live import LivePart, Unobservable, every_container, with_live
from ..results import Evidence, Scope, Verdict
from ..yamlmarks import MarkedDocument, load_marked
from . import promtool

OWN_CODE_KINDS = frozenset({"service", "worker", "gate"})
LAG_KINDS = frozenset({"service", "worker", "bot"})
LOG_SAMPLE_LINES = 200
LEVEL_FIELDS = ("level", "lvl", "severity", "levelname", "loglevel", "log_level", "error_severity")


# --------------------------------------------------------------------------------------------------
# Shared loading (cached per file version: every row asks about the same stack files)
# --------------------------------------------------------------------------------------------------

_YAML_CACHE: dict[tuple[Path, int, int], MarkedDocument | InputError] = {}


def load_yaml(path: Path, shown: str) -> MarkedDocument:
    """A YAML file with line numbers; InputError (one line: path:line: what) when missing or broken."""
    try:
        st = path.stat()
    except OSError:
        raise InputError(shown, None, "file not found") from None
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _YAML_CACHE:
        try:
            _YAML_CACHE[key] = load_marked(path, display=shown)
        except InputError as exc:
            _YAML_CACHE[key] = exc
    found = _YAML_CACHE[key]
    if isinstance(found, InputError):
        raise found
    return found


@dataclass(frozen=True)
class AlertRule:
    """One ``alert:`` rule of a Prometheus rule file, with the line it starts on."""

    name: str
    expr: str
    labels: dict[str, str]
    annotations: dict[str, str]
    group: str
    where: str

    @property
    def owner(self) -> str | None:
        return self.labels.get("owner") or self.annotations.get("owner") or None


@dataclass
class RuleSet:
    """All alert rules of the stack, or the problems that stopped them being read."""

    files: list[Path] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    rules: list[AlertRule] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _as_str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def load_alert_rules(service: Service) -> RuleSet:
    """Parse every file in ``stack.alert_rules``; a missing file or bad shape is a problem, not a crash."""
    out = RuleSet()
    for rel in service.config.stack_paths("alert_rules"):
        path = service.path(rel)
        shown = service.show(path)
        out.files.append(path)
        out.shown.append(shown)
        try:
            doc = load_yaml(path, shown)
        except InputError as exc:
            out.problems.append(str(exc))
            continue
        data = doc.data
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list):
            out.problems.append(f"{shown}:{doc.line_of(('groups',))}: a rule file needs a 'groups:' list")
            continue
        for gi, group in enumerate(groups):
            rules = group.get("rules") if isinstance(group, dict) else None
            if not isinstance(rules, list):
                out.problems.append(f"{shown}:{doc.line_of(('groups', gi))}: group needs a 'rules:' list")
                continue
            for ri, rule in enumerate(rules):
                if not isinstance(rule, dict) or "alert" not in rule:
                    continue  # recording rules are not alerts
                line = doc.line_of(("groups", gi, "rules", ri, "alert"))
                out.rules.append(
                    AlertRule(
                        name=str(rule["alert"]),
                        expr=str(rule.get("expr", "")),
                        labels=_as_str_map(rule.get("labels")),
                        annotations=_as_str_map(rule.get("annotations")),
                        group=str(group.get("name", "")),
                        where=f"{shown}:{line}",
                    )
                )
    return out


def row_names(service: Service) -> set[str]:
    """Names that identify this row's alerts: the row name and its compose service names."""
    return {service.name, *service.spec.compose_services}


def row_rules(service: Service, rules: Iterable[AlertRule]) -> list[AlertRule]:
    """This row's rules: ``labels.service`` names the row or one of its containers, or the row's
    ``alerts`` field lists the label value, the alert name or a name prefix."""
    names = row_names(service)
    extra = [str(a) for a in service.spec.raw.get("alerts") or ()]
    picked = []
    for rule in rules:
        label = rule.labels.get("service")
        if (
            label in names
            or (label is not None and label in extra)
            or any(rule.name == a or rule.name.startswith(a) for a in extra)
        ):
            picked.append(rule)
    return picked


# --------------------------------------------------------------------------------------------------
# PromQL: metric names, and what an alert is about
# --------------------------------------------------------------------------------------------------

_PROMQL_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<num>0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>==|!=|>=|<=|=~|!~|[-+*/%^<>=,(){}@])
""",
    re.VERBOSE,
)
_AGGREGATORS = frozenset(
    {
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)
_LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_KEYWORDS = frozenset({"offset", "bool", "and", "or", "unless", "atan2", "inf", "nan", "start", "end"})


def _promql_tokens(expr: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    while pos < len(expr):
        match = _PROMQL_TOKEN.match(expr, pos)
        if match is None:  # an unexpected character: skip it, promtool judges validity
            pos += 1
            continue
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append((kind, match.group()))
    return tokens


def metric_names(expr: str) -> list[str]:
    """Metric names a PromQL expression reads, in order, without functions, keywords or labels."""
    tokens = _promql_tokens(expr)
    names: list[str] = []
    i = 0

    def nxt(j: int) -> str:
        return tokens[j][1] if j < len(tokens) else ""

    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "op" and text == "{":
            # label matchers: only __name__="x" names a metric
            depth_end = i + 1
            while depth_end < len(tokens) and tokens[depth_end][1] != "}":
                if (
                    tokens[depth_end][1] == "__name__"
                    and nxt(depth_end + 1) == "="
                    and depth_end + 2 < len(tokens)
                    and tokens[depth_end + 2][0] == "str"
                ):
                    names.append(tokens[depth_end + 2][1][1:-1])
                depth_end += 1
            i = depth_end + 1
            continue
        if kind == "ident":
            lowered = text.lower()
            if lowered in _LABEL_LIST_KEYWORDS:
                if nxt(i + 1) == "(":
                    j = i + 2
                    while j < len(tokens) and tokens[j][1] != ")":
                        j += 1
                    i = j + 1
                else:
                    i += 1
                continue
            if nxt(i + 1) == "(" or lowered in _KEYWORDS or (text in _AGGREGATORS and nxt(i + 1) in ("by", "without")):
                i += 1
                continue
            names.append(text)
        i += 1
    return list(dict.fromkeys(names))


def _words(text: str) -> set[str]:
    """Lower-case words of an alert name (CamelCase split) or expression (split on _ : and symbols)."""
    out: set[str] = set()
    for chunk in re.findall(r"[A-Za-z0-9]+", text):
        for part in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", chunk):
            out.add(part.lower())
    return out


_STALE_WORDS = frozenset({"stale", "staleness", "freshness", "absent"})
_FAILURE_WORDS = frozenset(
    {
        "fail",
        "fails",
        "failed",
        "failure",
        "failures",
        "failing",
        "error",
        "errors",
        "status",
        "unhealthy",
        "down",
        "crash",
        "crashed",
        "crashloop",
    }
)
_LAG_WORDS = frozenset(
    {"lag", "lags", "lagging", "delay", "delays", "delayed", "latency", "latencies", "behind", "pending", "backlog"}
)
CATEGORIES = ("stale", "failure", "lag")


def classify(rule: AlertRule) -> set[str]:
    """Which of stale / failure / lag an alert watches, from its expression and its name."""
    expr = rule.expr
    words = _words(rule.name) | _words(expr)
    found: set[str] = set()
    metrics = metric_names(expr)
    if (
        re.search(r"\btime\s*\(\s*\)\s*-", expr)
        or re.search(r"\babsent(_over_time)?\s*\(", expr)
        or words & _STALE_WORDS
        or (any(m.endswith(("_age_seconds", "_age")) for m in metrics) and ">" in expr)
    ):
        found.add("stale")
    if words & _FAILURE_WORDS or re.search(r"==\s*0(?![.\d])", expr):
        found.add("failure")
    if words & _LAG_WORDS:
        found.add("lag")
    return found


def required_categories(kind: str) -> tuple[str, ...]:
    return CATEGORIES if kind in LAG_KINDS else ("stale", "failure")


# --------------------------------------------------------------------------------------------------
# observability.metrics
# --------------------------------------------------------------------------------------------------


def _target_host(target: str) -> str:
    text = re.sub(r"^[a-z]+://", "", target.strip())
    text = text.split("/", 1)[0]
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if ":" in text else text


def metrics(service: Service) -> Verdict:
    """A Prometheus scrape job covers the row: its job_name is metrics.job, or a static target is one
    of the row's containers. The live half (the endpoint parses, carries a freshness metric) comes later."""
    scope = Scope.STATIC_ONLY
    if service.kind == "gate":
        return Verdict.not_applicable("gate row has no containers to scrape")
    rel = service.config.stack.get("prometheus_config")
    if not rel:
        return Verdict.failed(
            "the stack declares no prometheus_config; declare stack.prometheus_config so scrape jobs can be checked",
            Evidence(service.spec.where, "services.yaml entry"),
            scope=scope,
        )
    path = service.path(str(rel))
    shown = service.show(path)
    try:
        doc = load_yaml(path, shown)
    except InputError as exc:
        return Verdict.failed(str(exc), Evidence(shown, "prometheus config"), scope=scope)
    jobs = doc.data.get("scrape_configs") if isinstance(doc.data, dict) else None
    if not isinstance(jobs, list):
        return Verdict.failed(
            f"{shown}:{doc.line_of(('scrape_configs',))}: no scrape_configs list",
            Evidence(shown, "prometheus config"),
            scope=scope,
        )
    metrics_spec = service.spec.raw.get("metrics") or {}
    wanted_job = metrics_spec.get("job")
    hosts = set(service.spec.compose_services)
    matches: list[Evidence] = []
    for i, job in enumerate(jobs):
        if not isinstance(job, dict):
            continue
        name = str(job.get("job_name", ""))
        line = doc.line_of(("scrape_configs", i, "job_name"))
        if wanted_job and name == wanted_job:
            matches.append(Evidence(f"{shown}:{line}", f"scrape job {name!r} = metrics.job"))
            continue
        for si, static in enumerate(job.get("static_configs") or []):
            targets = static.get("targets") if isinstance(static, dict) else None
            for ti, target in enumerate(targets or []):
                if _target_host(str(target)) in hosts:
                    tline = doc.line_of(("scrape_configs", i, "static_configs", si, "targets", ti))
                    matches.append(Evidence(f"{shown}:{tline}", f"scrape job {name!r} targets {target}"))
    if matches:
        return Verdict.passed(
            f"scraped by Prometheus: {matches[0].detail} at {matches[0].location}", *matches, scope=scope
        )
    looked = (
        f"job_name {wanted_job!r} or a target on {sorted(hosts)}"
        if wanted_job
        else (f"a target on {sorted(hosts)}" if hosts else "a job (the row declares no metrics.job)")
    )
    fix = "add a scrape job (and an exporter) for it" if not wanted_job else f"add scrape job {wanted_job!r}"
    return Verdict.failed(
        f"no scrape job in {shown} for {service.name}: looked for {looked}; {fix}",
        Evidence(f"{shown}:{doc.line_of(('scrape_configs',))}", "scrape_configs"),
        Evidence(service.spec.where, "services.yaml entry (metrics)"),
        scope=scope,
    )


# --------------------------------------------------------------------------------------------------
# observability.structured-logs
# --------------------------------------------------------------------------------------------------


def _tail(path: Path, limit: int) -> tuple[int, list[str]]:
    """The last ``limit`` lines of a file and the number of the first of them (1-based)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        block = 65536
        data = b""
        pos = size
        while pos > 0 and data.count(b"\n") <= limit:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            data = fh.read(step) + data
        trailing_newline = data.endswith(b"\n")
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if pos > 0:
            lines = lines[1:]  # the first piece may be a partial line
        lines = lines[-limit:]
        # count the lines before the sample without holding the file in memory
        fh.seek(0)
        sample_bytes = sum(len(ln) + 1 for ln in lines) - (0 if trailing_newline or not lines else 1)
        before_bytes = max(size - sample_bytes, 0)
        counted = 0
        remaining = before_bytes
        while remaining > 0:
            chunk = fh.read(min(block, remaining))
            if not chunk:
                break
            counted += chunk.count(b"\n")
            remaining -= len(chunk)
    return counted + 1, [ln.decode("utf-8", errors="replace").rstrip("\r") for ln in lines]


def _level_of(record: dict[str, Any]) -> object:
    for name in LEVEL_FIELDS:
        if name in record:
            return record[name]
    log = record.get("log")
    if isinstance(log, dict) and "level" in log:
        return log["level"]
    return None


def _line_problem(text: str) -> str | None:
    try:
        record = json.loads(text)
    except ValueError:
        return "not JSON"
    if not isinstance(record, dict):
        return "JSON but not an object"
    level = _level_of(record)
    if level is None or isinstance(level, bool) or not isinstance(level, str | int) or level == "":
        return "no level field"
    return None


def log_files(service: Service) -> list[Path]:
    """Files matching the row's ``logs`` globs (relative to the stack root), sorted, de-duplicated."""
    found: dict[Path, None] = {}
    root = service.config.root
    for pattern in service.spec.paths("logs"):
        p = Path(pattern)
        matches = sorted(Path(x) for x in glob.glob(pattern)) if p.is_absolute() else sorted(root.glob(pattern))
        for m in matches:
            if m.is_file():
                found[m] = None
    return list(found)


def structured_logs(service: Service) -> Verdict:
    """The last lines of each log file parse as JSON objects with a level field, so an error rate
    can be computed; any other line makes the error rate unmeasurable. Live: the same for the last
    lines of each container's own log (stdout and stderr); without a log file they decide alone."""
    return with_live(_static_structured_logs(service), lambda: live_structured_logs(service))


def live_structured_logs(service: Service) -> LivePart:
    """Live part of observability.structured-logs: each container's recent log lines are JSON with a level."""
    every = every_container(service)
    if not isinstance(every, list):
        return every
    total = good = 0
    offending: list[Evidence] = []
    fine: list[Evidence] = []
    unseen: list[Unobservable] = []
    first = ""
    for c in every:
        lines = service.stack.live.logs(c, LOG_SAMPLE_LINES)
        if isinstance(lines, Unobservable):
            unseen.append(lines)
            continue
        where = f"{c.location} logs"
        numbered = [(n, text) for n, text in enumerate(lines, start=1) if text.strip()]
        bad_here = [(n, p) for n, text in numbered if (p := _line_problem(text)) is not None]
        total += len(numbered)
        good += len(numbered) - len(bad_here)
        if not numbered:
            offending.append(Evidence(where, "no log output: an error rate cannot be measured"))
            first = first or f"{where} (empty)"
        elif bad_here:
            n, problem = bad_here[0]
            offending.append(
                Evidence(
                    where,
                    f"{len(bad_here)}/{len(numbered)} of the last lines not JSON with a level field "
                    f"(first: line {n} of the last {len(lines)}: {problem})",
                )
            )
            first = first or f"{where}, line {n} of the last {len(lines)} ({problem})"
        else:
            fine.append(Evidence(where, f"last {len(numbered)} line(s), all JSON with a level field"))
    if offending:
        share = f"{good}/{total} sampled container log lines"
        return Verdict.failed(
            f"only {share} are JSON with a level field; first offending {first}; log JSON lines with a level field",
            *offending,
            *fine,
        )
    if unseen:
        # A container whose logs could not be read was not checked: the live part proves nothing.
        return unseen[0]
    return Verdict.passed(
        f"{good}/{total} sampled container log lines of {len(fine)} container(s) are JSON with a level field",
        *fine,
    )


def _static_structured_logs(service: Service) -> Verdict:
    if not service.spec.compose_services and not service.spec.paths("logs"):
        return Verdict.not_applicable(f"{service.kind} row declares no logs and has no containers")
    files = log_files(service)
    if not files:
        declared = ", ".join(service.spec.paths("logs")) or "(none declared)"
        return Verdict.not_observed(f"no log file matches {declared}")
    total = good = 0
    first_bad: str | None = None
    first_problem = ""
    evidence: list[Evidence] = []
    offending: list[Evidence] = []
    for path in files:
        shown = service.show(path)
        try:
            start, lines = _tail(path, LOG_SAMPLE_LINES)
        except OSError as exc:
            offending.append(Evidence(shown, f"unreadable: {exc.strerror or exc}"))
            first_bad = first_bad or shown
            first_problem = first_problem or "unreadable"
            continue
        bad_here: list[tuple[int, str]] = []
        n_here = 0
        for offset, text in enumerate(lines):
            if not text.strip():
                continue
            n_here += 1
            problem = _line_problem(text)
            if problem:
                bad_here.append((start + offset, problem))
        total += n_here
        good += n_here - len(bad_here)
        if bad_here:
            line, problem = bad_here[0]
            offending.append(
                Evidence(
                    f"{shown}:{line}",
                    f"{len(bad_here)}/{n_here} sampled lines not JSON with a level field (first: {problem})",
                )
            )
            if first_bad is None:
                first_bad, first_problem = f"{shown}:{line}", problem
        elif n_here:
            evidence.append(Evidence(f"{shown}:{start}", f"{n_here} sampled lines, all JSON with a level field"))
        else:
            offending.append(Evidence(shown, "empty log file"))
            first_bad = first_bad or shown
            first_problem = first_problem or "empty"
    scope = Scope.STATIC_ONLY
    if offending:
        share = f"{good}/{total} sampled log lines ({(100 * good // total) if total else 0}%)"
        return Verdict.failed(
            f"only {share} are JSON with a level field; first offending {first_bad} "
            f"({first_problem}); log JSON lines with a level field",
            *offending,
            *evidence,
            scope=scope,
        )
    return Verdict.passed(
        f"{good}/{total} sampled log lines across {len(files)} file(s) are JSON with a level field",
        *evidence,
        scope=scope,
    )


# --------------------------------------------------------------------------------------------------
# observability.alerts
# --------------------------------------------------------------------------------------------------


def _promtool_display(ruleset: RuleSet) -> dict[str, str]:
    return {str(f): s for f, s in zip(ruleset.files, ruleset.shown, strict=True)}


def alerts(service: Service) -> Verdict:
    """Alert rules (accepted by promtool where installed) watch this row for staleness, failure and,
    for services, workers and bots, lag."""
    ruleset = load_alert_rules(service)
    if not ruleset.files:
        return Verdict.failed(
            f"the stack declares no alert_rules; declare stack.alert_rules and add rules for {service.name}",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    if ruleset.problems:
        return Verdict.failed(
            ruleset.problems[0], *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems)
        )
    existing = [f for f in ruleset.files if f.exists()]
    run = promtool.check_rules(existing)
    if run is not None and not run.ok:
        return Verdict.failed(
            f"promtool check rules rejects the rules: {run.message(_promtool_display(ruleset))}",
            *(Evidence(s, "promtool check rules") for s in ruleset.shown),
        )
    mine = row_rules(service, ruleset.rules)
    names = sorted(row_names(service))
    required = required_categories(service.kind)
    if not mine:
        return Verdict.failed(
            f"no alert rule for {service.name} in {', '.join(ruleset.shown)} (none labelled service in {names}); "
            f"add rules for {' + '.join(required)}",
            *(Evidence(s, "alert rules") for s in ruleset.shown),
            Evidence(service.spec.where, "services.yaml entry"),
        )
    covered: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    evidence = []
    for rule in mine:
        cats = classify(rule)
        for c in cats:
            covered[c].append(rule.name)
        evidence.append(Evidence(rule.where, f"{rule.name}: {', '.join(sorted(cats)) or 'unclassified'}"))
    missing = [c for c in required if not covered[c]]
    checked = "promtool check rules ok" if run is not None else "promtool not installed, YAML checked"
    if missing:
        return Verdict.failed(
            f"alert rules for {service.name} cover {', '.join(c for c in required if covered[c]) or 'nothing'} but "
            f"no {' / '.join(missing)} condition; add a {' and a '.join(missing)} alert labelled "
            f"service: {service.name}",
            *evidence,
        )
    summary = "; ".join(f"{c}: {', '.join(covered[c])}" for c in required)
    return Verdict.passed(f"{len(mine)} alert rule(s) cover {' + '.join(required)} ({summary}); {checked}", *evidence)


# --------------------------------------------------------------------------------------------------
# observability.alert-tests
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertTestCase:
    alertname: str
    fires: bool
    where: str


def _alert_test_cases(doc: MarkedDocument, shown: str) -> Iterator[AlertTestCase]:
    data = doc.data if isinstance(doc.data, dict) else {}
    for ti, test in enumerate(data.get("tests") or []):
        if not isinstance(test, dict):
            continue
        for ci, case in enumerate(test.get("alert_rule_test") or []):
            if not isinstance(case, dict) or "alertname" not in case:
                continue
            line = doc.line_of(("tests", ti, "alert_rule_test", ci, "alertname"))
            yield AlertTestCase(str(case["alertname"]), bool(case.get("exp_alerts")), f"{shown}:{line}")


def _rule_files_of(doc: MarkedDocument, test_path: Path) -> tuple[Path, ...]:
    data = doc.data if isinstance(doc.data, dict) else {}
    return tuple((test_path.parent / str(f)).resolve() for f in data.get("rule_files") or [])


def alert_tests(service: Service) -> Verdict:
    """promtool unit tests exist, pass, and fire every alert of this row (the alert fire-drill)."""
    ruleset = load_alert_rules(service)
    if ruleset.problems:
        return Verdict.failed(
            ruleset.problems[0], *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems)
        )
    mine = row_rules(service, ruleset.rules)
    if not mine:
        return Verdict.failed(
            f"{service.name} has no alert rules, so no alert test can fire them; add rules and promtool tests",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    rels = service.config.stack_paths("alert_tests")
    if not rels:
        return Verdict.failed(
            "the stack declares no alert_tests (promtool test files); add stack.alert_tests",
            *(Evidence(r.where, r.name) for r in mine),
        )
    problems: list[str] = []
    evidence: list[Evidence] = []
    cases: list[AlertTestCase] = []
    files: list[Path] = []
    inputs: list[Path] = []
    display: dict[str, str] = _promtool_display(ruleset)
    for rel in rels:
        path = service.path(rel)
        shown = service.show(path)
        display[str(path)] = shown
        try:
            doc = load_yaml(path, shown)
        except InputError as exc:
            problems.append(str(exc))
            evidence.append(Evidence(shown, "alert tests"))
            continue
        files.append(path)
        inputs.extend(_rule_files_of(doc, path))
        cases.extend(_alert_test_cases(doc, shown))
    fired = {c.alertname: c for c in cases if c.fires}
    unfired = [r for r in mine if r.name not in fired]
    for rule in mine:
        if rule.name in fired:
            evidence.append(Evidence(fired[rule.name].where, f"test fires {rule.name}"))
        else:
            evidence.append(Evidence(rule.where, f"{rule.name}: no test case expects it to fire"))
    if unfired:
        problems.append(f"no promtool test fires {', '.join(r.name for r in unfired)}")
    run = promtool.run_rule_tests(files, inputs=tuple(inputs)) if files else None
    if run is not None and not run.ok:
        problems.append(f"promtool test rules fails: {run.message(display)}")
    if problems:
        return Verdict.failed(f"alert tests for {service.name}: {'; '.join(problems)}", *evidence)
    if run is None:
        return Verdict.not_observed(
            f"promtool not installed: cannot run the alert unit tests ({', '.join(service.show(f) for f in files)})",
            *evidence,
            scope=Scope.STATIC,
        )
    return Verdict.passed(f"promtool test rules passes and fires all {len(mine)} alert(s) of {service.name}", *evidence)


# --------------------------------------------------------------------------------------------------
# observability.dashboards
# --------------------------------------------------------------------------------------------------


def _dashboard_files(service: Service) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    problems: list[str] = []
    for rel in service.config.stack_paths("dashboards"):
        path = service.path(rel)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{service.show(path)} does not exist")
    return files, problems


def _target_exprs(node: Any) -> Iterator[str]:
    """Every ``targets[].expr`` in a dashboard (panels, nested rows, old-style rows)."""
    if isinstance(node, dict):
        targets = node.get("targets")
        if isinstance(targets, list):
            for t in targets:
                if isinstance(t, dict) and isinstance(t.get("expr"), str):
                    yield t["expr"]
        for key, value in node.items():
            if key != "targets":
                yield from _target_exprs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _target_exprs(item)


def _line_of_metric(text: str, metric: str) -> int:
    pattern = re.compile(rf"(?<![A-Za-z0-9_:]){re.escape(metric)}(?![A-Za-z0-9_:])")
    fallback = 0
    for no, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            if '"expr"' in line:
                return no
            fallback = fallback or no
    return fallback or 1


def dashboards(service: Service) -> Verdict:
    """Every metric this row's alerts read, and its freshness metric, is charted on a Grafana dashboard,
    so whoever is paged can see the signal that paged them."""
    ruleset = load_alert_rules(service)
    if ruleset.problems:
        return Verdict.failed(
            ruleset.problems[0], *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems)
        )
    wanted: dict[str, str] = {}
    for rule in row_rules(service, ruleset.rules):
        for m in metric_names(rule.expr):
            wanted.setdefault(m, rule.where)
    freshness = (service.spec.raw.get("metrics") or {}).get("freshness_metric")
    if freshness:
        wanted.setdefault(str(freshness), f"{service.spec.where}")
    if not wanted:
        return Verdict.failed(
            f"{service.name} has no SLO metric to chart: no alert rules and no metrics.freshness_metric",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    files, problems = _dashboard_files(service)
    if not service.config.stack_paths("dashboards"):
        problems.append("the stack declares no dashboards (Grafana dashboard JSON)")
    charted: dict[str, Evidence] = {}
    for path in files:
        shown = service.show(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{shown}:{exc.lineno}: not valid JSON: {exc.msg}")
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{shown} is unreadable: {exc}")
            continue
        title = data.get("title", path.stem) if isinstance(data, dict) else path.stem
        for expr in _target_exprs(data):
            for m in metric_names(expr):
                if m in wanted and m not in charted:
                    charted[m] = Evidence(f"{shown}:{_line_of_metric(text, m)}", f"{m} charted on '{title}'")
    missing = [m for m in wanted if m not in charted]
    evidence = [charted[m] for m in wanted if m in charted]
    evidence += [Evidence(wanted[m], f"{m}: on no dashboard") for m in missing]
    if problems:
        return Verdict.failed(
            "; ".join(problems), *evidence, *(Evidence(p.split(":", 1)[0], "dashboard") for p in problems)
        )
    if not files:
        return Verdict.failed(
            f"no Grafana dashboard JSON found under {', '.join(service.config.stack_paths('dashboards'))}", *evidence
        )
    if missing:
        return Verdict.failed(
            f"{len(missing)}/{len(wanted)} SLO metric(s) of {service.name} are on no dashboard: "
            f"{', '.join(missing)}; add panels for them",
            *evidence,
        )
    return Verdict.passed(
        f"all {len(wanted)} SLO metric(s) of {service.name} are charted ({', '.join(wanted)})", *evidence
    )
