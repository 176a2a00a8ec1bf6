"""Observability criteria: scrape jobs, structured logs, alert rules, alert unit tests, dashboards.

Everything here reads the real artifacts through the artifacts door (Prometheus config and rule files,
promtool's verdict, log files, Grafana dashboard JSON); services.yaml only says where they are. The
rule files are parsed, indexed by service and checked by promtool once per run (``rule_index``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..artifacts import ArtifactError, MarkedDocument
from ..context import Service
from ..live import LivePart, Unobservable, every_container, with_live
from ..results import Evidence, Scope, Verdict
from . import promtool
from .common import has_own_code

LOG_SAMPLE_LINES = 200
LEVEL_FIELDS = ("level", "lvl", "severity", "levelname", "loglevel", "log_level", "error_severity")
CONSUMER_KINDS = frozenset({"worker", "bot"})
FIX_ALERTS_HINT = "pytest --readiness --readiness-fix-alerts=monitoring/generated.yml writes them"


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
    """All alert rules of the stack, indexed by their ``service`` label, or the problems that stopped them."""

    files: list[Path] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    rules: list[AlertRule] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    by_label: dict[str, list[AlertRule]] = field(default_factory=dict)
    by_name: dict[str, list[AlertRule]] = field(default_factory=dict)
    check: promtool.PromtoolRun | None = None

    def add(self, rule: AlertRule) -> None:
        self.rules.append(rule)
        label = rule.labels.get("service")
        if label is not None:
            self.by_label.setdefault(label, []).append(rule)
        self.by_name.setdefault(rule.name, []).append(rule)


def _as_str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _read_rules(service: Service) -> RuleSet:
    out = RuleSet()
    door = service.artifacts
    for rel in service.config.stack_paths("alert_rules"):
        path = service.path(rel)
        shown = service.show(path)
        out.files.append(path)
        out.shown.append(shown)
        try:
            doc = door.yaml(path)
        except ArtifactError as exc:
            out.problems.append(str(exc) if not exc.missing else f"{shown}: file not found")
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
                out.add(
                    AlertRule(
                        name=str(rule["alert"])[:200],
                        expr=str(rule.get("expr", ""))[:4000],
                        labels=_as_str_map(rule.get("labels")),
                        annotations=_as_str_map(rule.get("annotations")),
                        group=str(group.get("name", ""))[:200],
                        where=f"{shown}:{line}",
                    )
                )
    existing = [f for f in out.files if door.is_file(f)]
    if existing and not out.problems:
        out.check = promtool.check_rules(existing)
    return out


def load_alert_rules(service: Service) -> RuleSet:
    """Every file in ``stack.alert_rules``, parsed, indexed and promtool-checked once per run."""
    result: RuleSet = service.stack.memo(
        "rules", service.config.stack_paths("alert_rules"), lambda: _read_rules(service)
    )
    return result


def row_names(service: Service) -> set[str]:
    """Names that identify this row's alerts: the row name and its compose service names."""
    return {service.name, *service.spec.compose_services}


def row_rules(service: Service, ruleset: RuleSet) -> list[AlertRule]:
    """This row's rules: ``labels.service`` names the row or one of its containers, or the row's
    ``alerts`` field lists the label value, the alert name or a name prefix."""
    extra = [str(a) for a in service.spec.raw.get("alerts") or ()]
    picked: dict[int, AlertRule] = {}
    for label in (*sorted(row_names(service)), *extra):
        for rule in ruleset.by_label.get(label, []):
            picked[id(rule)] = rule
    for wanted in extra:
        for rule in ruleset.by_name.get(wanted, []):
            picked[id(rule)] = rule
        if not wanted.isidentifier() or wanted not in ruleset.by_name:
            for name, rules in ruleset.by_name.items():
                if name.startswith(wanted):
                    for rule in rules:
                        picked[id(rule)] = rule
    order = {id(r): i for i, r in enumerate(ruleset.rules)}
    return sorted(picked.values(), key=lambda r: order[id(r)])


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


