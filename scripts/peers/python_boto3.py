#!/usr/bin/env python3
"""The careful peer: what a user would write without imagecat, in plain Python 3 + boto3.

A complete Lambda custom runtime in one file (zipped as `bootstrap`, it is the function): a
hand-written Runtime API loop and three handlers chosen by `_HANDLER`:

- `catalog` (default): applies S3 notifications to `s3://BUCKET/$CATALOG_KEY` (default
  `images.json`), a JSON array of `{name, type, size}`: upsert on `ObjectCreated:*` (type = the
  key's extension, lower case), remove on `ObjectRemoved:*`, skip the catalog's own key. One
  read-modify-write per bucket per event, written with `If-Match` (or `If-None-Match: *` when
  there is no catalog yet); a lost write (412/409) re-reads and retries with jittered
  exponential backoff. A catalog that is not an array of named entries fails the invocation and
  is never overwritten.
- `sum`: the lab's warm-up, `{"key1":1,"key2":2}` → `{"statusCode":200,"body":3}`.
- `api`: `GET /images?limit=N&cursor=C[&order=name-desc][&type=T]` and `GET /images/{name}` from
  `s3://$CATALOG_BUCKET/$CATALOG_KEY`, as API Gateway HTTP API (payload 2.0) responses: the
  whole catalog is downloaded and parsed once, kept while S3 answers 304 to a conditional GET
  (`If-None-Match` its ETag) at every request, sorted by name; a page is the entries after the
  cursor (the last name served, base64url), a lookup a binary search.

It is the baseline every speed figure compares against (scripts/bench, scripts/storm
--compare-peer), so its behaviour is fixed: change it and the figures in BENCHMARKS.md stop
being comparable. It trusts the event (name, size, order) and reads no object: the product
features beyond that (types from content, sequencer order, SQS and EventBridge) are imagecat's.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import http.client
import json
import os
import random
import sys
import time
import traceback
import urllib.parse
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

RUNTIME = "/2018-06-01/runtime"
CATALOG_KEY = os.environ.get("CATALOG_KEY", "images.json")
MAX_ATTEMPTS = 20
"""Conditional writes per bucket and event before the invocation gives up."""

Handler = Callable[[Any, Any], Any]
"""(event, S3 client) → the JSON answer."""


class CorruptCatalog(Exception):
    """The stored catalog is not a JSON array of objects with a string `name`: left as it is."""


class ContendedCatalog(Exception):
    """Other writers won every one of MAX_ATTEMPTS conditional writes."""


def s3_client():
    """boto3's S3 client; a custom endpoint (a local S3 server) gets path-style URLs."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(s3={"addressing_style": "path"}) if endpoint else None
    return boto3.client("s3", region_name=os.environ.get("AWS_REGION"), endpoint_url=endpoint,
                        config=config)


# -- handlers ----------------------------------------------------------------------------------

def sum_handler(event: Any, s3) -> dict:
    a, b = event.get("key1"), event.get("key2")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
        raise ValueError(f"sum needs numbers key1 and key2, got {a!r} and {b!r}")
    return {"statusCode": 200, "body": a + b}


def catalog_handler(event: Any, s3) -> dict:
    """Every S3 record of the event, applied to its bucket's catalog in one write per bucket."""
    if not isinstance(event.get("Records"), list):
        raise ValueError("not an S3 event notification: no Records list")
    changes: dict[str, dict[str, dict | None]] = {}  # bucket → key → entry (None: remove)
    skipped = 0
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        name = record.get("eventName", "")
        if key == CATALOG_KEY:  # the catalog's own write: no self-trigger loop
            skipped += 1
        elif name.startswith("ObjectCreated:"):
            kind = os.path.splitext(key)[1].lstrip(".").lower()
            changes.setdefault(bucket, {})[key] = {"name": key, "type": kind,
                                                   "size": record["s3"]["object"]["size"]}
        elif name.startswith("ObjectRemoved:"):
            changes.setdefault(bucket, {})[key] = None
        else:
            skipped += 1
    for bucket, bucket_changes in changes.items():
        update_catalog(s3, bucket, bucket_changes)
    return {"records": len(event["Records"]), "applied": sum(map(len, changes.values())),
            "skipped": skipped}


