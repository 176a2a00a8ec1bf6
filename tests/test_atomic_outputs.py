"""pytest's own reports (--junitxml, --html) are written whole or not at all, even under kill -9."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pytest_readiness.atomic_outputs import STALE_AFTER_SECONDS, remove_stale_temp_files

SERVICES = """\
version: 1
stack:
  name: demo
  root: stack
services:
  - name: api
    kind: service
    target: L1
"""
CRITERION = """\
import pytest

@pytest.mark.readiness(id="demo.ok", level="L1")
def test_ok(service):
    pass
"""


@pytest.fixture
def stack(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nreadiness_builtin = false\n")
    (pytester.path / "stack").mkdir()
    pytester.makefile(".yaml", services=SERVICES)
    pytester.makepyfile(test_criteria=CRITERION)
    return pytester


def test_junit_and_html_are_complete_and_no_temp_file_is_left(stack: pytest.Pytester) -> None:
    result = stack.runpytest("--readiness", "--junitxml=out/junit.xml", "--html=out/report.html")
    out = stack.path / "out"
    assert (out / "junit.xml").read_text().rstrip().endswith("</testsuites>")
    assert (out / "report.html").read_text().rstrip().endswith("</html>")
    assert not list(out.glob(".*.tmp"))
    result.stdout.fnmatch_lines([f"*generated xml file: {out / 'junit.xml'}*"])


def test_a_kill_during_the_junit_write_leaves_the_previous_report_whole(stack: pytest.Pytester) -> None:
    previous = "<?xml version='1.0'?><testsuites><testsuite name='previous'/></testsuites>\n"
    (stack.path / "junit.xml").write_text(previous)
    stack.makeconftest(
        """
        import os, signal
        from _pytest import junitxml

        def killed_mid_write(self, session):
            with open(self.logfile, "w") as handle:
                handle.write("<?xml version='1.0'?><testsuites><testsu")
                handle.flush()
                os.kill(os.getpid(), signal.SIGKILL)

        junitxml.LogXML.pytest_sessionfinish = killed_mid_write
        """
    )
    result = stack.runpytest_subprocess("--readiness", "--junitxml=junit.xml", "-p", "no:cacheprovider")
    assert result.ret == -9
    assert (stack.path / "junit.xml").read_text() == previous


def test_stale_temp_files_of_a_killed_run_are_removed_fresh_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "junit.xml"
    old, fresh, other = (tmp_path / ".junit.xml.1.tmp", tmp_path / ".junit.xml.2.tmp", tmp_path / ".other.1.tmp")
    for path in (old, fresh, other):
        path.write_text("half")
    long_ago = time.time() - STALE_AFTER_SECONDS - 5
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    assert remove_stale_temp_files(target) == [old]
    assert fresh.exists()
    assert other.exists()
