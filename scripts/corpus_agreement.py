"""Print how often the tool agrees with the SRE verdicts of the test corpus (cells agreeing / all cells).

python scripts/corpus_agreement.py [-v]
"""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus_harness import evaluate, projects


def main() -> int:
    verbose = "-v" in sys.argv
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda p: evaluate(p, Path(tmp)), projects()))
    cells = sum(o.cells for o in outcomes)
    agreed = sum(o.agreed for o in outcomes)
    for o in outcomes:
        print(
            f"{o.project:24} {o.agreed:4}/{o.cells:<4} cells agree"
            + (f"; {len(o.problems)} problem(s)" if o.problems else "")
            + (f"; {len(o.known)} known open gap(s)" if o.known else "")
        )
        if verbose:
            for line in o.problems + o.disagreements + [f"(open) {k}" for k in o.known]:
                print(f"    {line}")
    print(
        f"agreement: {agreed}/{cells} cells ({100 * agreed / cells if cells else 0:.1f}%) over {len(outcomes)} projects"
    )
    return 0 if agreed == cells and not any(o.problems for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