_CONSUMER_CODE = re.compile(
    r"\b(xreadgroup|xread|blpop|brpop|brpoplpush|KafkaConsumer|AIOKafkaConsumer|basic_consume|basic_get|"
    r"receive_message|pull_subscription|Consumer\(|\.subscribe\(|psubscribe|consume\()"
)
_CONSUMER_COMMAND = re.compile(r"\b(celery\b.*\bworker|sidekiq|rq worker|dramatiq|kafka-console-consumer|consumer)\b")
_REPLICA = re.compile(r"replicaof|slaveof|primary_conninfo|standby|--replicate|master_host|REPLICATION_MODE", re.I)


def required_families(service: Service) -> tuple[list[str], list[str]]:
    """(families, why) of alerts this row needs, from what it does: every service a failure/down alert;
    a report or output writer a staleness alert; a queue/stream consumer, a replica or a row declared
    with lag (metrics.lag_metric) a lag alert."""
    families = ["failure"]
    why = ["failure: every service needs a down/failure alert"]
    raw = service.spec.raw
    writes = [str(r.get("path")) for r in raw.get("reports") or [] if isinstance(r, dict)]
    writes += [str(o.get("path")) for o in raw.get("outputs") or [] if isinstance(o, dict)]
    if writes or (raw.get("metrics") or {}).get("freshness_metric"):
        families.insert(0, "stale")
        what = ", ".join(writes[:2]) if writes else "a declared freshness metric"
        why.insert(0, f"stale: it writes {what}")
    lag = _lag_reason(service)
    if lag:
        families.append("lag")
        why.append(f"lag: {lag}")
    return families, why


def _lag_reason(service: Service) -> str | None:
    raw = service.spec.raw
    if (raw.get("metrics") or {}).get("lag_metric"):
        return "services.yaml declares its lag (metrics.lag_metric)"
    if service.kind in CONSUMER_KINDS:
        return f"it is a {service.kind}, which consumes a queue or stream"

    def scan() -> str | None:
        try:
            containers = service.compose_services
        except Exception:
            return None
        for container in containers:
            command = " ".join([*(container.entrypoint or []), *(container.command or [])])
            if _CONSUMER_COMMAND.search(command):
                return f"its command consumes a queue ({command[:60]})"
            env_text = " ".join(f"{k}={v}" for k, v in container.environment.items())
            if _REPLICA.search(command) or _REPLICA.search(env_text):
                return "it replicates from a primary"
        if not has_own_code(service):
            return None
        folders = []
        if raw.get("code"):
            folders.append(service.path(str(raw["code"])))
        folders += [c.build_context for c in containers if c.build_context is not None]
        for folder in dict.fromkeys(folders):
            for path in service.artifacts.files_under(folder, (".py", ".js", ".ts", ".go", ".rb", ".java")):
                if any(p in ("tests", "test", "__tests__") for p in path.parts):
                    continue
                try:
                    text = service.artifacts.text(path).text
                except ArtifactError:
                    continue
                match = _CONSUMER_CODE.search(text)
                if match:
                    line = text.count("\n", 0, match.start()) + 1
                    call = match.group(1).rstrip("(")
                    return f"its code consumes a queue or stream ({call} at {service.show(path)}:{line})"
        return None

    found: str | None = service.stack.memo("consumes", service.name, scan)
    return found


def required_categories(kind: str) -> tuple[str, ...]:
    """Kept for callers that only know a kind (the alert generator's fallback)."""
    return CATEGORIES if kind in CONSUMER_KINDS else ("stale", "failure")


# --------------------------------------------------------------------------------------------------
# observability.metrics
# --------------------------------------------------------------------------------------------------


def _target_host(target: str) -> str:
    text = re.sub(r"^[a-z]+://", "", target.strip())
    text = text.split("/", 1)[0]
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if ":" in text else text


