"""Stacks the project has never seen: each corpus project, init then an offline scorecard, agrees with the
verdicts an SRE wrote beside it (``tests/corpus/*/VERDICTS.yaml``, written before the tool was run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus_harness import evaluate, projects
from tests.engines import require_promtool

PROJECTS = projects()


def test_the_corpus_has_at_least_15_projects() -> None:
    assert len(PROJECTS) >= 15


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_the_tool_agrees_with_the_sre(project: Path, tmp_path: Path) -> None:
    require_promtool()
    outcome = evaluate(project, tmp_path)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert not outcome.fixed, f"listed under open: in VERDICTS.yaml but the tool now agrees: {outcome.fixed}"
    assert not outcome.disagreements, f"{outcome.agreed}/{outcome.cells} cells agree:\n" + "\n".join(
        outcome.disagreements
    )
