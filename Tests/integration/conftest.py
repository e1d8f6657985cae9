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

# Values of the Lambda console's "s3-put" test-event template (events/s3-put.json), used as
# defaults so a helper-made record differs from the template only where a test says so.
TEMPLATE_ETAG = "0123456789abcdef0123456789abcdef"
TEMPLATE_SEQUENCER = "0A1B2C3D4E5F678901"
_REMOVAL_PREFIXES = ("ObjectRemoved:", "LifecycleExpiration:")
_last_sequencer = 0


# -- S3 event helpers -----------------------------------------------------------------------

def s3_encode_key(key: str, encode_slash: bool = False) -> str:
    """Encode `key` the way S3 writes it into event notifications (form-URL-encoding).

    Space becomes '+', everything outside `A-Za-z0-9_.-~` becomes %XX of its UTF-8 bytes
    (so a literal '+' becomes %2B). Real notifications keep '/' as is; the console template
    encodes it (`test%2Fkey`), hence `encode_slash`. A decoder must handle both.
    """
    return urllib.parse.quote_plus(key, safe="" if encode_slash else "/")


def next_sequencer() -> str:
    """A fresh sequencer, greater than every one this process made before (18 hex digits,
    upper case, like the template's), so "later event" is easy to express in tests."""
    global _last_sequencer
    _last_sequencer = max(_last_sequencer + 1, time.time_ns() << 4)
    return f"{_last_sequencer:018X}"


def s3_event_record(bucket: str, key: str, *, size: int | None = 1024,
                    etag: str | None = TEMPLATE_ETAG, event_name: str = "ObjectCreated:Put",
                    sequencer: str | None = None, region: str = "us-east-1",
                    event_time: str | None = None, encode_slash: bool = False) -> dict:
    """One S3 notification record shaped exactly like events/s3-put.json's.

    `key` is the real object key; it is S3-encoded here. `etag` may be given as S3's
    response header (quoted): events carry it unquoted. Removal records
    (`ObjectRemoved:*`, `LifecycleExpiration:*`) carry no size and no eTag, as on AWS.
    `sequencer` defaults to a fresh increasing value.
    """
    if event_time is None:
        now = datetime.datetime.now(datetime.timezone.utc)
        event_time = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    obj: dict = {"key": s3_encode_key(key, encode_slash=encode_slash)}
    if not event_name.startswith(_REMOVAL_PREFIXES):
        if size is not None:
            obj["size"] = size
        if etag is not None:
            obj["eTag"] = etag.strip('"')
    obj["sequencer"] = sequencer if sequencer is not None else next_sequencer()
    return {
        "eventVersion": "2.0",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time,
        "eventName": event_name,
        "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": "EXAMPLE123456789",
            "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "testConfigRule",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "EXAMPLE"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def s3_event(*records: dict) -> dict:
    """The invocation payload S3 sends: {"Records": [...]}."""
    return {"Records": list(records)}


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