def _prometheus_config(service: Service) -> tuple[MarkedDocument | None, str, Verdict | None]:
    rel = service.config.stack.get("prometheus_config")
    if not rel:
        return (
            None,
            "",
            Verdict.failed(
                "the stack declares no prometheus_config; declare stack.prometheus_config so scrape jobs can be "
                "checked",
                Evidence(service.spec.where, "services.yaml entry"),
                scope=Scope.STATIC_ONLY,
                fix=f"{service.config.where(('stack',))}: under stack add  "
                "prometheus_config: monitoring/prometheus.yml "
                f"(with a scrape job for {service.name})",
            ),
        )
    path = service.path(str(rel))
    shown = service.show(path)
    try:
        return service.artifacts.yaml(path), shown, None
    except ArtifactError as exc:
        return (
            None,
            shown,
            Verdict.failed(
                str(exc),
                Evidence(shown, "prometheus config"),
                scope=Scope.STATIC_ONLY,
                fix=f"{exc.path}{':' + str(exc.line) if exc.line else ''}: {exc.message}",
            ),
        )


def metrics(service: Service) -> Verdict:
    """A Prometheus scrape job covers the row: its job_name is metrics.job, or a static target is one
    of the row's containers. The live half (the endpoint parses, carries a freshness metric) comes later."""
    scope = Scope.STATIC_ONLY
    if service.kind == "gate":
        return Verdict.not_applicable("gate row has no containers to scrape")
    if service.kind == "job":
        return Verdict.not_applicable(f"{service.name} is a one-shot job: it is gone before a scrape")
    doc, shown, verdict = _prometheus_config(service)
    if verdict is not None or doc is None:
        assert verdict is not None
        return verdict
    jobs = doc.data.get("scrape_configs") if isinstance(doc.data, dict) else None
    if not isinstance(jobs, list):
        return Verdict.failed(
            f"{shown}:{doc.line_of(('scrape_configs',))}: no scrape_configs list",
            Evidence(shown, "prometheus config"),
            scope=scope,
            fix=f"{shown}:1: add  scrape_configs: [{{job_name: {service.name}, static_configs: [{{targets: "
            f"['{service.name}:PORT']}}]}}]",
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
    host = next(iter(sorted(hosts)), service.name)
    return Verdict.failed(
        f"no scrape job in {shown} for {service.name}: looked for {looked}; add a scrape job (and an exporter)",
        Evidence(f"{shown}:{doc.line_of(('scrape_configs',))}", "scrape_configs"),
        Evidence(service.spec.where, "services.yaml entry (metrics)"),
        scope=scope,
        fix=f"{shown}:{doc.line_of(('scrape_configs',))}: under scrape_configs add  "
        f"- {{job_name: {wanted_job or service.name}, static_configs: [{{targets: ['{host}:PORT']}}]}}",
    )


# --------------------------------------------------------------------------------------------------
# observability.structured-logs
# --------------------------------------------------------------------------------------------------


def _tail(service: Service, path: Path, limit: int) -> tuple[int, list[str]]:
    """The last ``limit`` lines of a file and the number of the first of them (1-based)."""
    with service.artifacts.open_binary(path) as fh:
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
    """Files matching the row's ``logs`` globs (relative to the stack root, inside it), sorted, de-duplicated."""
    found: dict[Path, None] = {}
    for pattern in service.spec.paths("logs"):
        for match in service.artifacts.glob(pattern):
            found[match] = None
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


LOG_FIX = "log one JSON object per line with a level field (e.g. python-json-logger, structlog)"


def _static_structured_logs(service: Service) -> Verdict:
    if not service.spec.compose_services and not service.spec.paths("logs"):
        return Verdict.not_applicable(f"{service.kind} row declares no logs and has no containers")
    files = log_files(service)
    if not files:
        declared = ", ".join(service.spec.paths("logs")) or "(none declared)"
        return Verdict.not_observed(
            f"no log file matches {declared}; the logs need the running stack (container logs) or a log file"
        )
    total = good = 0
    first_bad: str | None = None
    first_problem = ""
    evidence: list[Evidence] = []
    offending: list[Evidence] = []
    for path in files:
        shown = service.show(path)
        try:
            start, lines = _tail(service, path, LOG_SAMPLE_LINES)
        except ArtifactError as exc:
            offending.append(Evidence(shown, exc.message))
            first_bad = first_bad or shown
            first_problem = first_problem or exc.message
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
            fix=f"{first_bad}: {LOG_FIX}",
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


def _rules_fix(service: Service, ruleset: RuleSet, missing: Iterable[str]) -> str:
    where = f"{ruleset.shown[0]}:1" if ruleset.shown else f"{service.config.where(('stack',))}"
    names = {"stale": "Stale", "failure": "Down", "lag": "Lag"}
    wanted = ", ".join(f"{_camel(service.name)}{names[m]}" for m in missing)
    return f"{where}: add alert rules {wanted} labelled service: {service.name} ({FIX_ALERTS_HINT})"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def alerts(service: Service) -> Verdict:
    """Alert rules (accepted by promtool where installed) watch this row for what it does: every service
    for failure, a report/output writer for staleness, a queue consumer or replica for lag."""
    if service.kind == "job":
        return Verdict.not_applicable(f"{service.name} is a one-shot job: its failure shows in the run that started it")
    ruleset = load_alert_rules(service)
    required, why = required_families(service)
    if not ruleset.files:
        return Verdict.failed(
            f"the stack declares no alert_rules; declare stack.alert_rules and add rules for {service.name} "
            f"({'; '.join(why)})",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=f"{service.config.where(('stack',))}: under stack add  alert_rules: [monitoring/alerts.yml] "
            f"with {' + '.join(required)} alerts labelled service: {service.name} ({FIX_ALERTS_HINT})",
        )
    if ruleset.problems:
        return Verdict.failed(
            ruleset.problems[0],
            *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems),
            fix=ruleset.problems[0],
        )
    run = ruleset.check
    if run is not None and not run.ok:
        message = run.message(_promtool_display(ruleset))
        return Verdict.failed(
            f"promtool check rules rejects the rules: {message}",
            *(Evidence(s, "promtool check rules") for s in ruleset.shown),
            fix=f"{ruleset.shown[0]}: fix what promtool reports: {message}",
        )
    mine = row_rules(service, ruleset)
    names = sorted(row_names(service))
    if not mine:
        return Verdict.failed(
            f"no alert rule for {service.name} in {', '.join(ruleset.shown)} (none labelled service in {names}); "
            f"it needs {' + '.join(required)} ({'; '.join(why)})",
            *(Evidence(s, "alert rules") for s in ruleset.shown),
            Evidence(service.spec.where, "services.yaml entry"),
            fix=_rules_fix(service, ruleset, required),
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
        reasons = [w for w in why if w.split(":", 1)[0] in missing]
        return Verdict.failed(
            f"alert rules for {service.name} cover {', '.join(c for c in required if covered[c]) or 'nothing'} but "
            f"no {' / '.join(missing)} condition ({'; '.join(reasons)}); add a {' and a '.join(missing)} alert "
            f"labelled service: {service.name}",
            *evidence,
            fix=_rules_fix(service, ruleset, missing),
        )
    summary = "; ".join(f"{c}: {', '.join(covered[c])}" for c in required)
    return Verdict.passed(
        f"{len(mine)} alert rule(s) cover {' + '.join(required)} ({summary}); {checked}; required because "
        f"{'; '.join(why)}",
        *evidence,
    )


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


def _rule_files_of(service: Service, doc: MarkedDocument, test_path: Path) -> tuple[Path, ...]:
    data = doc.data if isinstance(doc.data, dict) else {}
    out = []
    for name in data.get("rule_files") or []:
        try:
            out.append(service.artifacts.resolve(str(name), test_path.parent))
        except ArtifactError:
            continue
    return tuple(out)


@dataclass
class AlertTests:
    """The stack's promtool test files, their cases, and one promtool run over all of them."""

    files: list[Path] = field(default_factory=list)
    cases: list[AlertTestCase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    display: dict[str, str] = field(default_factory=dict)
    run: promtool.PromtoolRun | None = None


def load_alert_tests(service: Service) -> AlertTests:
    def make() -> AlertTests:
        out = AlertTests()
        inputs: list[Path] = []
        for rel in service.config.stack_paths("alert_tests"):
            path = service.path(rel)
            shown = service.show(path)
            out.display[str(path)] = shown
            try:
                doc = service.artifacts.yaml(path)
            except ArtifactError as exc:
                out.problems.append(str(exc))
                continue
            out.files.append(path)
            inputs.extend(_rule_files_of(service, doc, path))
            out.cases.extend(_alert_test_cases(doc, shown))
        if out.files:
            out.run = promtool.run_rule_tests(out.files, inputs=tuple(inputs))
        return out

    result: AlertTests = service.stack.memo("alert-tests", service.config.stack_paths("alert_tests"), make)
    return result


def alert_tests(service: Service) -> Verdict:
    """promtool unit tests exist, pass, and fire every alert of this row (the alert fire-drill)."""
    ruleset = load_alert_rules(service)
    if ruleset.problems:
        return Verdict.failed(
            ruleset.problems[0],
            *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems),
            fix=ruleset.problems[0],
        )
    mine = row_rules(service, ruleset)
    if not mine:
        return Verdict.failed(
            f"{service.name} has no alert rules, so no alert test can fire them; add rules and promtool tests",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=_rules_fix(service, ruleset, required_families(service)[0]) + " and their promtool tests",
        )
    rels = service.config.stack_paths("alert_tests")
    if not rels:
        return Verdict.failed(
            "the stack declares no alert_tests (promtool test files); add stack.alert_tests",
            *(Evidence(r.where, r.name) for r in mine),
            fix=f"{service.config.where(('stack',))}: under stack add  alert_tests: [monitoring/alerts.test.yml] "
            f"({FIX_ALERTS_HINT} with a test that fires each alert)",
        )
    tests = load_alert_tests(service)
    problems = list(tests.problems)
    evidence = [Evidence(s, "alert tests") for s in tests.problems]
    fired = {c.alertname: c for c in tests.cases if c.fires}
    unfired = [r for r in mine if r.name not in fired]
    for rule in mine:
        if rule.name in fired:
            evidence.append(Evidence(fired[rule.name].where, f"test fires {rule.name}"))
        else:
            evidence.append(Evidence(rule.where, f"{rule.name}: no test case expects it to fire"))
    if unfired:
        problems.append(f"no promtool test fires {', '.join(r.name for r in unfired)}")
    run = tests.run
    display = {**_promtool_display(ruleset), **tests.display}
    if run is not None and not run.ok:
        problems.append(f"promtool test rules fails: {run.message(display)}")
    if problems:
        first_file = service.show(tests.files[0]) if tests.files else rels[0]
        return Verdict.failed(
            f"alert tests for {service.name}: {'; '.join(problems)}",
            *evidence,
            fix=f"{first_file}: add alert_rule_test cases whose input_series fire "
            f"{', '.join(r.name for r in unfired) or 'each alert'}, and make promtool test rules pass",
        )
    if run is None:
        return Verdict.not_observed(
            "promtool not installed: cannot run the alert unit tests "
            f"({', '.join(service.show(f) for f in tests.files)})",
            *evidence,
            scope=Scope.STATIC,
        )
    return Verdict.passed(f"promtool test rules passes and fires all {len(mine)} alert(s) of {service.name}", *evidence)


# --------------------------------------------------------------------------------------------------
# observability.dashboards
# --------------------------------------------------------------------------------------------------


def _target_exprs(node: Any) -> Iterator[str]:
    """Every ``targets[].expr`` in a dashboard (panels, nested rows, old-style rows), iteratively."""
    stack: list[Any] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            targets = item.get("targets")
            if isinstance(targets, list):
                for t in targets:
                    if isinstance(t, dict) and isinstance(t.get("expr"), str):
                        yield t["expr"]
            stack.extend(v for k, v in item.items() if k != "targets")
        elif isinstance(item, list):
            stack.extend(item)


def _line_of_metric(text: str, metric: str) -> int:
    pattern = re.compile(rf"(?<![A-Za-z0-9_:]){re.escape(metric)}(?![A-Za-z0-9_:])")
    fallback = 0
    for no, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            if '"expr"' in line:
                return no
            fallback = fallback or no
    return fallback or 1


@dataclass
class Dashboards:
    """Every charted metric of the stack's dashboards, indexed once per run: metric -> where."""

    files: list[Path] = field(default_factory=list)
    charted: dict[str, Evidence] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def load_dashboards(service: Service) -> Dashboards:
    def make() -> Dashboards:
        out = Dashboards()
        door = service.artifacts
        for rel in service.config.stack_paths("dashboards"):
            path = service.path(rel)
            if door.is_dir(path):
                out.files.extend(door.files_under(path, (".json",)))
            elif door.is_file(path):
                out.files.append(path)
            else:
                out.problems.append(f"{service.show(path)} does not exist")
        for path in out.files:
            try:
                doc = door.json(path)
            except ArtifactError as exc:
                out.problems.append(str(exc))
                continue
            title = doc.data.get("title", path.stem) if isinstance(doc.data, dict) else path.stem
            for expr in _target_exprs(doc.data):
                for m in metric_names(expr):
                    if m not in out.charted:
                        out.charted[m] = Evidence(
                            f"{doc.shown}:{_line_of_metric(doc.text, m)}", f"{m} charted on '{str(title)[:80]}'"
                        )
        return out

    result: Dashboards = service.stack.memo("dashboards", service.config.stack_paths("dashboards"), make)
    return result


def dashboards(service: Service) -> Verdict:
    """Every metric this row's alerts read, and its freshness metric, is charted on a Grafana dashboard,
    so whoever is paged can see the signal that paged them."""
    ruleset = load_alert_rules(service)
    if ruleset.problems:
        return Verdict.failed(
            ruleset.problems[0],
            *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems),
            fix=ruleset.problems[0],
        )
    wanted: dict[str, str] = {}
    for rule in row_rules(service, ruleset):
        for m in metric_names(rule.expr):
            wanted.setdefault(m, rule.where)
    freshness = (service.spec.raw.get("metrics") or {}).get("freshness_metric")
    if freshness:
        wanted.setdefault(str(freshness), f"{service.spec.where}")
    if not wanted:
        return Verdict.failed(
            f"{service.name} has no SLO metric to chart: no alert rules and no metrics.freshness_metric",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=f"{service.spec.where}: add alert rules for {service.name} (or metrics.freshness_metric), "
            "then chart them",
        )
    board = load_dashboards(service)
    problems = list(board.problems)
    if not service.config.stack_paths("dashboards"):
        problems.append("the stack declares no dashboards (Grafana dashboard JSON)")
    charted = {m: board.charted[m] for m in wanted if m in board.charted}
    missing = [m for m in wanted if m not in charted]
    evidence = list(charted.values())
    evidence += [Evidence(wanted[m], f"{m}: on no dashboard") for m in missing]
    where = service.show(board.files[0]) if board.files else service.config.where(("stack",))
    if problems:
        return Verdict.failed(
            "; ".join(problems),
            *evidence,
            *(Evidence(p.split(":", 1)[0], "dashboard") for p in problems),
            fix=f"{where}: {problems[0]}"
            if board.files
            else f"{where}: under stack add  dashboards: [monitoring/grafana/dashboards] with panels for "
            f"{', '.join(wanted)}",
        )
    if not board.files:
        return Verdict.failed(
            f"no Grafana dashboard JSON found under {', '.join(service.config.stack_paths('dashboards'))}",
            *evidence,
            fix=f"{', '.join(service.config.stack_paths('dashboards'))}: add a dashboard charting {', '.join(wanted)}",
        )
    if missing:
        return Verdict.failed(
            f"{len(missing)}/{len(wanted)} SLO metric(s) of {service.name} are on no dashboard: "
            f"{', '.join(missing)}; add panels for them",
            *evidence,
            fix=f"{where}: add panels whose targets[].expr read {', '.join(missing)}",
        )
    return Verdict.passed(
        f"all {len(wanted)} SLO metric(s) of {service.name} are charted ({', '.join(wanted)})", *evidence
    )
