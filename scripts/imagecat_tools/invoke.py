"""Run one event through `bootstrap` and print the function's answer.

    scripts/invoke [--handler catalog|sum|...] [--local-s3] EVENT.json

The event goes through the project's local Runtime API exactly as Lambda would deliver it.
The bootstrap gets this process's environment (AWS_ENDPOINT_URL_S3, credentials, CATALOG_KEY,
...); with --local-s3 it gets a fresh local S3 server instead, with the event's buckets created
empty. Exit status: 0 for a response, 1 for a function or init error, 2 for misuse.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .local_runtime_api import LocalRuntimeAPI
from .paths import RELEASE_BOOTSTRAP


def buckets_in(event) -> set[str]:
    """Bucket names anywhere in an S3, SQS or EventBridge event."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            bucket = value.get("bucket")
            if isinstance(bucket, dict) and isinstance(bucket.get("name"), str):
                found.add(bucket["name"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.startswith("{"):
            try:
                walk(json.loads(value))       # an SQS body holding a notification
            except ValueError:
                pass
    walk(event)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/invoke", description="Run one event through bootstrap.")
    parser.add_argument("event", help="event JSON file (see events/)")
    parser.add_argument("--handler", default=os.environ.get("_HANDLER", "catalog"), help="_HANDLER (default catalog)")
    parser.add_argument("--local-s3", action="store_true", help="start a local S3 server for the run")
    parser.add_argument("--bootstrap", default=str(RELEASE_BOOTSTRAP))
    parser.add_argument("--timeout", type=float, default=30.0, help="function timeout, seconds")
    args = parser.parse_args()
    try:
        payload = Path(args.event).read_bytes()
        event = json.loads(payload)
    except (OSError, ValueError) as error:
        parser.error(f"cannot read event {args.event}: {error}")

    env = {**os.environ, "_HANDLER": args.handler}
    server = None
    if args.local_s3:
        from .s3_server import S3Server
        server = S3Server().start()
        env = {**server.child_env(), "_HANDLER": args.handler}
        for bucket in sorted(buckets_in(event)):
            server.boto3_client().create_bucket(Bucket=bucket)
    try:
        with LocalRuntimeAPI(function_timeout=args.timeout) as api:
            api.spawn([args.bootstrap], n=1, env=env)
            invocation = api.enqueue(payload)
            while True:                 # until an answer, a timeout result, or an init error
                if api.init_errors:
                    print(json.dumps(api.init_errors[0].to_dict()), file=sys.stderr)
                    return 1
                try:
                    result = api.wait_for(invocation, timeout=0.2)
                    break
                except TimeoutError:
                    continue
            print(result.body.decode(errors="replace"))
            return 0 if result.kind == "response" else 1
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
