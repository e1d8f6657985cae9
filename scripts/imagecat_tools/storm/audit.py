"""Step 4 of the storm: the audit. The bucket (list_objects_v2) is the truth; images.json is
compared with it entry by entry: lost, duplicated, resurrected, stale, malformed."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ..big_catalog import CatalogCheckError, check, entries as catalog_entries
from .config import CATALOG_KEY
from .synthesis import is_image_key


@dataclass
class Audit:
    catalog_entries: int = 0
    bucket_images: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    resurrected: list[str] = field(default_factory=list)
    resurrected_non_images: int = 0
    """Of the resurrected: keys that exist in the bucket but are not images."""
    stale: list[str] = field(default_factory=list)
    malformed: int = 0
    """Entries that are not objects with a string name, a string type and an integer size."""
    without_etag: int = 0
    """Entries the function wrote without an etag: their staleness is judged by size only."""
    catalog_error: str | None = None

    @property
    def wrong(self) -> int:
        """Entries that differ from the bucket, all kinds together (a lost one counts too)."""
        return (len(self.lost) + len(self.duplicated) + len(self.resurrected) + len(self.stale)
                + self.malformed)

    @property
    def exact(self) -> bool:
        return (self.catalog_error is None and not self.lost and not self.duplicated
                and not self.resurrected and not self.stale and not self.malformed)



def audit(s3, bucket: str, expected: dict[str, tuple[str, int | None, int | None]] | None = None,
          preloaded: Iterable[str] | None = None) -> Audit:
    """Compares the catalog with the bucket: the bucket (list_objects_v2) is the truth.

    `expected` maps each key whose current content is an image to (type, width, height), as
    the storm uploaded it; without it, keys are judged images by their extension (and pixel
    sizes are not checked). Entries that carry width and height (a function that reads
    content) must also match the type and pixel size, else they are counted as stale.

    `preloaded`: the names, in name order, of entries the catalog held before the storm and
    must still hold (they have no objects behind them; big_catalog.preload). The catalog is then
    read a range at a time and must be in imagecat's form, sorted and indexed (`check`), so that
    a catalog of millions is audited in bounded memory."""
    result = Audit()
    truth: dict[str, tuple[int, str]] = {}
    others: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key = item["Key"]
            image = key in expected if expected is not None else is_image_key(key)
            if image and key != CATALOG_KEY:
                truth[key] = (item["Size"], item["ETag"].strip('"'))
            elif key != CATALOG_KEY:
                others.add(key)
    result.bucket_images = len(truth)
    if preloaded is not None:
        return _audit_sorted(s3, bucket, expected, truth, others, iter(preloaded), result)
    try:
        raw = s3.get_object(Bucket=bucket, Key=CATALOG_KEY)["Body"].read()
        entries = json.loads(raw)
    except s3.exceptions.NoSuchKey:
        entries = []
    except ValueError as error:
        result.catalog_error = f"{CATALOG_KEY} is not JSON: {error}"
        result.lost = sorted(truth)
        return result
    if not isinstance(entries, list):
        result.catalog_error = f"{CATALOG_KEY} is not a JSON array"
        result.lost = sorted(truth)
        return result
    result.catalog_entries = len(entries)
    names = Counter()
    by_name: dict[str, dict] = {}
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("type"), str) and type(entry.get("size")) is int):
            result.malformed += 1
            continue
        names[entry["name"]] += 1
        by_name.setdefault(entry["name"], entry)
    result.duplicated = sorted(n for n, c in names.items() if c > 1)
    result.lost = sorted(k for k in truth if k not in names)
    result.resurrected = sorted(n for n in names if n not in truth)
    result.resurrected_non_images = sum(n in others for n in result.resurrected)
    for name, entry in sorted(by_name.items()):
        if name in truth:
            _judge(entry, truth[name], expected, result)
    return result


def _judge(entry: dict, truth: tuple[int, str], expected, result: Audit) -> None:
    """Counts `entry` as stale unless it describes the object as the bucket holds it."""
    size, etag = truth
    if "etag" not in entry:
        result.without_etag += 1
    stale = entry["size"] != size or ("etag" in entry and str(entry["etag"]).strip('"') != etag)
    if expected is not None and "width" in entry:
        fmt, width, height = expected[entry["name"]]
        stale = stale or (entry["type"], entry.get("width"), entry.get("height")) != (fmt, width, height)
    if stale:
        result.stale.append(entry["name"])


def _audit_sorted(s3, bucket, expected, truth, others, preloaded, result: Audit) -> Audit:
    """The audit of a big catalog: its entries streamed in name order and merged with the
    preloaded names (also in name order), so only the storm's own keys are held."""
    try:
        check(s3, bucket, key=CATALOG_KEY)            # imagecat's form, sorted, indexed
    except CatalogCheckError as error:
        result.catalog_error = str(error)
        return result
    pending = next(preloaded, None)
    seen: set[str] = set()
    for _, entry in catalog_entries(s3, bucket, key=CATALOG_KEY):
        result.catalog_entries += 1
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("type"), str) and type(entry.get("size")) is int):
            result.malformed += 1
            continue
        name = entry["name"]
        if name in truth:
            seen.add(name)
            _judge(entry, truth[name], expected, result)
            continue
        while pending is not None and pending.encode() < name.encode():
            result.lost.append(pending)                   # a preloaded entry that went missing
            pending = next(preloaded, None)
        if pending == name:
            pending = next(preloaded, None)
        else:
            result.resurrected.append(name)
            result.resurrected_non_images += name in others
    while pending is not None:
        result.lost.append(pending)
        pending = next(preloaded, None)
    result.lost += sorted(k for k in truth if k not in seen)
    return result
