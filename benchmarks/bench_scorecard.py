"""On-demand benchmarks: wall time and peak memory of scorecard runs, and the level engine alone.

Run from the repo root with the project installed:

    python benchmarks/bench_scorecard.py [--repeat 5] [--scale 8]

Prints a Markdown table (copy it into docs/benchmarks.md with the date and machine). Nothing here is
asserted: speed is measured, never tested.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-02-27T12:00:00Z"


def timed_pytest(cwd: Path, *args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one pytest run in a fresh process."""
    wrapper = (
        "import resource, subprocess, sys, json;"
        "p = subprocess.run(sys.argv[1:], capture_output=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--readiness",
        "--readiness-now",
        NOW,
        "-q",
        "-p",
        "no:cacheprovider",
        "--readiness-json",
        os.devnull,
        *args,
    ]
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    took = time.perf_counter() - start
    return took, int(out.stdout.strip().splitlines()[-1]) // 1024


def scaled_stack(scale: int) -> Path:
    """A copy of the desk whose services.yaml declares every row ``scale`` times (13 x scale rows)."""
    work = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    shutil.copytree(ROOT / "examples", work / "examples")
    data = yaml.safe_load((ROOT / "services.yaml").read_text())
    rows = []
    for i in range(scale):
        for row in data["services"]:
            copy = dict(row, name=f"{row['name']}-{i}")
            rows.append(copy)
    data["services"] = rows
    data["slos"] = [dict(s, service=f"{s['service']}-0") for s in data.get("slos", [])]
    (work / "services.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return work


def engine_only(services: int, criteria: int) -> float:
    """Seconds for the pure level engine over services x criteria results (no pytest)."""
    sys.path.insert(0, str(ROOT))
    from pytest_readiness.levels import Criterion, ServiceTarget, checkpoint, service_level
    from pytest_readiness.results import CriterionResult, Outcome

    catalog = [Criterion(f"f.c{j}", ("L1", "L2", "L3")[j % 3], critical=j % 5 == 0) for j in range(criteria)]
    outcomes = list(Outcome)
    results = {
        (f"s{i}", c.id): CriterionResult(f"s{i}", c.id, c.level, outcomes[(i + j) % len(outcomes)], "r")
        for i in range(services)
        for j, c in enumerate(catalog)
    }
    start = time.perf_counter()
    levels = [service_level(ServiceTarget(f"s{i}", "L2"), catalog, results) for i in range(services)]
    checkpoint(levels, catalog, results)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=int, default=8)
    args = parser.parse_args()
    rows = []
    for label, cwd, extra in (
        ("desk, 13 services, serial", ROOT, ()),
        ("desk, 13 services, -n 2", ROOT, ("-n", "2")),
    ):
        runs = [timed_pytest(cwd, *extra) for _ in range(args.repeat)]
        rows.append((label, statistics.median(t for t, _ in runs), max(m for _, m in runs)))
    big = scaled_stack(args.scale)
    try:
        for label, extra in (
            (f"desk x{args.scale}, {13 * args.scale} services, serial", ()),
            (f"desk x{args.scale}, {13 * args.scale} services, -n 2", ("-n", "2")),
        ):
            runs = [timed_pytest(big, *extra) for _ in range(max(1, args.repeat // 2))]
            rows.append((label, statistics.median(t for t, _ in runs), max(m for _, m in runs)))
    finally:
        shutil.rmtree(big, ignore_errors=True)
    engine = statistics.median(engine_only(1000, 30) for _ in range(args.repeat))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    print("| run | wall time (median) | peak RSS |")
    print("|---|---:|---:|")
    for label, seconds, mib in rows:
        print(f"| {label} | {seconds:.2f} s | {mib} MiB |")
    print(f"| level engine only, 1000 services x 30 criteria | {engine * 1000:.0f} ms | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
