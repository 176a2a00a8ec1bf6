"""The Markdown scorecard: the seed's layout over the real desk result, and escaping of hostile values."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from markdown_it import MarkdownIt

from pytest_readiness.report_markdown import md_cell, md_link, render_markdown

XSS = "<script>document.title='PWNED'</script>"
SCORECARD_HEADER = "| Service / Component | Current Level | Biggest Gaps (Top 3) | Evidence |"
SLO_HEADER = "| Domain | Baseline SLO | Alert Trigger | Owner | Evidence |"


def tables(markdown: str) -> list[list[list[str]]]:
    """Each GFM table as rows of cell texts (header row first), the way a renderer sees it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    out: list[list[list[str]]] = []
    row: list[str] = []
    inside = False
    for tok in tokens:
        if tok.type in ("table_open", "table_close"):
            inside = tok.type == "table_open"
            if inside:
                out.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and inside:
            row.append(tok.content)
        elif tok.type == "tr_close":
            out[-1].append(row)
    return out


def html(markdown: str) -> str:
    rendered: str = MarkdownIt("commonmark").enable("table").render(markdown)
    return rendered


def small_result(**overrides: Any) -> dict[str, Any]:
    """A hand-made result dict in the --readiness-json shape."""
    result: dict[str, Any] = {
        "schema_version": 1,
        "tool": "pytest-readiness",
        "stack": "mini",
        "config": "services.yaml",
        "evaluated_at": "2026-02-27T12:00:00+00:00",
        "generated_at": "2026-03-01T08:09:10+00:00",
        "offline": False,
        "partial": False,
        "criteria": [
            {"id": "runtime.healthcheck-liveness", "level": "L2", "critical": True, "title": ""},
            {"id": "data.retention", "level": "L2", "critical": False, "title": ""},
        ],
        "services": [
            {
                "name": "api",
                "title": "API gateway",
                "target": "L2",
                "level": "L1",
                "meets_target": False,
                "gaps": [
                    {
                        "criterion": "runtime.healthcheck-liveness",
                        "level": "L2",
                        "reason": "healthcheck is connectivity-only",
                        "outcome": "failed",
                        "critical": True,
                        "scope": "static only",
                    },
                    {"criterion": "data.retention", "level": "L2", "reason": "no max-size", "outcome": "failed"},
                ],
                "open_gaps": 5,
                "evidence": ["compose/docker-compose.yml"],
            },
            {
                "name": "db",
                "target": "L1",
                "level": "L2",
                "meets_target": True,
                "gaps": [],
                "open_gaps": 0,
                "evidence": [],
            },
        ],
        "results": [
            {
                "service": "db",
                "criterion": "data.retention",
                "level": "L2",
                "outcome": "waived",
                "reason": "waived until 2026-03-31 by ops: migration pending",
                "evidence": [{"location": "services.yaml:40", "detail": "waiver"}],
            }
        ],
        "slos": [
            {
                "domain": "API freshness",
                "service": "api",
                "objective": "report age <= 5 min",
                "trigger": "stale report",
                "alert": None,
                "owner": None,
                "evidence": "reports/api.json",
                "status": "missing",
                "detail": "file not found",
            }
        ],
        "checkpoint": {
            "overall": "L1.5",
            "weakest": ["api"],
            "next_level": "L2",
            "blocking": {"runtime.healthcheck-liveness": ["api"], "data.retention": ["api", "db"]},
            "gate": "FAIL",
            "reasons": ["not yet L2: ...", "api: L1 < target L2", "critical failure: api runtime.healthcheck-liveness"],
            "below_target": ["api: L1 < target L2"],
        },
        "notes": ["live probes skipped"],
    }
    result.update(overrides)
    return result


# --- the desk, in the seed's layout ---------------------------------------------------------------------------


def test_scorecard_table_uses_the_seed_columns_with_a_row_per_service(desk: dict[str, Any]) -> None:
    md = render_markdown(desk)
    lines = md.splitlines()
    at = lines.index(SCORECARD_HEADER)
    assert "## Service-by-Service Scorecard" in lines[:at]
    assert lines[at + 1] == "|---|---:|---|---|"
    table = tables(md)[0]
    assert table[0] == ["Service / Component", "Current Level", "Biggest Gaps (Top 3)", "Evidence"]
    rows = {r[0]: r for r in table[1:]}
    assert len(rows) == len(desk["services"]) == 13
    assert all(len(r) == 4 for r in table)
    assert rows["Hummingbot bots (bot1, bot4)"][1] == "L1 · target L2"
    assert rows["event-store-service"][1] == "L1.5 · target L2"
    assert rows["Promotion gates"][1] == "L2 · target L2"