def read_catalog(s3, bucket: str) -> tuple[str | None, list[dict]]:
    """(ETag, entries); (None, []) when there is no catalog yet."""
    try:
        answer = s3.get_object(Bucket=bucket, Key=CATALOG_KEY)
    except s3.exceptions.NoSuchKey:
        return None, []
    return answer["ETag"], parse_catalog(answer["Body"].read(), bucket)


def parse_catalog(body: bytes, bucket: str) -> list[dict]:
    """The entries of a stored catalog; CorruptCatalog unless it is an array of named entries."""
    try:
        entries = json.loads(body)
    except ValueError as error:
        raise CorruptCatalog(f"s3://{bucket}/{CATALOG_KEY} is not JSON: {error}") from None
    if not (isinstance(entries, list)
            and all(isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries)):
        raise CorruptCatalog(f"s3://{bucket}/{CATALOG_KEY} is not an array of named entries")
    return entries


def update_catalog(s3, bucket: str, changes: dict[str, dict | None]) -> None:
    """Read, apply, write conditionally on what was read; on 412/409 another writer came first,
    so back off (jittered, exponential) and start again from a fresh read."""
    for attempt in range(MAX_ATTEMPTS):
        etag, entries = read_catalog(s3, bucket)
        catalog = {entry["name"]: entry for entry in entries}
        for key, entry in changes.items():
            if entry is None:
                catalog.pop(key, None)
            else:
                catalog[key] = entry
        if list(catalog.values()) == entries:
            return  # nothing new: a redelivery
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            s3.put_object(Bucket=bucket, Key=CATALOG_KEY, ContentType="application/json",
                          Body=json.dumps(list(catalog.values())).encode(), **condition)
            return
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] not in (409, 412):
                raise
        time.sleep(random.uniform(0, 0.01 * 2 ** min(attempt, 6)))
    raise ContendedCatalog(f"s3://{bucket}/{CATALOG_KEY}: still contended after {MAX_ATTEMPTS} attempts")


# -- the API -------------------------------------------------------------------------------

class CachedCatalog:
    """The catalog as last downloaded, sorted by name, kept between invocations."""

    etag: str | None = None
    entries: list[dict] = []
    names: list[str] = []
    """The entries' names in the same order, for binary search (str order is code point order,
    which is UTF-8 byte order: S3's listing order)."""


def cached_catalog(s3, bucket: str) -> type[CachedCatalog]:
    """The current catalog: the cached one when S3 answers 304 to a GET `If-None-Match` its
    ETag, else downloaded, parsed and sorted again."""
    condition = {"IfNoneMatch": CachedCatalog.etag} if CachedCatalog.etag else {}
    try:
        answer = s3.get_object(Bucket=bucket, Key=CATALOG_KEY, **condition)
    except s3.exceptions.NoSuchKey:
        CachedCatalog.etag, CachedCatalog.entries, CachedCatalog.names = None, [], []
        return CachedCatalog
    except ClientError as error:
        if error.response["ResponseMetadata"]["HTTPStatusCode"] == 304:
            return CachedCatalog
        raise
    entries = parse_catalog(answer["Body"].read(), bucket)
    entries.sort(key=lambda entry: entry["name"])
    CachedCatalog.etag, CachedCatalog.entries = answer["ETag"], entries
    CachedCatalog.names = [entry["name"] for entry in entries]
    return CachedCatalog


def http_answer(status: int, value: Any) -> dict:
    """An API Gateway HTTP API (payload 2.0) response with a JSON body."""
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": json.dumps(value)}


def bad_request(error: str, message: str) -> dict:
    return http_answer(400, {"error": error, "message": message})


def encode_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> str | None:
    """The name in a cursor; None for anything encode_cursor cannot have made."""
    try:
        name = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars="-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return name if name and encode_cursor(name) == cursor else None


