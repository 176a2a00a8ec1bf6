"""Run Prometheus's own ``promtool`` on rule files, bounded by a timeout.

Alert rules are only trustworthy when Prometheus itself accepts them, so the observability
checks defer to promtool whenever it is installed. A missing promtool is reported as such
(``None``), never as a pass; a hung promtool becomes a failed run, never a hung session.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class PromtoolRun:
    """What one promtool invocation said: exit status and its combined output."""

    args: tuple[str, ...]
    returncode: int
    output: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def message(self, display: dict[str, str] | None = None) -> str:
        """The one line that says why promtool rejected the input (paths shown as the user knows them)."""
        if self.timed_out:
            return f"promtool {' '.join(self.args[:2])} timed out"
        lines = [ln.strip() for ln in self.output.splitlines() if ln.strip()]
        noise = ("Checking ", "Unit Testing:", "FAILED:", "SUCCESS")
        useful = [ln for ln in lines if not ln.startswith(noise)]
        text = "; ".join(useful[:3]) or (lines[-1] if lines else f"exit status {self.returncode}")
        for raw, shown in (display or {}).items():
            text = text.replace(raw, shown)
        return text if len(text) <= 400 else text[:397] + "..."


_CACHE: dict[tuple[tuple[str, ...], tuple[tuple[str, int, int], ...]], PromtoolRun] = {}


def promtool_path() -> str | None:
    """Where promtool is on PATH, or None."""
    return shutil.which("promtool")


def _stamp(files: tuple[Path, ...]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), -1, -1))
    return tuple(out)


def run_promtool(
    subcommand: tuple[str, ...], files: list[Path], *, inputs: tuple[Path, ...] = (), timeout: float = DEFAULT_TIMEOUT
) -> PromtoolRun | None:
    """``promtool SUBCOMMAND FILES...``; None when promtool is not installed.

    Results are cached per (arguments, file stamps) since every row asks about the same files;
    ``inputs`` are further files whose change must invalidate the cache (a test's rule files).
    """
    exe = promtool_path()
    if exe is None:
        return None
    args = (*subcommand, *(str(f) for f in files))
    key = (args, _stamp((*files, *inputs)))
    if key in _CACHE:
        return _CACHE[key]
    cwd = files[0].parent if files else None
    try:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False)
        result = PromtoolRun(args, proc.returncode, (proc.stdout or "") + "\n" + (proc.stderr or ""))
    except subprocess.TimeoutExpired:
        result = PromtoolRun(args, -1, "", timed_out=True)
    except OSError as exc:
        result = PromtoolRun(args, -1, f"promtool could not run: {exc}")
    _CACHE[key] = result
    return result


def check_rules(files: list[Path], *, timeout: float = DEFAULT_TIMEOUT) -> PromtoolRun | None:
    """``promtool check rules``: syntax, PromQL and template validity of rule files."""
    return run_promtool(("check", "rules"), files, timeout=timeout)


def run_rule_tests(
    files: list[Path], *, inputs: tuple[Path, ...] = (), timeout: float = DEFAULT_TIMEOUT
) -> PromtoolRun | None:
    """``promtool test rules``: run alert unit tests (rule files are resolved beside each test file)."""
    return run_promtool(("test", "rules"), files, inputs=inputs, timeout=timeout)
