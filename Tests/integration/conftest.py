"""Shared fixtures for the integration tests: a real local S3 server, buckets, the built
bootstrap binary, and S3 event records shaped like the ones Lambda delivers.

Fixtures:
    s3_server       (session)  one running imagecat_tools.s3_server.S3Server for the whole run
    s3              (session)  boto3 S3 client for it
    bucket          (function) a fresh, uniquely named, empty bucket; removed afterwards
    bootstrap_path  (session)  path of the built `bootstrap` executable
    sigv4_sign_path (session)  path of the built `sigv4-sign` tool, from the same build
    s3_record       (function) the `s3_event_record` helper below

Helpers (import with `from conftest import ...`):
    s3_encode_key(key, encode_slash=False) -> str
    s3_event_record(bucket, key, *, size, etag, event_name, sequencer, ...) -> dict
    s3_event(*records) -> {"Records": [...]}
    run_tool(module, *args, **run_kwargs)  runs `python3 -m imagecat_tools.MODULE` in a child
    tool_env(*extra_paths) -> dict         os.environ with scripts/ (and extra) on PYTHONPATH
    user_record_key(sub) -> str            where the API keeps a user's record (users/sha256/...)
    missing_prerequisite(message)          fails: what scripts/setup provides is not there

The tooling (scripts/imagecat_tools) is importable because pytest.ini here puts scripts/ on
sys.path (`pythonpath`); child Pythons get it through tool_env().

Skips: a skip must be declared in EXPECTED_SKIPS below (a reason that depends on the chosen S3
backend or the machine, not on what is installed); any other skip fails the session, and
the counts (passed, failed, skipped, unexpected skips) are written as JSON to
$IMAGECAT_PYTEST_SUMMARY when that is set (scripts/test prints them in its last line).

Environment:
    IMAGECAT_BOOTSTRAP      use this bootstrap instead of building one (scripts/build-bootstrap);
                            the tools, e.g. sigv4-sign, are then taken from the same folder
    IMAGECAT_SCRATCH_PATH   SwiftPM scratch path for that build (default .build)
    IMAGECAT_S3_SERVER      "seaweedfs" (default, the reference) or "moto"
    IMAGECAT_PYTEST_SUMMARY where to write the counts as JSON (see Skips)
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import NoReturn

import pytest

from imagecat_tools.paths import REPO_ROOT, SCRIPTS
from imagecat_tools.s3_server import S3Server

# S3 notification builders live in imagecat_tools.s3_events (the demo and the storm use them
# too); re-exported here under the names the tests use.
from imagecat_tools.s3_events import (TEMPLATE_ETAG, TEMPLATE_SEQUENCER, next_sequencer,  # noqa: F401
                                      encode_key as s3_encode_key, event as s3_event,
                                      record as s3_event_record)

EXPECTED_SKIPS = {
    "does not check signatures": "moto (IMAGECAT_S3_SERVER=moto) accepts any signature",
    "port layout is specific to weed mini": "only SeaweedFS has weed mini's ports",
    "needs a server that refuses ./ keys": "moto stores ./ keys as given, so there is no refusal to isolate",
    "needs a server that enforces If-Match on a multipart completion": "moto completes over any version",
    "needs two CPUs": "CPU placement cannot be measured on one CPU",
    "needs cgroup v1 cpu and memory groups as root": "the Lambda-shaped box is made of cgroup v1 groups",
}
"""Skip reasons (substrings) that are fine: they depend on the chosen S3 backend or the machine's
shape. Every other skip (something missing) fails the session."""


# -- helpers ---------------------------------------------------------------------------------

def tool_env(*extra_paths: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default os.environ) with scripts/ and `extra_paths` first on PYTHONPATH: for
    child Pythons that import imagecat_tools (pytest's `pythonpath` reaches only this one)."""
    env = dict(os.environ if base is None else base)
    paths = [str(p) for p in (*extra_paths, SCRIPTS)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_tool(module: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Runs `python3 -m imagecat_tools.MODULE ARGS` as its command script would (captured,
    text, from the repository root unless `cwd` says otherwise)."""
    kwargs.setdefault("cwd", REPO_ROOT)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs["env"] = tool_env(base=kwargs.get("env"))
    return subprocess.run([sys.executable, "-m", f"imagecat_tools.{module}", *args], **kwargs)


def user_record_key(sub: str) -> str:
    """Where the API keeps the record of `sub`: under the SHA-256 of the sub (a sub may be an
    email address, and keys show in listings); an older imagecat used `users/<sub>.json`."""
    return "users/sha256/" + hashlib.sha256(sub.encode()).hexdigest() + ".json"


def missing_prerequisite(message: str) -> NoReturn:
    """The one answer to "a test's prerequisite is not there" (a browser, chroot, a peer):
    the test fails, in CI and elsewhere alike, since scripts/setup (or running as root, as CI
    does) provides it. A skip would let the suite pass without having checked anything."""
    pytest.fail(f"prerequisite missing: {message}", pytrace=False)


# -- hooks -----------------------------------------------------------------------------------

def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    """Turn SIGTERM (a CI time limit, `timeout`) into KeyboardInterrupt: pytest then still runs
    fixture teardown, so no S3 server outlives the run holding its ports."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
    config.pluginmanager.register(RunCounts(), "imagecat-run-counts")


class RunCounts:
    """Counts the outcomes; a skip not declared in EXPECTED_SKIPS fails the session (after
    every test ran, listed at the end); the counts go to $IMAGECAT_PYTEST_SUMMARY as JSON."""

    def __init__(self):
        self.counts: dict = {"passed": 0, "failed": 0, "skipped": 0, "expected_skips": 0,
                             "unexpected_skips": []}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        counts = self.counts
        if report.skipped:
            reason = skip_reason(report)
            counts["skipped"] += 1
            if any(expected in reason for expected in EXPECTED_SKIPS):
                counts["expected_skips"] += 1
            else:
                counts["unexpected_skips"].append(f"{report.nodeid}: {reason}")
        elif report.failed:
            counts["failed"] += 1  # errors in setup or teardown count as failures too
        elif report.passed and report.when == "call":
            counts["passed"] += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):
            return  # a pytest-xdist worker: the controller gets every report and writes the counts
        if self.counts["unexpected_skips"] and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        target = os.environ.get("IMAGECAT_PYTEST_SUMMARY")
        if target:
            Path(target).write_text(json.dumps(self.counts))

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.counts["unexpected_skips"]:
            terminalreporter.section("skips not declared as expected (they fail the run)", red=True)
            for line in self.counts["unexpected_skips"]:
                terminalreporter.line(line)


def skip_reason(report: pytest.TestReport) -> str:
    """The reason of a skipped report (its longrepr is (file, line, "Skipped: reason"); a list
    once pytest-xdist has sent it from a worker)."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


# -- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def s3_server():
    """One real S3 server for the whole session (start-up costs ~1.5 s with SeaweedFS)."""
    kind = os.environ.get("IMAGECAT_S3_SERVER", "seaweedfs")
    with S3Server(kind) as server:
        yield server


@pytest.fixture(scope="session")
def s3(s3_server):
    return s3_server.boto3_client()


@pytest.fixture
def bucket(s3):
    """A fresh bucket per test, so tests never see each other's objects."""
    name = f"imagecat-test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    yield name
    # Best effort: a failed clean-up must not hide the test's own result.
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=name, Key=item["Key"])
        s3.delete_bucket(Bucket=name)
    except Exception as error:  # noqa: BLE001
        print(f"warning: could not remove bucket {name}: {error}", file=sys.stderr)