def test_gaps_are_criterion_reason_pairs_with_short_reasons(desk: dict[str, Any]) -> None:
    md = render_markdown(desk)
    row = next(line for line in md.splitlines() if line.startswith("| signal-service |"))
    gaps = row.split(" | ")[2]
    assert gaps.startswith("observability.alerts: no alert rule for signal-service")
    assert "; runtime.healthcheck-liveness \\[static only\\]: healthcheck of 'signal-service'" in gaps
    assert "; slo.freshness: no freshness SLO covers signal-service" in gaps
    assert gaps.endswith("(+15 more)")  # 12 + the three L3 live/drill criteria, not observed
    service = next(s for s in desk["services"] if s["name"] == "signal-service")
    for gap in service["gaps"]:
        assert gap["reason"][:60] in gaps.replace("\\", "")
    long_reason = next(g["reason"] for g in service["gaps"] if len(g["reason"]) > 130)
    assert long_reason not in gaps.replace("\\", "")
    assert long_reason[:119] + "…" in gaps.replace("\\", "")


def test_evidence_is_a_relative_link(desk: dict[str, Any]) -> None:
    md = render_markdown(desk)
    row = next(line for line in md.splitlines() if line.startswith("| signal-service |"))
    assert row.endswith("| [examples/desk/compose/docker-compose.yml](examples/desk/compose/docker-compose.yml) |")
    assert '<a href="examples/desk/reports/reconciliation/latest.json">' in html(md)


def test_slo_matrix_shows_objective_trigger_alert_owner_and_status(desk: dict[str, Any]) -> None:
    md = render_markdown(desk)
    assert SLO_HEADER in md.splitlines()
    assert "## SLO and Alert Ownership Matrix" in md
    slo = tables(md)[1]
    assert slo[0] == ["Domain", "Baseline SLO", "Alert Trigger", "Owner", "Evidence"]
    rows = {r[0]: r for r in slo[1:]}
    assert len(rows) == len(desk["slos"])
    event = rows["Event-store integrity"]
    assert event[1] == "integrity report age &lt;= 15 min, missing correlation = 0"
    assert event[2] == "stale integrity or missing correlation &gt; 0 (alert EventStoreIntegrityStale)"
    assert event[3] == "Desk Ops"
    assert "**stale: age 5d 2h (max 15m)**" in event[4]
    assert "[examples/desk/reports/event_store/integrity_20260222.json]" in event[4]
    assert "fresh: age 6m (max 10m)" in rows["Reconciliation freshness"][4]


def test_decision_checkpoint_names_level_blockers_below_target_and_gate(desk: dict[str, Any]) -> None:
    md = render_markdown(desk)
    section = md.split("## Decision Checkpoint", 1)[1].split("\n## ", 1)[0]
    assert "Current desk stack readiness: **L1.5 overall (Desk-Soak+)**." in section
    assert "Not yet Semi-Pro Prod (L2) because:" in section
    blockers = [line for line in section.splitlines() if line.startswith("  - ")]
    assert len(blockers) == len(desk["checkpoint"]["blocking"])
    assert blockers[0].startswith("  - runtime.healthcheck-liveness (critical) fails for 10 services: hummingbot-bots")
    assert "Below target (11 of 13): hummingbot-bots L1 &lt; L2" in section
    assert "**FAIL**" in section


def test_output_is_deterministic_and_shows_no_generation_time(desk: dict[str, Any]) -> None:
    other = copy.deepcopy(desk)
    other["generated_at"] = "2030-01-01T00:00:00+00:00"
    md = render_markdown(desk)
    assert md == render_markdown(other)
    assert desk["generated_at"] not in md
    assert "2026-02-27T12:00:00+00:00" in md.splitlines()[2]
    assert md.startswith("# Production Readiness Scorecard: desk stack\n")


# --- changes since the last run -------------------------------------------------------------------------------


def test_changes_since_the_last_run_show_arrows_and_the_previous_level() -> None:
    result = small_result(
        changes={
            "api": {"previous": "L2", "current": "L1", "direction": "down"},
            "db": {"previous": "L1.5", "current": "L2", "direction": "up"},
            "gone": {"previous": "L1", "current": None, "direction": "removed"},
        }
    )
    rows = {r[0]: r for r in tables(render_markdown(result))[0][1:]}
    assert rows["API gateway"][1] == "L1 ▼ (was L2) · target L2"
    assert rows["db"][1] == "L2 ▲ (was L1.5) · target L1"
    assert "Removed since the last run: gone (was L1)" in render_markdown(result)

    same = small_result(changes={"api": {"previous": "L1", "current": "L1", "direction": "same"}})
    assert tables(render_markdown(same))[0][1][1] == "L1 · target L2"
    new = small_result(changes={"api": {"previous": None, "current": "L1", "direction": "new"}})
    assert tables(render_markdown(new))[0][1][1] == "L1 (new) · target L2"


# --- a small hand-made result ---------------------------------------------------------------------------------