def api_handler(event: Any, s3) -> dict:
    """GET /images (limit 1-1000, default 100; cursor; order name or name-desc; type) and
    GET /images/{name}; anything else 404 (405 for another method)."""
    bucket = os.environ.get("CATALOG_BUCKET")
    if not bucket:
        raise ValueError("the api handler needs CATALOG_BUCKET")
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    path = event.get("rawPath", "")
    if path != "/images" and not path.startswith("/images/"):
        return http_answer(404, {"error": "not_found", "message": "no such route"})
    if method != "GET":
        return http_answer(405, {"error": "method_not_allowed", "message": "only GET"})
    if path.startswith("/images/"):
        name = (event.get("pathParameters") or {}).get("name") or path[len("/images/"):]
        catalog = cached_catalog(s3, bucket)
        i = bisect.bisect_left(catalog.names, name)
        if i < len(catalog.names) and catalog.names[i] == name:
            return http_answer(200, catalog.entries[i])
        return http_answer(404, {"error": "not_found", "message": "there is no image with that name"})
    query = event.get("queryStringParameters") or {}
    text = query.get("limit", "100")
    if not (text.isdigit() and 1 <= int(text) <= 1000):
        return bad_request("invalid_limit", "limit must be a whole number from 1 to 1000")
    limit = int(text)
    after = decode_cursor(query["cursor"]) if "cursor" in query else None
    if "cursor" in query and after is None:
        return bad_request("invalid_cursor", "cursor must be a nextCursor value from an earlier page")
    order = query.get("order", "name")
    if order not in ("name", "name-desc"):
        return bad_request("invalid_order", "order must be name or name-desc")
    wanted = query.get("type", "").lower() or None
    catalog = cached_catalog(s3, bucket)
    names, entries = catalog.names, catalog.entries
    if order == "name":
        i, step = (bisect.bisect_right(names, after) if after is not None else 0), 1
    else:
        i, step = (bisect.bisect_left(names, after) if after is not None else len(names)) - 1, -1
    page: list[dict] = []
    next_cursor = None
    while 0 <= i < len(entries):
        entry = entries[i]
        if wanted is None or str(entry.get("type", "")).lower() == wanted:
            if len(page) == limit:
                next_cursor = encode_cursor(page[-1]["name"])
                break
            page.append(entry)
        i += step
    return http_answer(200, {"images": page, "nextCursor": next_cursor})


HANDLERS: dict[str, Handler] = {"catalog": catalog_handler, "sum": sum_handler, "api": api_handler}


# -- the Runtime API loop ----------------------------------------------------------------------

def post(connection: http.client.HTTPConnection, path: str, payload: Any,
         error_type: str | None = None) -> None:
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    connection.request("POST", RUNTIME + path, json.dumps(payload).encode(), headers)
    connection.getresponse().read()


def error_payload(error: BaseException) -> dict:
    return {"errorMessage": str(error), "errorType": type(error).__name__,
            "stackTrace": traceback.format_tb(error.__traceback__)}


def run(handlers: dict[str, Handler]) -> int:
    """Serves invocations until the Runtime API goes away: GET next, run the handler, POST its
    answer or its error; a failing invocation is reported and the loop goes on."""
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        print("a Lambda custom runtime: start it with AWS_LAMBDA_RUNTIME_API=HOST:PORT "
              "(and _HANDLER=catalog|sum|api)", file=sys.stderr)
        return 2
    connection = http.client.HTTPConnection(address)  # one connection, kept alive
    try:
        name = os.environ.get("_HANDLER") or "catalog"
        if name not in handlers:
            raise ValueError(f"unknown _HANDLER {name!r}: expected one of {', '.join(handlers)}")
        handler, s3 = handlers[name], s3_client()
    except Exception as error:  # noqa: BLE001 (reported to the Runtime API)
        post(connection, "/init/error", error_payload(error), "Runtime." + type(error).__name__)
        return 1
    while True:
        connection.request("GET", RUNTIME + "/invocation/next")
        answer = connection.getresponse()
        body, request_id = answer.read(), answer.headers.get("Lambda-Runtime-Aws-Request-Id")
        if answer.status != 200 or not request_id:
            print(f"runtime API: GET next answered {answer.status}: {body[:200]!r}", file=sys.stderr)
            return 1
        os.environ["_X_AMZN_TRACE_ID"] = answer.headers.get("Lambda-Runtime-Trace-Id", "")
        try:
            result = handler(json.loads(body), s3)
        except Exception as error:  # noqa: BLE001 (reported to the Runtime API)
            print(f"{request_id} {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            post(connection, f"/invocation/{request_id}/error", error_payload(error),
                 "Function." + type(error).__name__)
        else:
            post(connection, f"/invocation/{request_id}/response", result)


if __name__ == "__main__":
    sys.exit(run(HANDLERS))