@pytest.fixture
def s3_record():
    return s3_event_record


def built(product: str = "bootstrap") -> Path:
    """`product` from the debug build of scripts/build-bootstrap (built here when it is not up to
    date). A fresh debug build on 2 idle cores takes ~1 min (an up-to-date one ~2 s); 30 min
    leaves room for a busy machine."""
    build = subprocess.run([str(SCRIPTS / "build-bootstrap"), "--product", product], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=1800)
    if build.returncode != 0:
        pytest.fail(f"scripts/build-bootstrap --product {product} failed ({build.returncode}):\n"
                    f"{build.stderr[-4000:]}")
    return Path(build.stdout.strip())


@pytest.fixture(scope="session")
def bootstrap_path() -> Path:
    """The `bootstrap` executable: $IMAGECAT_BOOTSTRAP, else the debug build of
    scripts/build-bootstrap (built once, here, when it is not up to date)."""
    given = os.environ.get("IMAGECAT_BOOTSTRAP")
    if given:
        path = Path(given)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"IMAGECAT_BOOTSTRAP={given} is not an executable file")
        return path
    return built()


@pytest.fixture(scope="session")
def sigv4_sign_path() -> Path:
    """The `sigv4-sign` tool (Sources/sigv4-sign): beside $IMAGECAT_BOOTSTRAP, which then names a
    full build (scripts/test builds every target), else built by scripts/build-bootstrap."""
    given = os.environ.get("IMAGECAT_BOOTSTRAP")
    if given:
        path = Path(given).parent / "sigv4-sign"
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"{path} is not an executable file: IMAGECAT_BOOTSTRAP={given} must come from a "
                        "build of every target (`swift build --build-tests`, as scripts/test does)")
        return path
    return built("sigv4-sign")
