"""pytest-html integration: the scorecard summary, readiness columns, escaping, and a real report end to end."""

from __future__ import annotations

import copy
import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_readiness.report_html import (
    HtmlScorecard,
    header_cells,
    readiness_info,
    render_summary,
    row_cells,
)
from tests.engines import engine_missing

NOW = "2026-02-27T12:00:00Z"
XSS = "<script>document.title='PWNED'</script>"
ATTR_XSS = "\"'><img src=x onerror=alert(1)>"
VOID = {"br", "wbr", "img", "input", "meta", "link", "hr"}
# Tags the renderer itself writes; a value smuggling in any other tag shows up as a stranger here.
OWN_TAGS = {
    "style", "section", "h2", "h3", "p", "strong", "code", "span", "br",
    "table", "thead", "tbody", "tr", "th", "td", "ol", "ul", "li",
}  # fmt: skip
PYTEST_HTML_DEFAULT_HEADER = [
    '<th class="sortable" data-column-type="result">Result</th>',
    '<th class="sortable" data-column-type="testId">Test</th>',
    '<th class="sortable" data-column-type="duration">Duration</th>',
    "<th>Links</th>",
]


class TagCheck(HTMLParser):
    """Collects tag names and checks every non-void tag is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> TagCheck:
    checker = TagCheck()
    checker.feed(fragment)
    checker.close()
    return checker


def small() -> dict[str, Any]:
    """A hand-made result: one service below target, one meeting it, an SLO row, a waiver, changes."""
    return {
        "schema_version": 1,
        "stack": "mini",
        "config": "services.yaml",
        "evaluated_at": "2026-02-27T12:00:00+00:00",
        "offline": True,
        "partial": False,
        "services": [
            {
                "name": "api", "title": "Public API", "target": "L2", "level": "L1", "meets_target": False,
                "gaps": [
                    {"criterion": "runtime.healthcheck-liveness", "level": "L2", "reason": "pings redis only",
                     "critical": True, "scope": "static only"},
                    {"criterion": "data.retention", "level": "L2", "reason": "no max-size", "critical": False},
                    {"criterion": "build.lockfile-pinned", "level": "L2", "reason": "redis unpinned"},
                ],
                "open_gaps": 5,
                "evidence": ["compose/docker-compose.yml"],
            },
            {"name": "worker", "target": "L1", "level": "L1.5", "meets_target": True, "gaps": [], "evidence": []},
        ],
        "results": [
            {"service": "worker", "criterion": "data.backup-restore", "level": "L2", "outcome": "waived",
             "reason": "waived until 2026-03-10: drill booked", "evidence": []},
        ],
        "slos": [
            {"domain": "Parity freshness", "service": "api", "objective": "age <= 10 min", "trigger": "stale report",
             "alert": "ParityStale", "owner": "Desk Ops", "evidence": "reports/parity/latest.json",
             "status": "stale", "detail": "age 2h (max 10m)"},
        ],
        "checkpoint": {
            "overall": "L1", "weakest": ["api"], "next_level": "L2",
            "blocking": {"runtime.healthcheck-liveness": ["api"]}, "gate": "FAIL",
            "reasons": ["not yet L2: ...", "api: L1 < target L2", "critical criterion failed: x"],
            "below_target": ["api: L1 < target L2"],
        },
        "notes": ["history: skipped h/1.json: not valid JSON"],
        "changes": {
            "api": {"previous": "L1.5", "current": "L1", "direction": "down"},
            "worker": {"previous": "L1", "current": "L1.5", "direction": "up"},
            "gone": {"previous": "L2", "current": None, "direction": "removed"},
        },
    }  # fmt: skip


def strings_replaced(value: Any, payload: str) -> Any:
    """Every string (keys of services/changes included) with the payload appended."""
    if isinstance(value, str):
        return value + payload
    if isinstance(value, dict):
        return {(k + payload if k not in TOP_KEYS else k): strings_replaced(v, payload) for k, v in value.items()}
    if isinstance(value, list):
        return [strings_replaced(v, payload) for v in value]
    return value


TOP_KEYS = {
    "schema_version", "stack", "config", "evaluated_at", "offline", "partial", "services", "results", "slos",
    "checkpoint", "notes", "changes", "name", "title", "target", "level", "meets_target", "gaps", "open_gaps",
    "evidence", "criterion", "reason", "critical", "scope", "service", "outcome", "domain", "objective", "trigger",
    "alert", "owner", "status", "detail", "overall", "weakest", "next_level", "blocking", "gate", "reasons",
    "below_target", "previous", "current", "direction",
}  # fmt: skip


# --- the summary section, pure over the result dict ---------------------------------------------------------------


def test_desk_summary_shows_every_service_its_level_and_the_checkpoint(desk: dict[str, Any]) -> None:
    out = render_summary(desk)
    checker = parse(out)
    assert checker.errors == []
    assert checker.stack == []
    assert checker.tags <= OWN_TAGS
    assert "<h2>Readiness scorecard</h2>" in out
    for header in ("Service / Component", "Target", "Level", "Biggest gaps (top 3)", "Evidence"):
        assert f"<th>{header}</th>" in out
    for service in desk["services"]:
        assert f"<code>{service['name']}</code>" in out
    below = [s for s in desk["services"] if not s["meets_target"]]
    assert below, "the desk has services below target"
    assert out.count('<td class="level below-target">') == len(below)
    assert out.count('<td class="level meets">') == len(desk["services"]) - len(below)
    assert "L1.5 (Desk-Soak+)" in out
    assert "Overall: <strong>L1.5 (Desk-Soak+)</strong>" in out
    assert "Not yet L2 (Semi-Pro Prod) because:" in out
    assert "<code>runtime.healthcheck-liveness</code> fails for" in out
    assert 'class="gate gate-fail">Gate: FAIL<' in out
    for header in ("Domain", "Baseline SLO", "Alert Trigger", "Owner"):
        assert f"<th>{header}</th>" in out
    for slo in desk["slos"]:
        assert html.escape(slo["domain"]) in out


def test_top_three_gaps_with_reasons_and_the_rest_counted() -> None:
    out = render_summary(small())
    api_row = out.split("<code>api</code>", 1)[1].split("</tr>", 1)[0]
    assert api_row.count("<li>") == 3 + 1  # three gaps, one evidence pointer
    assert "pings redis only" in api_row
    assert "[L2, static only]" in api_row
    assert '<span class="critical">critical</span>' in api_row
    assert "(+2 more)" in api_row
    assert "<code>compose/docker-compose.yml</code>" in api_row
    assert "below target" in api_row
    assert '<span class="service-title">Public API</span>' in api_row


def test_changes_since_the_last_run_are_marked() -> None:
    out = render_summary(small())
    assert "<h3>Changes since the last run</h3>" in out
    assert '<span class="change-down">L1.5 ▼ L1</span> (regressed since the last run)' in out
    assert '<span class="change-up">L1 ▲ L1.5</span>' in out
    assert "<code>gone</code>: removed (was L2)" in out
    assert '<span class="change-down" title="was L1.5">▼</span>' in out  # beside the level in the table
    without = small()
    del without["changes"]
    assert "Changes since the last run" not in render_summary(without)
    assert "▼" not in render_summary(without)


def test_same_levels_are_summed_up_not_listed() -> None:
    data = small()
    data["changes"] = {
        "api": {"previous": "L1", "current": "L1", "direction": "same"},
        "worker": {"previous": "L1.5", "current": "L1.5", "direction": "same"},
    }
    out = render_summary(data)
    assert "<li>2 services unchanged</li>" in out
    assert "▲" not in out
    assert "▼" not in out


def test_waivers_slo_status_notes_and_scope_are_visible() -> None:
    out = render_summary(small())
    assert "Waived (count as passed until they expire)" in out
    assert "drill booked" in out
    assert '<span class="status-stale">stale</span>: age 2h (max 10m)' in out
    assert "<li>critical criterion failed: x</li>" in out
    assert "<li>note: history: skipped h/1.json: not valid JSON</li>" in out
    assert "Below target (1 of 2): api L1 &lt; L2</p>" in out  # escaped
    assert "Gate: FAIL</span> (offline: live parts not observed)" in out


def test_a_passing_gate_reads_pass() -> None:
    data = small()
    data["checkpoint"]["gate"] = "PASS"
    assert 'class="gate gate-pass">Gate: PASS<' in render_summary(data)


def test_unknown_gate_values_never_read_pass() -> None:
    data = small()
    data["checkpoint"]["gate"] = "PASS<b>"
    assert "Gate: FAIL" in render_summary(data)


@pytest.mark.parametrize("payload", [XSS, ATTR_XSS, "</td></tr></table><script>x()</script>"])
def test_every_value_is_escaped(payload: str) -> None:
    data = strings_replaced(small(), payload)
    out = render_summary(data)
    checker = parse(out)
    assert checker.tags <= OWN_TAGS, checker.tags - OWN_TAGS
    assert checker.errors == []
    assert payload not in out
    assert html.escape(payload) in out
    # The text a browser shows still carries the payload, as text.
    assert payload in "".join(checker.text)


def test_desk_every_value_is_escaped(desk: dict[str, Any]) -> None:
    out = render_summary(strings_replaced(copy.deepcopy(desk), XSS))
    assert XSS not in out
    assert parse(out).tags <= OWN_TAGS


# --- results table columns ---------------------------------------------------------------------------------------


INFO = {"service": "api", "criterion": "demo.reachable", "level": "L1", "outcome": "failed", "reason": XSS}


def hydrate(header: list[str], cells: list[str]) -> dict[str, str]:
    """What pytest-html 4.2's _hydrate_data stores for sorting (copied logic)."""
    data = {}
    for index, cell in enumerate(cells):
        if "sortable" in header[index]:
            name = re.search(r"col-(\w+)", cell)
            value = re.search(r"<td.*?>(.*?)</td>", cell)
            if name and value:
                data[name.group(1)] = value.group(1)
    return data


