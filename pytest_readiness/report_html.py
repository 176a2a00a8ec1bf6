"""pytest-html (4.x) integration: the scorecard as a summary section, readiness columns in the results table.

pytest-html inserts every string these hooks hand it as raw HTML (summary, header and row cells,
the extras log), so every value from the result dict is passed through ``html.escape`` here.
The rendering functions are pure functions over the result dict (the ``--readiness-json`` data);
``HtmlScorecard`` only adapts them to pytest-html's hooks and imports nothing from pytest.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pluggy

from .render import level_label

GAP_ITEMS = 3
ARROWS = {"up": "▲", "down": "▼"}
COLUMNS = (("service", "Service"), ("criterion", "Criterion"), ("level", "Level"), ("outcome", "Outcome"))
READINESS_FIELDS = ("service", "criterion", "level", "outcome", "reason", "evidence")
NO_LOG = "No log output captured."
# pytest's own marker (pytest.hookimpl is this object), used so this module never imports pytest.
# optionalhook: registering the plugin without pytest-html (-p no:html) is not a validation error.
hookimpl = pluggy.HookimplMarker("pytest")

STYLE = """<style>
.readiness{color:#1f2328;font-size:13px;margin:8px 0 16px;max-width:1400px}
.readiness h2{font-size:18px;margin:12px 0 6px}
.readiness h3{font-size:15px;margin:14px 0 6px;color:#1f2328}
.readiness p,.readiness li{color:#1f2328}
.readiness .meta{color:#57606a;margin:2px 0 8px}
.readiness table{border-collapse:collapse;width:100%;margin:4px 0 10px}
.readiness th,.readiness td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
.readiness thead th{background:#f6f8fa}
.readiness tbody tr:nth-child(even){background:#fafbfc}
.readiness td.level{white-space:nowrap;font-weight:bold}
.readiness td.level.meets{color:#116329}
.readiness td.level.below-target{color:#a40e26;background:#ffebe9}
.readiness .verdict{font-weight:normal;font-size:11px;display:block}
.readiness ol,.readiness ul{margin:0;padding-left:18px}
.readiness code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.readiness table.scorecard th:nth-child(1){width:15%}
.readiness table.scorecard th:nth-child(5){width:22%}
.readiness .service-title{color:#57606a;font-size:11px;display:block}
.readiness .tag{font-size:11px;color:#57606a}
.readiness .critical{color:#a40e26;font-weight:bold;font-size:11px}
.readiness .status-fresh{color:#116329}
.readiness .status-stale,.readiness .status-missing{color:#a40e26;font-weight:bold}
.readiness .status-unknown{color:#9a6700}
.readiness .change-up{color:#116329}
.readiness .change-down{color:#a40e26;font-weight:bold}
.readiness .gate{font-size:15px;font-weight:bold;padding:4px 8px;display:inline-block;border:2px solid}
.readiness .gate-pass{color:#116329;border-color:#116329}
.readiness .gate-fail{color:#a40e26;border-color:#a40e26}
#results-table td.col-level,#results-table td.col-outcome{white-space:nowrap}
#results-table td.readiness-failed,#results-table td.readiness-error{color:#a40e26}
#results-table td.readiness-passed,#results-table td.readiness-waived{color:#116329}
@media print{
 body{min-width:0;color:#000}
 .readiness{font-size:10pt;max-width:none}
 .readiness table{page-break-inside:auto}
 .readiness tr{break-inside:avoid;page-break-inside:avoid}
 .readiness thead{display:table-header-group}
 .readiness td.level.below-target{background:none}
 .readiness tbody tr:nth-child(even){background:none}
}
</style>"""


def esc(value: object) -> str:
    """Any value as HTML text (quotes too, so it is also safe inside an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def _label(level: object, names: Mapping[str, str] | None = None) -> str:
    """``L1.5 (Desk-Soak+)``; an unknown string is shown as it is."""
    try:
        return level_label(str(level), names)
    except (ValueError, KeyError):
        return str(level)


def _class_token(value: object) -> str:
    """A safe CSS class fragment from a word like ``not_observed``."""
    return re.sub(r"[^a-z0-9_-]", "", str(value).lower())


def _changes(result: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    changes = result.get("changes")
    return changes if isinstance(changes, Mapping) else {}


def _service_rows(result: Mapping[str, Any]) -> Iterable[str]:
    changes = _changes(result)
    names = result.get("level_names")
    for s in result.get("services", []):
        name = s.get("name", "")
        title = s.get("title") or ""
        head = f"<code>{esc(name)}</code>"
        if title and title != name:
            head += f'<span class="service-title">{esc(title)}</span>'
        meets = bool(s.get("meets_target"))
        change = changes.get(name, {})
        arrow = ARROWS.get(str(change.get("direction", "")), "")
        moved = ""
        if arrow:
            direction = _class_token(change.get("direction"))
            moved = f' <span class="change-{direction}" title="was {esc(change.get("previous"))}">{arrow}</span>'
        verdict = "meets target" if meets else "below target"
        level = (
            f'<td class="level {"meets" if meets else "below-target"}">{esc(_label(s.get("level", ""), names))}{moved}'
            f'<span class="verdict">{verdict}</span></td>'
        )
        gaps = list(s.get("gaps", []))[:GAP_ITEMS]
        items = []
        for g in gaps:
            tags = [str(g.get("level", ""))]
            if g.get("scope") == "static only":
                tags.append("static only")
            critical = ' <span class="critical">critical</span>' if g.get("critical") else ""
            items.append(
                f'<li><code>{esc(g.get("criterion"))}</code> <span class="tag">[{esc(", ".join(tags))}]</span>'
                f"{critical}<br>{esc(g.get('reason'))}</li>"
            )
        more = int(s.get("open_gaps", len(gaps)) or 0) - len(gaps)
        gap_html = f"<ol>{''.join(items)}</ol>" if items else "-"
        if more > 0:
            gap_html += f'<span class="tag">(+{more} more)</span>'
        evidence = s.get("evidence") or []
        ev_html = "<ul>" + "".join(f"<li><code>{esc(e)}</code></li>" for e in evidence) + "</ul>" if evidence else "-"
        yield (
            f'<tr class="{"meets" if meets else "below-target"}"><td>{head}</td><td>{esc(s.get("target"))}</td>'
            f"{level}<td>{gap_html}</td><td>{ev_html}</td></tr>"
        )


def scorecard_table(result: Mapping[str, Any]) -> str:
    """Service / Component, Target, Level (class ``below-target`` when under target), top 3 gaps, Evidence."""
    head = "".join(
        f"<th>{h}</th>" for h in ("Service / Component", "Target", "Level", "Biggest gaps (top 3)", "Evidence")
    )
    return (
        f'<table class="scorecard"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(_service_rows(result))}</tbody></table>"
    )


def changes_section(result: Mapping[str, Any]) -> str:
    """Each service whose level moved since the last run (▲/▼), plus new and removed ones; empty if none."""
    changes = _changes(result)
    if not changes:
        return ""
    items = []
    same = 0
    for name, change in changes.items():
        direction = str(change.get("direction", ""))
        prev, cur = change.get("previous"), change.get("current")
        if direction == "same":
            same += 1
            continue
        if direction in ARROWS:
            text = f"{esc(prev)} {ARROWS[direction]} {esc(cur)}"
            note = " (regressed since the last run)" if direction == "down" else ""
            line = f'<span class="change-{direction}">{text}</span>{note}'
        elif direction == "new":
            line = f"new at {esc(cur)}"
        elif direction == "removed":
            line = f"removed (was {esc(prev)})"
        else:
            line = f"{esc(prev)} → {esc(cur)}"
        items.append(f"<li><code>{esc(name)}</code>: {line}</li>")
    if same:
        items.append(f"<li>{same} service{'s' if same != 1 else ''} unchanged</li>")
    return f'<h3>Changes since the last run</h3><ul class="changes">{"".join(items)}</ul>'


def waived_section(result: Mapping[str, Any]) -> str:
    """Results an unexpired waiver covers: they count as passed, so they stay visible."""
    waived = [r for r in result.get("results", []) if r.get("outcome") == "waived"]
    if not waived:
        return ""
    items = "".join(
        f"<li><code>{esc(r.get('service'))}</code> <code>{esc(r.get('criterion'))}</code> "
        f'<span class="tag">[{esc(r.get("level"))}]</span> {esc(r.get("reason"))}</li>'
        for r in waived
    )
    return f"<h3>Waived (count as passed until they expire)</h3><ul>{items}</ul>"


def slo_table(result: Mapping[str, Any]) -> str:
    """The SLO and alert ownership matrix with each evidence report's status."""
    slos = result.get("slos", [])
    if not slos:
        return "<h3>SLO and alert ownership matrix</h3><p>(no SLO rows declared)</p>"
    head = "".join(
        f"<th>{h}</th>" for h in ("Domain", "Baseline SLO", "Alert Trigger", "Alert", "Owner", "Evidence", "Status")
    )
    rows = []
    for r in slos:
        status = _class_token(r.get("status", ""))
        rows.append(
            f"<tr><td>{esc(r.get('domain'))}</td><td>{esc(r.get('objective') or '-')}</td>"
            f"<td>{esc(r.get('trigger') or '-')}</td><td><code>{esc(r.get('alert') or '-')}</code></td>"
            f"<td>{esc(r.get('owner') or '-')}</td><td><code>{esc(r.get('evidence'))}</code></td>"
            f'<td><span class="status-{status}">{esc(r.get("status"))}</span>: {esc(r.get("detail", ""))}</td></tr>'
        )
    return (
        f'<h3>SLO and alert ownership matrix</h3><table class="slo"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def checkpoint_section(result: Mapping[str, Any]) -> str:
    """Overall level, why not the next level (blocking criteria), below-target services, gate PASS/FAIL."""
    cp = result.get("checkpoint", {})
    services = result.get("services", [])
    names = result.get("level_names")
    weakest = ", ".join(str(w) for w in cp.get("weakest", [])) or "-"
    parts = [
        "<h3>Decision checkpoint</h3>",
        f"<p>Overall: <strong>{esc(_label(cp.get('overall', ''), names))}</strong>, the median of {len(services)} "
        f"services; weakest: {esc(weakest)}</p>",
    ]
    blocking = cp.get("blocking") or {}
    if cp.get("next_level") and blocking:
        items = "".join(
            f"<li><code>{esc(criterion)}</code> fails for {len(names)}: {esc(', '.join(map(str, names)))}</li>"
            for criterion, names in blocking.items()
        )
        parts.append(f"<p>Not yet {esc(_label(cp['next_level'], names))} because:</p><ul>{items}</ul>")
    below = [s for s in services if not s.get("meets_target")]
    if below:
        text = ", ".join(f"{s.get('name')} {s.get('level')} < {s.get('target')}" for s in below)
        parts.append(f"<p>Below target ({len(below)} of {len(services)}): {esc(text)}</p>")
    below_lines = set(cp.get("below_target", []))
    others = [r for r in cp.get("reasons", []) if not str(r).startswith("not yet ") and r not in below_lines]
    notes = [f"note: {n}" for n in result.get("notes", [])]
    if others or notes:
        parts.append("<ul>" + "".join(f"<li>{esc(r)}</li>" for r in [*others, *notes]) + "</ul>")
    scope = []
    if result.get("offline"):
        scope.append("offline: live parts not observed")
    if result.get("partial"):
        scope.append("partial run")
    gate = "PASS" if cp.get("gate") == "PASS" else "FAIL"
    suffix = f" ({esc('; '.join(scope))})" if scope else ""
    parts.append(f'<p><span class="gate gate-{gate.lower()}">Gate: {gate}</span>{suffix}</p>')
    return "".join(parts)


def render_summary(result: Mapping[str, Any]) -> str:
    """The whole readiness section for pytest-html's summary: style, scorecard, changes, SLOs, checkpoint."""
    meta = f"Stack <strong>{esc(result.get('stack'))}</strong>, evaluated at {esc(result.get('evaluated_at'))}"
    if result.get("config"):
        meta += f" from <code>{esc(result.get('config'))}</code>"
    return (
        f'{STYLE}<section class="readiness" id="readiness-scorecard"><h2>Readiness scorecard</h2>'
        f'<p class="meta">{meta}</p>{scorecard_table(result)}{changes_section(result)}{waived_section(result)}'
        f"{slo_table(result)}{checkpoint_section(result)}</section>"
    )


def unavailable(reason: str) -> str:
    """What the summary shows when there is no scorecard to render."""
    head = '<section class="readiness" id="readiness-scorecard"><h2>Readiness scorecard</h2>'
    return f"{head}<p>{esc(reason)}</p></section>"


def readiness_info(report: Any) -> dict[str, Any] | None:
    """The readiness fields of a test report: ``report.readiness``, else its user_properties; None if neither."""
    raw = getattr(report, "readiness", None)
    if isinstance(raw, Mapping) and raw.get("criterion"):
        return dict(raw)
    props: dict[str, Any] = {}
    for item in getattr(report, "user_properties", None) or []:
        if isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2 and item[0] in READINESS_FIELDS:
            props[str(item[0])] = item[1]
    return props if props.get("criterion") else None


def header_cells() -> list[str]:
    """Sortable pytest-html header cells; ``data-column-type`` matches each row cell's ``col-<name>`` class."""
    return [f'<th class="sortable" data-column-type="{key}">{title}</th>' for key, title in COLUMNS]


def row_cells(info: Mapping[str, Any] | None) -> list[str]:
    """Service, Criterion, Level, Outcome cells (empty ones for a test that is not a criterion).

    The text stays on one line: pytest-html reads a sortable cell's value with ``<td.*?>(.*?)</td>``.
    """
    cells = []
    for key, _ in COLUMNS:
        value = " ".join(str(info.get(key, "") or "").split()) if info else ""
        extra = f" readiness-{_class_token(value)}" if key == "outcome" and value else ""
        cells.append(f'<td class="col-{key}{extra}">{esc(value)}</td>')
    return cells


def _evidence_text(evidence: Any) -> str:
    if isinstance(evidence, str):
        return evidence
    parts = []
    for e in evidence or []:
        if isinstance(e, Mapping):
            detail = e.get("detail")
            parts.append(f"{e.get('location', '')}{f' ({detail})' if detail else ''}")
        else:
            parts.append(str(e))
    return "; ".join(parts)


def detail_log(info: Mapping[str, Any]) -> str:
    """One escaped block for the row's log area: the reason a person can act on and the evidence."""
    head = f"readiness: {info.get('service', '')} {info.get('criterion', '')} [{info.get('level', '')}]"
    lines = [f"{head} {info.get('outcome', '')}: {info.get('reason', '')}"]
    evidence = _evidence_text(info.get("evidence"))
    if evidence:
        lines.append(f"evidence: {evidence}")
    return esc("\n".join(lines)) + "\n"


def _insert_at(cells: list[str], marker: str) -> int:
    """Just after the test id column (so other plugins' appended columns keep their place)."""
    for i, cell in enumerate(cells):
        if marker in str(cell):
            return i + 1
    return len(cells)


class HtmlScorecard:
    """pytest-html hooks. Register on the controller only, and only when pytest-html is active.

    ``get_result`` returns the final, redacted result dict (None when there is none). It is called
    once, from ``pytest_html_results_summary`` (inside pytest-html's own ``pytest_sessionfinish``);
    it must compute the scorecard if that has not happened yet. ``stack_name`` sets the report
    title; the title hook runs at session start, before any result exists, so it never calls
    ``get_result``.
    """

    def __init__(self, get_result: Callable[[], Mapping[str, Any] | None], stack_name: str | None = None) -> None:
        self.get_result = get_result
        self.stack_name = stack_name

    @hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        if self.stack_name:
            # The title goes through pytest-html's Jinja template, which escapes it: no esc() here.
            report.title = f"Readiness: {self.stack_name}"

    @hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        if getattr(getattr(getattr(session, "config", None), "option", None), "collectonly", False):
            return
        try:
            result = self.get_result()
        except Exception as exc:  # the HTML report must still be written; the reporter raises it again
            prefix.append(unavailable(f"the readiness scorecard could not be computed: {type(exc).__name__}: {exc}"))
            return
        if result is None:
            prefix.append(unavailable("no readiness scorecard was computed for this run"))
            return
        prefix.append(render_summary(result))

    @hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        at = _insert_at(cells, 'data-column-type="testId"')
        cells[at:at] = header_cells()

    @hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        if not cells:  # another plugin dropped this row
            return
        at = _insert_at(cells, 'class="col-testId"')
        cells[at:at] = row_cells(readiness_info(report))

    @hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report: Any, data: list[str]) -> None:
        info = readiness_info(report)
        if info is None:
            return
        # Failures and skips already show the reason in pytest's own text; add it where they do not.
        if str(info.get("reason", "")) in str(getattr(report, "longreprtext", "") or ""):
            return
        if data == [NO_LOG]:
            data.clear()
        data.insert(0, detail_log(info))


__all__ = [
    "HtmlScorecard",
    "header_cells",
    "readiness_info",
    "render_summary",
    "row_cells",
]
