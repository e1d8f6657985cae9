"""scripts/build-bootstrap is the one way `bootstrap` gets built: it prints the binary's path and
nothing else, shows the build's output only when the build fails, and every command script and
the tests' conftest go through it (debug or release chosen by the caller, one scratch path)."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO_ROOT

HELPER = REPO_ROOT / "scripts" / "build-bootstrap"
# The commands that run bootstrap, and the one that builds every target for the unit tests.
CALLERS = ("invoke", "demo", "storm", "bench", "gallery", "local-api", "package", "test")
SWIFT_BUILD = re.compile(r"""^[^#]*\bswift build\b|["']swift["'],\s*["']build["']""")


def run_helper(*args: str) -> subprocess.CompletedProcess:
    # An up-to-date build: quiet ≤ 1.6 s (the build itself was done by scripts/test or conftest).
    return subprocess.run([str(HELPER), *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=600)


def test_prints_only_the_path_of_the_debug_binary(bootstrap_path):
    run = run_helper()
    assert run.returncode == 0, run.stderr
    path = run.stdout.strip()
    assert run.stdout == path + "\n" and path.endswith("/debug/bootstrap"), run.stdout
    shown = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO_ROOT, capture_output=True,
                           text=True, timeout=120, check=True).stdout.strip()  # quiet: 0.9 s
    assert path == f"{shown}/bootstrap"


def test_a_failed_build_shows_swifts_output_and_prints_no_path():
    run = run_helper("--", "--no-such-swift-build-flag")
    assert run.returncode == 1 and run.stdout == ""
    assert "--no-such-swift-build-flag" in run.stderr and "build-bootstrap:" in run.stderr
    bad = run_helper("--fast")
    assert bad.returncode == 2 and "unknown argument --fast" in bad.stderr


def test_every_command_and_the_tests_build_through_it():
    for name in CALLERS:
        text = (REPO_ROOT / "scripts" / name).read_text()
        assert "scripts/build-bootstrap" in text, f"scripts/{name} does not use scripts/build-bootstrap"
    assert "build-bootstrap" in (REPO_ROOT / "Tests" / "integration" / "conftest.py").read_text()
    # Nobody else runs `swift build` (scripts/test's step builds every target and test at once).
    builders = []
    for path in [*(REPO_ROOT / "scripts").rglob("*"), *(REPO_ROOT / "Tests" / "integration").glob("*.py")]:
        if path.is_file() and "__pycache__" not in path.parts and path != HELPER:
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if SWIFT_BUILD.search(line) and "--build-tests" not in line and "--show-bin-path" not in line:
                    builders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert builders == [], builders