def test_columns_are_sortable_the_way_pytest_html_reads_them() -> None:
    header, cells = header_cells(), row_cells(INFO)
    assert [re.search(r'data-column-type="(\w+)"', h).group(1) for h in header] == [  # type: ignore[union-attr]
        "service", "criterion", "level", "outcome",
    ]  # fmt: skip
    assert hydrate(header, cells) == {
        "service": "api",
        "criterion": "demo.reachable",
        "level": "L1",
        "outcome": "failed",
    }
    assert 'class="col-outcome readiness-failed"' in cells[3]


def test_plain_tests_get_empty_cells() -> None:
    cells = row_cells(None)
    assert cells == [
        '<td class="col-service"></td>', '<td class="col-criterion"></td>',
        '<td class="col-level"></td>', '<td class="col-outcome"></td>',
    ]  # fmt: skip


def test_cell_values_are_escaped_and_on_one_line() -> None:
    cells = row_cells({"service": "a\nb", "criterion": XSS, "level": "L1", "outcome": 'x" onclick="y'})
    joined = "".join(cells)
    assert "<script>" not in joined
    assert "&lt;script&gt;" in joined
    assert "\n" not in joined
    assert 'onclick="' not in joined
    assert ">a b<" in cells[0]


def test_readiness_info_from_the_report_attribute_or_user_properties() -> None:
    assert readiness_info(SimpleNamespace(readiness=dict(INFO), user_properties=[])) == INFO
    props = [("service", "api"), ("criterion", "demo.reachable"), ("level", "L1"), ("outcome", "passed"), ("x", 1)]
    assert readiness_info(SimpleNamespace(user_properties=props)) == {
        "service": "api", "criterion": "demo.reachable", "level": "L1", "outcome": "passed",
    }  # fmt: skip
    assert readiness_info(SimpleNamespace(user_properties=[("foo", "bar")])) is None
    assert readiness_info(SimpleNamespace()) is None


