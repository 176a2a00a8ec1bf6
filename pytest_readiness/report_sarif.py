"""The gaps as SARIF 2.1.0, for GitHub code scanning and any other SARIF viewer.

A pure function over the result dict (what ``--readiness-json`` writes). Every failed or errored result
becomes a SARIF result; a waived one becomes a ``note`` with an external suppression, so it stays visible.

Locations: the first evidence entry shaped ``path:LINE`` gives the region; a path without a line gives a
file-level location. GitHub rejects a whole SARIF file if any result lacks a location, so a result whose
evidence is only URLs (live probes) or empty is anchored to the stack's config file, where the service is
declared, without a region.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from .files import dump_json

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "dump_sarif", "render_sarif", "split_location"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "pytest-readiness"
BASE_ID = "SRCROOT"
REPORTED = ("failed", "error", "waived")

_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_URI_SAFE = "/!$&'()*+,;=:@-._~"


def split_location(location: str) -> tuple[str, int | None] | None:
    """``"a/b.yml:12"`` -> ``("a/b.yml", 12)``; ``"a/b.yml"`` -> ``("a/b.yml", None)``; a URL -> ``None``.

    The path is split on the LAST colon only when digits follow it, so ``C:/x.yml:3`` keeps its drive.
    """
    location = location.strip()
    if not location or _URL.match(location):
        return None
    match = _LINE.match(location)
    if match:
        line = int(match.group("line"))
        return match.group("path"), line if line >= 1 else None
    return location, None


def _artifact(path: str) -> dict[str, Any]:
    """A relative path is relative to the project root (``%SRCROOT%``); an absolute one becomes a file URI."""
    if PureWindowsPath(path).is_absolute() and not path.startswith("/"):
        return {"uri": PureWindowsPath(path).as_uri()}
    if path.startswith("/"):
        return {"uri": PurePosixPath(path).as_uri()}
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix, safe=_URI_SAFE), "uriBaseId": BASE_ID}


def _location(path: str, line: int | None, message: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(path)}
    if line is not None:
        physical["region"] = {"startLine": line}
    out: dict[str, Any] = {"physicalLocation": physical}
    if message:
        out["message"] = {"text": message}
    return out


def _locations(
    evidence: Sequence[Mapping[str, Any]], fallback: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(``locations``: the single best place, ``relatedLocations``: every located evidence entry)."""
    split = [(e, split_location(str(e.get("location", "")))) for e in evidence]
    located = [(e, s) for e, s in split if s is not None]
    lined = [(e, s) for e, s in located if s[1] is not None]
    related = [{"id": i, **_location(s[0], s[1], str(e.get("detail") or "") or None)} for i, (e, s) in enumerate(lined)]
    with_line = [s for _, s in located if s[1] is not None]
    best = with_line[0] if with_line else located[0][1] if located else None
    if best is not None:
        return [_location(*best)], related
    if fallback:
        return [_location(fallback, None)], related
    return [], related


def _rules(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One reportingDescriptor per catalog criterion, plus any criterion only the results mention."""
    seen: dict[str, Mapping[str, Any]] = {}
    for c in result.get("criteria") or []:
        seen.setdefault(str(c["id"]), c)
    for r in result.get("results") or []:
        seen.setdefault(str(r["criterion"]), {"id": r["criterion"], "level": r["level"], "critical": r.get("critical")})
    rules = []
    for cid, c in seen.items():
        critical = bool(c.get("critical"))
        title = str(c.get("title") or "") or cid
        rules.append(
            {
                "id": cid,
                "name": cid,
                "shortDescription": {"text": title},
                "defaultConfiguration": {"level": "error" if critical else "warning"},
                "properties": {
                    "level": str(c.get("level", "")),
                    "critical": critical,
                    "tags": ["readiness", cid.split(".", 1)[0], str(c.get("level", ""))],
                },
            }
        )
    return rules


_ADD_FIX = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+): under services\.(?P<svc>\S+) add  (?P<text>.+)$")


def _fixes(fix: str | None, uri_of: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    """SARIF ``fixes`` for a fix that is a text edit: ``FILE:LINE: under services.NAME add  KEY: VALUE``
    inserts the key under the service's line (compose's usual four-space indent)."""
    match = _ADD_FIX.match(fix or "")
    if match is None:
        return []
    line = int(match.group("line"))
    return [
        {
            "description": {"text": fix},
            "artifactChanges": [
                {
                    "artifactLocation": uri_of(match.group("path")),
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": line + 1,
                                "startColumn": 1,
                                "endLine": line + 1,
                                "endColumn": 1,
                            },
                            "insertedContent": {"text": f"    {match.group('text')}\n"},
                        }
                    ],
                }
            ],
        }
    ]


def render_sarif(result: Mapping[str, Any], *, tool_version: str) -> dict[str, Any]:
    """SARIF 2.1.0 log with one run: a rule per criterion, a result per failed/errored/waived check.

    Serialise it with :func:`dump_sarif` so markup in a reason never appears raw in the file.
    """
    rules = _rules(result)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    fallback = str(result.get("config") or "") or None
    results = []
    for r in result.get("results") or []:
        outcome = str(r.get("outcome"))
        if outcome not in REPORTED:
            continue
        criterion = str(r["criterion"])
        rule = rules[index[criterion]]
        level = "note" if outcome == "waived" else rule["defaultConfiguration"]["level"]
        prefix = "check error: " if outcome == "error" else ""
        locations, related = _locations(r.get("evidence") or [], fallback)
        entry: dict[str, Any] = {
            "ruleId": criterion,
            "ruleIndex": index[criterion],
            "level": level,
            "message": {"text": f"{r['service']}: {prefix}{r.get('reason', '')}"},
            "locations": locations,
            "partialFingerprints": {"readinessResult/v1": f"{r['service']}|{criterion}"},
            "properties": {
                "service": str(r["service"]),
                "level": str(r["level"]),
                "outcome": outcome,
                "critical": bool(r.get("critical")),
                **({"scope": str(r["scope"])} if r.get("scope") else {}),
                **({"nodeid": str(r["nodeid"])} if r.get("nodeid") else {}),
            },
        }
        if not locations:
            del entry["locations"]
        if related:
            entry["relatedLocations"] = related
        if r.get("fix"):
            entry["properties"]["fix"] = str(r["fix"])
            fixes = _fixes(str(r["fix"]), _artifact)
            if fixes:
                entry["fixes"] = fixes
        if outcome == "waived":
            entry["suppressions"] = [{"kind": "external", "justification": str(r.get("reason", ""))}]
        results.append(entry)
    cp: Mapping[str, Any] = result.get("checkpoint") or {}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL_NAME, "version": tool_version, "rules": rules}},
        "automationDetails": {"id": f"{TOOL_NAME}/{result.get('stack', '')}/"},
        "originalUriBaseIds": {BASE_ID: {"description": {"text": "The project root (pytest's rootdir)."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "stack": str(result.get("stack", "")),
            "evaluatedAt": str(result.get("evaluated_at", "")),
            "overall": str(cp.get("overall", "")),
            "gate": str(cp.get("gate", "")),
            "offline": bool(result.get("offline")),
            "partial": bool(result.get("partial")),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def dump_sarif(sarif: Mapping[str, Any]) -> str:
    """JSON text of the log with ``<``, ``>`` and ``&`` as ``\\u`` escapes: same data, no raw markup in the file."""
    return dump_json(sarif)