def test_small_result_renders_every_section() -> None:
    md = render_markdown(small_result())
    score, slo = tables(md)
    assert score[1] == [
        "API gateway",
        "L1 · target L2",
        "runtime.healthcheck-liveness \\[static only\\]: healthcheck is connectivity-only; "
        "data.retention: no max-size (+3 more)",
        "[compose/docker-compose.yml](compose/docker-compose.yml)",
    ]
    assert score[2] == ["db", "L2 · target L1", "none", "-"]
    assert slo[1][2] == "stale report (no alert named)"
    assert slo[1][3] == "unassigned"
    assert slo[1][4] == "[reports/api.json](reports/api.json) — **missing: file not found**"
    assert "- Current mini stack readiness: **L1.5 overall (Pilot+)**." in md
    assert "  - runtime.healthcheck-liveness (critical) fails for 1 service: api" in md
    assert "  - data.retention fails for 2 services: api, db" in md
    assert "- critical failure: api runtime.healthcheck-liveness" in md
    assert "- Note: live probes skipped" in md
    assert "## Waivers" in md
    assert "db data.retention \\[L2\\]: waived until 2026-03-31 by ops: migration pending" in md
    assert "## Gaps to Target" in md
    assert "### API gateway (L1, target L2)" in md


def test_top_level_and_passing_gate() -> None:
    result = small_result(
        services=[small_result()["services"][1]],
        slos=[],
        results=[],
        notes=[],
        offline=True,
        checkpoint={"overall": "L3", "next_level": None, "blocking": {}, "gate": "PASS", "reasons": []},
    )
    md = render_markdown(result)
    assert "**L3 overall (Hardened)**" in md
    assert "Not yet" not in md
    assert "All 1 services meet their target." in md
    assert "No SLO rows are declared" in md
    assert "- Promotion gate: **PASS** (offline: live parts not observed)." in md
    assert "## Waivers" not in md
    assert "## Gaps to Target" not in md


# --- escaping -------------------------------------------------------------------------------------------------


def test_hostile_values_are_escaped_and_keep_the_tables_intact() -> None:
    result = small_result()
    api = result["services"][0]
    api["title"] = "API | `gateway`\nsecond line"
    api["gaps"][0]["reason"] = XSS + " a|b `x` *y* [z](javascript:alert(1)) &amp;"
    api["evidence"] = ["reports/a b(1).json", "javascript:alert(1)", "docs/x|y.md"]
    result["slos"][0]["domain"] = "Fresh | <b>ness</b>"
    result["slos"][0]["owner"] = "ops\n| x | y |"
    result["checkpoint"]["blocking"] = {XSS: ["api"]}
    result["notes"] = [XSS]
    result["stack"] = "<img src=x onerror=alert(1)>"
    md = render_markdown(result)

    assert XSS not in md
    assert "<img" not in md
    rendered = html(md)
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "<b>" not in rendered
    assert 'href="javascript:' not in rendered
    score, slo = tables(md)
    assert [len(r) for r in score] == [4, 4, 4]
    assert [len(r) for r in slo] == [5, 5]
    assert score[1][0] == "API | \\`gateway\\` second line"  # the table parser has already removed the pipe's escape
    assert "| API \\| \\`gateway\\` second line |" in md
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in score[1][2]
    assert "&amp;amp;" in score[1][2]
    assert "[reports/a b(1).json](reports/a%20b%281%29.json)" in score[1][3]
    assert "javascript:alert(1)" in score[1][3]
    assert "](javascript" not in score[1][3]
    assert "[docs/x|y.md](docs/x%7Cy.md)" in score[1][3]
    assert slo[1][0] == "Fresh | &lt;b&gt;ness&lt;/b&gt;"
    assert slo[1][3] == "ops | x | y |"
    assert "PWNED" in rendered  # shown as text, not dropped


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("reports/latest.json", "[reports/latest.json](reports/latest.json)"),
        ("services.yaml:88", "[services.yaml:88](services.yaml#L88)"),
        (
            "https://grafana.example/d/x?a=1&b=2",
            "[https://grafana.example/d/x?a=1&b=2](https://grafana.example/d/x?a=1&b=2)",
        ),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("/abs/path/file.log", "[/abs/path/file.log](/abs/path/file.log)"),
        ("", "-"),
    ],
)
def test_md_link(location: str, expected: str) -> None:
    assert md_link(location) == expected


def test_md_cell_escapes_markdown_syntax_but_keeps_words_readable() -> None:
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("x <y> & z") == "x &lt;y&gt; & z"
    assert md_cell("&lt;") == "&amp;lt;"
    assert md_cell("line\nbreak\r\n  tabs\t") == "line break tabs"
    assert md_cell("`code`") == "\\`code\\`"
    assert md_cell("insufficient_data _emph_") == "insufficient_data \\_emph\\_"
    assert md_cell("a\\b") == "a\\\\b"
