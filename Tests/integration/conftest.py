"""Shared fixtures for the integration tests: a real local S3 server, buckets, the built
bootstrap binary, and S3 event records shaped like the ones Lambda delivers.

Fixtures:
    s3_server       (session)  one running scripts/s3_server.S3Server for the whole run
    s3              (session)  boto3 S3 client for it
    bucket          (function) a fresh, uniquely named, empty bucket; removed afterwards
    bootstrap_path  (session)  path of the built `bootstrap` executable
    s3_record       (function) the `s3_event_record` helper below

Helpers (import with `from conftest import ...`):
    s3_encode_key(key, encode_slash=False) -> str
    s3_event_record(bucket, key, *, size, etag, event_name, sequencer, ...) -> dict
    s3_event(*records) -> {"Records": [...]}

Environment:
    IMAGECAT_BOOTSTRAP      use this bootstrap instead of running `swift build`
    IMAGECAT_SCRATCH_PATH   SwiftPM scratch path for that build (default .build)
    IMAGECAT_S3_SERVER      "seaweedfs" (default, the reference) or "moto"
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from s3_server import S3Server  # noqa: E402  (needs the sys.path entry above)

# S3 notification builders live in scripts/s3_events.py (the demo and the storm use them too);
# re-exported here under the names the tests use.
from s3_events import (TEMPLATE_ETAG, TEMPLATE_SEQUENCER, next_sequencer,  # noqa: E402,F401
                       encode_key as s3_encode_key, event as s3_event, record as s3_event_record)


# -- hooks -----------------------------------------------------------------------------------

def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    """Turn SIGTERM (a CI time limit, `timeout`) into KeyboardInterrupt: pytest then still runs
    fixture teardown, so no S3 server outlives the run holding its ports."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


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


@pytest.fixture(scope="session")
def bootstrap_path() -> Path:
    """The `bootstrap` executable: $IMAGECAT_BOOTSTRAP, else built once with `swift build`."""
    given = os.environ.get("IMAGECAT_BOOTSTRAP")
    if given:
        path = Path(given)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"IMAGECAT_BOOTSTRAP={given} is not an executable file")
        return path
    scratch = os.environ.get("IMAGECAT_SCRATCH_PATH", ".build")
    base = ["swift", "build", "--scratch-path", scratch]
    build = subprocess.run(base + ["--product", "bootstrap"], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=1800)
    if build.returncode != 0:
        pytest.fail(f"`swift build --product bootstrap` failed ({build.returncode}):\n"
                    f"{build.stdout[-4000:]}\n{build.stderr[-4000:]}")
    bin_dir = subprocess.run(base + ["--show-bin-path"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=300, check=True).stdout.strip()
    path = Path(bin_dir) / "bootstrap"
    if not path.is_file():
        pytest.fail(f"swift build succeeded but {path} does not exist")
    return path
