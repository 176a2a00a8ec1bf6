"""Run a corpus project as a new user would (init, then an offline scorecard) and compare with its verdicts.

Used by ``tests/test_corpus.py`` (one test per project) and ``scripts/corpus_agreement.py`` (the figure).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
NOW = "2026-11-30T12:00:00Z"


@dataclass
class Outcome:
    """What one project gave: per-cell agreement and every disagreement, explained."""

    project: str
    cells: int = 0
    agreed: int = 0
    disagreements: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # disagreements VERDICTS.yaml lists as open tool gaps
    fixed: list[str] = field(default_factory=list)  # listed as open but the tool now agrees: unlist them


def projects() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*") if (p / "VERDICTS.yaml").is_file())


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "PYTEST_", "DOCKER_HOST"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, text=True, capture_output=True, timeout=600)


def evaluate(project: Path, workdir: Path) -> Outcome:
    verdicts: dict[str, Any] = yaml.safe_load((project / "VERDICTS.yaml").read_text(encoding="utf-8"))
    out = Outcome(project.name)
    work = workdir / project.name
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("VERDICTS.yaml"))
    init = _run(["-m", "pytest_readiness", "init"], work)
    if init.returncode != 0:
        out.problems.append(f"init exited {init.returncode}: {(init.stdout + init.stderr)[-400:]}")
        return out
    rows = {r["name"]: r for r in yaml.safe_load((work / "services.yaml").read_text())["services"]}
    for name, kind in (verdicts.get("kinds") or {}).items():
        if name not in rows:
            out.problems.append(f"init wrote no row for {name}")
        elif rows[name]["kind"] != kind:
            out.disagreements.append(f"{name}: init guessed kind {rows[name]['kind']}, the verdict says {kind}")
    for name in verdicts.get("absent") or []:
        if name in rows:
            out.problems.append(f"{name} must get no row (inactive profile or no replicas) but init wrote one")
    result = workdir / f"{project.name}.json"
    run = _run(["-m", "pytest", "--readiness", "--readiness-offline", f"--readiness-now={NOW}",
                f"--readiness-json={result}", "-p", "no:cacheprovider", "-q"], work)  # fmt: skip
    text = run.stdout + run.stderr
    if "Traceback" in text or run.returncode not in (0, 1):
        out.problems.append(f"pytest --readiness exited {run.returncode}: {text[-600:]}")
        return out
    data = json.loads(result.read_text())
    got = {(r["service"], r["criterion"]): r for r in data["results"]}
    for variable in verdicts.get("warnings") or []:
        if not any(variable in w for w in data.get("warnings", [])):
            out.problems.append(f"the warning about {variable} is not in the JSON warnings {data.get('warnings')}")
    for service, cells in (verdicts.get("verdicts") or {}).items():
        for criterion, want in cells.items():
            out.cells += 1
            result_of = got.get((service, criterion))
            outcome = result_of["outcome"] if result_of else "missing"
            if outcome == want["outcome"]:
                out.agreed += 1
            else:
                reason = (result_of or {}).get("reason", "")[:240]
                out.disagreements.append(
                    f"{service} {criterion}: tool {outcome}, SRE {want['outcome']} ({want.get('why', '')}); "
                    f"tool says: {reason}"
                )
    open_gaps = {str(k): str(v) for k, v in (verdicts.get("open") or {}).items()}
    for key in open_gaps:
        hits = [d for d in out.disagreements if d.startswith(key + ":") or d.startswith(key + " ")]
        if hits:
            out.known.extend(hits)
            out.disagreements = [d for d in out.disagreements if d not in hits]
        else:
            out.fixed.append(key)
    return out
