"""Build S3 event notifications the way S3 delivers them to Lambda.

Every record starts from events/s3-put.json (the Lambda console's s3-put template) and changes
only what S3 would: bucket, form-URL-encoded key, size, eTag, eventName, sequencer, eventTime.
Removal records carry no size and no eTag, as on AWS.

Python 3.11 standard library only; used by the demo, the storm and the tests.
"""

from __future__ import annotations

import copy
import datetime
import json
import threading
import time
import urllib.parse

from .paths import EVENTS

TEMPLATE = json.loads((EVENTS / "s3-put.json").read_text())
TEMPLATE_ETAG = TEMPLATE["Records"][0]["s3"]["object"]["eTag"]
TEMPLATE_SEQUENCER = TEMPLATE["Records"][0]["s3"]["object"]["sequencer"]
_REMOVALS = ("ObjectRemoved:", "LifecycleExpiration:")
_lock = threading.Lock()
_last_sequencer = 0


def encode_key(key: str, encode_slash: bool = False) -> str:
    """S3's encoding of keys in notifications: space → '+', everything outside A-Za-z0-9_.-~
    (and '/', which real notifications keep; the console template encodes it) → %XX of UTF-8,
    so a literal '+' becomes %2B."""
    return urllib.parse.quote_plus(key, safe="" if encode_slash else "/")


def next_sequencer() -> str:
    """A sequencer greater than every one made before in this process (18 upper-case hex
    digits, like the template's), so "later event" is easy to express."""
    global _last_sequencer
    with _lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns() << 4)
        return f"{_last_sequencer:018X}"


def record(bucket: str, key: str, *, event_name: str = "ObjectCreated:Put", size: int | None = 1024,
           etag: str | None = TEMPLATE_ETAG, sequencer: str | None = None, region: str = "us-east-1",
           event_time: str | None = None, encode_slash: bool = False) -> dict:
    """One notification record for `key` (the real key: it is encoded here). `etag` may be
    given quoted, as S3's response header has it: events carry it bare."""
    rec = copy.deepcopy(TEMPLATE["Records"][0])
    if event_time is None:
        now = datetime.datetime.now(datetime.timezone.utc)
        event_time = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    rec["eventTime"] = event_time
    rec["awsRegion"] = region
    rec["eventName"] = event_name
    rec["s3"]["bucket"]["name"] = bucket
    rec["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    obj: dict = {"key": encode_key(key, encode_slash)}
    if not event_name.startswith(_REMOVALS):
        if size is not None:
            obj["size"] = size
        if etag is not None:
            obj["eTag"] = etag.strip('"')
    obj["sequencer"] = sequencer or next_sequencer()
    rec["s3"]["object"] = obj
    return rec


def event(*records: dict) -> dict:
    """The payload S3 sends to Lambda: {"Records": [...]}."""
    return {"Records": list(records)}
