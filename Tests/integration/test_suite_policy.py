"""The suite's own rules (conftest.py): a skip not declared in EXPECTED_SKIPS fails the run, a
missing prerequisite fails its test, and the counts reach scripts/test through
$IMAGECAT_PYTEST_SUMMARY. Each case runs an inner pytest session on a small test file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import tool_env

INNER = '''
import pytest
from conftest import missing_prerequisite

def test_passes():
    pass

def test_declared_skip():
    pytest.skip("needs two CPUs (this machine has one)")
'''


def inner_session(tmp_path: Path, source: str) -> tuple[int, dict, str]:
    """(exit status, counts written by conftest, output) of pytest on `source`."""
    (tmp_path / "test_inner.py").write_text(source)
    summary = tmp_path / "summary.json"
    env = tool_env(Path(__file__).parent)
    env["IMAGECAT_PYTEST_SUMMARY"] = str(summary)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                          str(tmp_path / "test_inner.py")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)  # quiet: 2.7 s
    return run.returncode, json.loads(summary.read_text()), run.stdout + run.stderr


def test_declared_skips_pass_and_are_counted(tmp_path):
    status, counts, output = inner_session(tmp_path, INNER)
    assert status == 0, output
    assert counts == {"passed": 1, "failed": 0, "skipped": 1, "expected_skips": 1,
                      "unexpected_skips": []}


def test_an_undeclared_skip_fails_the_run(tmp_path):
    status, counts, output = inner_session(tmp_path, INNER + '''
def test_undeclared_skip():
    pytest.skip("some tool is not installed")
''')
    assert status == 1, output
    assert counts["passed"] == 1 and counts["skipped"] == 2 and counts["expected_skips"] == 1
    assert counts["unexpected_skips"] == ["test_inner.py::test_undeclared_skip: some tool is not installed"]
    assert "skips not declared as expected" in output


def test_a_missing_prerequisite_fails_its_test(tmp_path):
    status, counts, output = inner_session(tmp_path, INNER + '''
def test_needs_a_browser():
    missing_prerequisite("no chromium on PATH")
''')
    assert status == 1, output
    assert counts["failed"] == 1 and counts["unexpected_skips"] == []
    assert "prerequisite missing: no chromium on PATH" in output
