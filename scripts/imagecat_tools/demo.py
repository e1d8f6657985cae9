"""The README's first command, end to end on this machine:

a real S3-compatible server on 127.0.0.1 (SeaweedFS) → a bucket with a few sample images →
S3 event notifications for those uploads, one redelivered and one delete among them → the
project's local Runtime API → the `bootstrap` binary (_HANDLER=catalog) → prints images.json,
then what an operator would see of the run: the function's log lines and the metrics read back
from the EMF documents it wrote (`log_summary`). Everything it starts, it stops.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile

from . import log_summary, s3_events
from .local_runtime_api import LocalRuntimeAPI
from .paths import SAMPLE_IMAGES
from .s3_server import S3Server

IMAGES = SAMPLE_IMAGES
BUCKET = "imagecat-demo"
# (key in the bucket, sample file, content type): names with a space, a '+' and unicode on
# purpose, and one text file, which the catalog must leave out.
UPLOADS = [
    ("photos/cat.jpg", "baseline.jpg", "image/jpeg"),
    ("photos/dog one.png", "rgb8.png", "image/png"),
    ("icons/a+b.gif", "still.gif", "image/gif"),
    ("photos/café.webp", "lossy.webp", "image/webp"),
    ("docs/notes.txt", "notes.txt", "text/plain"),
]
DELETED = "photos/café.webp"


def say(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


def invoke(api: LocalRuntimeAPI, payload: dict) -> bool:
    """One invocation, waited for, so the printed summaries read in order."""
    (result,) = api.wait_for([api.enqueue(payload)], timeout=30)
    if result.kind == "response":
        say(f"invocation summary: {result.body.decode()}")
        return True
    say(f"invocation failed: {result.error_type}: {result.body.decode()}")
    return False


def show_function_output(path: str) -> None:
    """The function's log lines, then the metrics its EMF documents hold, as an operator would
    see them in CloudWatch."""
    with open(path, encoding="utf-8", errors="replace") as log:
        lines = log.readlines()
    say("the function's log lines:")
    for line in lines:
        if not log_summary.emf_spec.is_emf(line):
            print(f"  {line.rstrip()}", file=sys.stderr)
    say("what an operator would see (read back from the function's EMF documents):")
    print(log_summary.format_summary(log_summary.summarise(lines)), file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True, help="path of the built bootstrap binary")
    args = parser.parse_args()

    with S3Server() as server, LocalRuntimeAPI(function_timeout=30.0) as api, \
            tempfile.NamedTemporaryFile(prefix="imagecat-demo-", suffix=".log") as function_log:
        say(f"S3 server at {server.endpoint}; Runtime API at {api.address}")
        s3 = server.boto3_client()
        s3.create_bucket(Bucket=BUCKET)
        records = []
        for key, sample, content_type in UPLOADS:
            body = (IMAGES / sample).read_bytes()
            put = s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=content_type)
            records.append(s3_events.record(BUCKET, key, size=len(body), etag=put["ETag"]))
            say(f"uploaded s3://{BUCKET}/{key} ({len(body)} bytes)")

        # At-least-once, unordered delivery, as S3 does it: one record redelivered, order shuffled.
        records.append(records[0])
        random.shuffle(records)
        api.spawn([args.bootstrap], n=1, env={**server.child_env(), "_HANDLER": "catalog"}, stderr=function_log)
        if not (invoke(api, s3_events.event(*records[:3])) and invoke(api, s3_events.event(*records[3:]))):
            show_function_output(function_log.name)
            return 1
        s3.delete_object(Bucket=BUCKET, Key=DELETED)
        say(f"deleted s3://{BUCKET}/{DELETED}")
        if not invoke(api, s3_events.event(s3_events.record(BUCKET, DELETED, event_name="ObjectRemoved:Delete"))):
            show_function_output(function_log.name)
            return 1

        catalog = s3.get_object(Bucket=BUCKET, Key="images.json")["Body"].read().decode()
        show_function_output(function_log.name)
        say(f"s3://{BUCKET}/images.json:")
        print(json.dumps(json.loads(catalog), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