def test_hooks_keep_the_table_rectangular_and_insert_after_the_test_id() -> None:
    plugin = HtmlScorecard(lambda: None)
    header = list(PYTEST_HTML_DEFAULT_HEADER)
    plugin.pytest_html_results_table_header(header)
    assert len(header) == 8
    assert 'data-column-type="testId"' in header[1]
    assert 'data-column-type="service"' in header[2]
    for report in (SimpleNamespace(readiness=dict(INFO)), SimpleNamespace(user_properties=[])):
        cells = [
            '<td class="col-result">Failed</td>', '<td class="col-testId">t::x</td>',
            '<td class="col-duration">1 ms</td>', '<td class="col-links"></td>',
        ]  # fmt: skip
        plugin.pytest_html_results_table_row(report, cells)
        assert len(cells) == len(header)
        assert cells[2].startswith('<td class="col-service"')
        assert cells[-1] == '<td class="col-links"></td>'
    dropped: list[str] = []
    plugin.pytest_html_results_table_row(SimpleNamespace(readiness=dict(INFO)), dropped)
    assert dropped == []  # a row another plugin removed stays removed


def test_the_log_area_gets_reason_and_evidence_only_when_pytest_did_not_show_them() -> None:
    plugin = HtmlScorecard(lambda: None)
    info = dict(INFO, outcome="passed", reason="api answers <ok>", evidence=[{"location": "a.yml:3", "detail": "d"}])
    data = ["No log output captured."]
    plugin.pytest_html_results_table_html(SimpleNamespace(readiness=info, longreprtext=""), data)
    assert len(data) == 1
    assert "readiness: api demo.reachable [L1] passed: api answers &lt;ok&gt;" in data[0]
    assert "evidence: a.yml:3 (d)" in data[0]
    shown = ["E   AssertionError: api answers <ok>\n"]
    plugin.pytest_html_results_table_html(SimpleNamespace(readiness=info, longreprtext="api answers <ok>"), shown)
    assert len(shown) == 1
    plain = ["log"]
    plugin.pytest_html_results_table_html(SimpleNamespace(user_properties=[]), plain)
    assert plain == ["log"]


