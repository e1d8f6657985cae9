#!/usr/bin/env python3
"""The lab's naive catalog logic on the careful peer's runtime loop. Never a speed baseline: it
exists to show what the storm catches (scripts/storm --naive fails its audit).

Per record: GET images.json, append `{name, type, size}`, PUT it back; no condition, no retry,
no de-duplication, every record appended whatever its event (a delete record has no size, so
its invocation fails). Two overlapping invocations read the same catalog and the later PUT
drops the other's entry; a redelivered event is appended twice. The lab crashes on a missing
catalog; here it counts as [] so that a storm shows losses rather than errors.
"""

from __future__ import annotations

import json
import sys
import urllib.parse

import python_boto3 as peer  # run as a file: its folder (scripts/peers/) is first on sys.path


def naive_catalog_handler(event: dict, s3) -> dict:
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        try:
            entries = json.loads(s3.get_object(Bucket=bucket, Key=peer.CATALOG_KEY)["Body"].read())
        except s3.exceptions.NoSuchKey:
            entries = []
        entries.append({"name": key, "type": key.rsplit(".", 1)[-1].lower(),
                        "size": record["s3"]["object"]["size"]})
        s3.put_object(Bucket=bucket, Key=peer.CATALOG_KEY, Body=json.dumps(entries).encode(),
                      ContentType="application/json")
    return {"records": len(event["Records"])}


if __name__ == "__main__":
    sys.exit(peer.run({**peer.HANDLERS, "catalog": naive_catalog_handler}))