def test_summary_hook_states() -> None:
    session = SimpleNamespace(config=SimpleNamespace(option=SimpleNamespace(collectonly=False)))
    prefix: list[str] = []
    HtmlScorecard(small).pytest_html_results_summary(prefix, [], [], session)
    assert len(prefix) == 1
    assert "<h2>Readiness scorecard</h2>" in prefix[0]
    assert "<style>" in prefix[0]

    prefix = []
    HtmlScorecard(lambda: None).pytest_html_results_summary(prefix, [], [], session)
    assert "no readiness scorecard was computed" in prefix[0]

    def broken() -> dict[str, Any]:
        raise RuntimeError(XSS)

    prefix = []
    HtmlScorecard(broken).pytest_html_results_summary(prefix, [], [], session)
    assert "RuntimeError" in prefix[0]
    assert XSS not in prefix[0]

    calls: list[int] = []
    collect_only = SimpleNamespace(config=SimpleNamespace(option=SimpleNamespace(collectonly=True)))
    prefix = []
    HtmlScorecard(lambda: calls.append(1) or small()).pytest_html_results_summary(prefix, [], [], collect_only)
    assert prefix == []
    assert calls == []  # --collect-only never computes a scorecard


def test_title_hook_uses_the_stack_name_and_never_asks_for_the_result() -> None:
    def must_not_run() -> dict[str, Any]:
        raise AssertionError("the title hook runs at session start, before any result exists")

    report = SimpleNamespace(title="report.html")
    HtmlScorecard(must_not_run, "desk").pytest_html_report_title(report)
    assert report.title == "Readiness: desk"  # pytest-html's Jinja template escapes it
    untouched = SimpleNamespace(title="report.html")
    HtmlScorecard(must_not_run).pytest_html_report_title(untouched)
    assert untouched.title == "report.html"


# --- end to end: pytest --readiness --html ----------------------------------------------------------------------

STACK_NAME = "demo <img src=x onerror=\"document.title='HACKED'\">"
SERVICES = f"""\
version: 1
stack:
  name: {json.dumps(STACK_NAME)}
  root: stack
services:
  - name: api
    kind: service
    target: L1
  - name: worker
    kind: worker
    target: L1
"""
CRITERIA = f"""\
import pytest

@pytest.mark.readiness(id="demo.reachable", level="L1", critical=True)
def test_reachable(service):
    assert service.name != "worker", {XSS!r}

@pytest.mark.readiness(id="demo.polished", level="L2")
def test_polished(service):
    assert service.name == "nobody", f"{{service.name}} is not polished"

def test_plain_helper_is_not_collected_with_readiness():
    pass
"""


@pytest.fixture
def html_stack(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nreadiness_builtin = false\n")
    (pytester.path / "stack").mkdir()
    pytester.makefile(".yaml", services=SERVICES)
    pytester.makepyfile(test_criteria=CRITERIA)
    return pytester


def blob(report: str) -> dict[str, Any]:
    match = re.search(r'data-jsonblob="([^"]*)"', report)
    assert match, "pytest-html's data blob is missing"
    data: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return data


def rows(data: dict[str, Any]) -> Iterator[list[str]]:
    for tests in data["tests"].values():
        for test in tests:
            yield test["resultsTableRow"]


def run_html(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    result = pytester.runpytest_subprocess(
        "--readiness", "--readiness-now", NOW, "--html=report.html", "--self-contained-html", *args
    )
    path = pytester.path / "report.html"
    return result, path.read_text(encoding="utf-8") if path.exists() else ""


def test_html_report_carries_the_scorecard_and_readiness_columns(html_stack: pytest.Pytester) -> None:
    result, report = run_html(html_stack)
    assert result.ret == 1, result.stdout.str()  # worker fails a critical L1 criterion: gate FAIL
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert report, "pytest-html wrote no report"
    assert XSS not in report
    assert "<img src=x" not in report
    summary = report.split('id="readiness-scorecard"', 1)[1].split("</section>", 1)[0]
    assert "<h2>Readiness scorecard</h2>" in summary
    assert "<code>api</code>" in summary
    assert "<code>worker</code>" in summary
    assert '<td class="level below-target">L0 (Prototype)' in summary
    assert "Gate: FAIL" in summary
    assert "demo &lt;img src=x onerror=" in summary
    for key in ("service", "criterion", "level", "outcome"):
        assert f'data-column-type="{key}"' in report
    data = blob(report)
    header_len = report.split('id="results-table-head"', 1)[1].split("</thead>", 1)[0].count("<th")
    table = list(rows(data))
    assert len(table) == 4
    assert {len(r) for r in table} == {header_len}
    cells = {c for r in table for c in r}
    assert '<td class="col-criterion">demo.reachable</td>' in cells
    assert '<td class="col-service">worker</td>' in cells
    assert '<td class="col-outcome readiness-failed">failed</td>' in cells
    worker = next(t for tests in data["tests"].values() for t in tests if "test_reachable[worker]" in t["testId"])
    assert "&lt;script&gt;document.title=" in worker["log"]
    assert XSS not in worker["log"]
    # Sorting data pytest-html extracted from the cells.
    assert worker["service"] == "worker"
    assert worker["level"] == "L1"


def test_html_report_with_collect_only_has_no_scorecard(html_stack: pytest.Pytester) -> None:
    result, report = run_html(html_stack, "--collect-only")
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert "readiness scorecard" not in result.stdout.str()
    assert "Readiness scorecard" not in report


def test_without_pytest_html_the_run_still_works(html_stack: pytest.Pytester) -> None:
    result = html_stack.runpytest_subprocess("--readiness", "--readiness-now", NOW, "-p", "no:html")
    assert result.ret == 1
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*Gate: FAIL*"])


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        engine_missing("chromium is not installed (apt-get install -y chromium)")
    return found


def test_chromium_renders_the_levels_and_runs_no_planted_script(html_stack: pytest.Pytester) -> None:
    browser = chromium()
    result, report = run_html(html_stack)
    assert report, result.stdout.str()
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         f"--user-data-dir={html_stack.path / 'chrome'}", "--virtual-time-budget=3000", "--dump-dom",
         (html_stack.path / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = proc.stdout
    assert "<body" in dom, proc.stderr[-2000:]
    head = dom.split("<body", 1)[0]
    title = re.search(r"<title[^>]*>(.*?)</title>", head, re.S)
    assert title, head
    assert title.group(1) not in ("PWNED", "HACKED")  # neither planted script set document.title
    assert "PWNED" not in head
    assert "L0 (Prototype)" in dom
    assert "L1 (Pilot)" in dom
    # pytest-html's JavaScript built the results table with the readiness columns.
    assert re.search(r'<td class="col-criterion">demo\.reachable</td>', dom)
    assert re.search(r'<td class="col-service">worker</td>', dom)
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom
