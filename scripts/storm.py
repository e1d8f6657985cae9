#!/usr/bin/env python3
"""A storm of real S3 changes against the catalog function, then an exact audit.

Why: S3 delivers notifications at least once, in no order, sometimes late, and a catalog
function runs as many concurrent copies. The only convincing test of "images.json always
converges to the bucket's images" is to do that to it, with real uploads, and compare the
result with the bucket itself. This script:

1. plans N uploads and M deletes over a pool of keys with awkward names (spaces, '+', '=',
   '&', '%', '?', '#', unicode, nested prefixes, upper-case extensions) and some text files;
   an image key's content is a real image header (10 formats) with random pixel dimensions,
   since the function judges by content, not by name (--liars adds names that lie); some keys
   are deleted and uploaded again, re-uploads change the size or, with the same size, only
   the content (so only the ETag tells them apart);
2. performs them for real on a local S3 server (boto3, a few threads, each key owned by one
   thread), while the function is already working: every finished operation produces its S3
   notification record, with the size, ETag and sequencer S3 would give it;
3. delivers every record TWICE, shuffled: each copy waits a random delay, a share of copies is
   held back until the end (so some deletes arrive before their creates, some creates arrive
   after everything else), in batches of 1..k records per invocation, as direct S3 events and,
   with --sqs / --eventbridge, some as SQS batches (failed messages are redelivered, as SQS
   does) and single EventBridge events;
4. runs ≥8 bootstrap processes on the local Runtime API (optionally behind the fault proxy:
   503 SlowDown and connection resets; optionally SIGKILLing some mid-run, whose invocations
   the Runtime API hands to another process);
5. compares images.json with list_objects_v2 of the bucket (its images: the keys whose
   current content the storm uploaded as an image): lost (in the bucket, not in the catalog),
   duplicated (a name listed more than once), resurrected (in the catalog, not an image in the
   bucket), stale (size or ETag differ; for entries with width/height, also type or pixels).

It exits 0 only when all four counts are 0 and every invocation ended well. An invocation
that fails with Function.CatalogConflict (the function gave up on a contended catalog before
its deadline) is enqueued again, as Lambda retries an asynchronous invoke; those retries are
counted and printed.

    python3 scripts/storm.py [--uploads 1000] [--deletes 200] [--procs 8] [--max-batch 10]
        [--seed 1] [--bootstrap .build/release/bootstrap | --peer | --naive] [--sqs]
        [--eventbridge] [--liars] [--faults 0.1 [--resets 0.03]] [--via-proxy] [--kill 3]
        [--json]

As a module (the integration tests): `run_storm(StormConfig(...), server=S3Server)` returns
a `StormResult`. Python 3.11 standard library, plus boto3 for the uploads and the audit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO_ROOT = SCRIPTS.parent
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import s3_events  # noqa: E402
from local_runtime_api import LocalRuntimeAPI, Result, sqs_batch_event  # noqa: E402

PEER_DIR = REPO_ROOT.parent / "shared" / "peers" / "python-boto3"
DEFAULT_BOOTSTRAP = REPO_ROOT / ".build" / "release" / "bootstrap"
CATALOG_KEY = "images.json"
CONFLICT = "Function.CatalogConflict"

# Key shapes: {i} is a number unique to the key. Each exercises a way keys go wrong: S3's
# form-encoding of notification keys ('+' for space, %XX), SigV4's path encoding, JSON escaping.
# An image key's content is a real image header of the format its extension names.
IMAGE_KEY_SHAPES = [
    "photos/2024/IMG_{i:04d}.jpg",
    "my holiday photo {i}.png",
    "a+b={i}&c.gif",
    "ünïcödé/фото-{i}.webp",
    "deep/nested/prefix/{i}/leaf.jpeg",
    "Caps{i}.JPG",
    "literal%20percent {i}.bmp",
    "tilde~(paren)'{i}!.svg",
    "日本語の写真 {i}.heic",
    "emoji 📷 {i}.avif",
    "semi;colon,comma {i}.tiff",
    "question?{i}#hash.png",
    "dots.in.name.{i}.tif",
    "  leading spaces {i}.ico",
    # (No backslash: SeaweedFS stores "a\\b" as "a/b", which AWS does not.)
    "quote\"and'apostrophe {i}.heif",
]
OTHER_KEY_SHAPES = [
    "notes/{i}.txt",
    "data {i}.json",
    "README{i}",
    "archive+{i}.zip",
    "sub/images.json.{i}.bak",
    "photos/{i}.jpg.partial",
]
# Keys whose name lies about their content (--liars): the function judges by content.
LIAR_KEY_SHAPES = [
    ("text named {i}.jpg", None),
    ("png without extension {i}", "png"),
    ("png named {i}.gif", "png"),
]
FORMAT_OF_EXTENSION = {"jpg": "jpg", "jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp",
                       "bmp": "bmp", "tif": "tiff", "tiff": "tiff", "heic": "heic", "heif": "heic",
                       "avif": "avif", "ico": "ico", "svg": "svg"}
IMAGE_EXTENSIONS = set(FORMAT_OF_EXTENSION)


def extension_format(key: str) -> str | None:
    """The image format a key's extension names (None: not an image extension)."""
    if key == CATALOG_KEY or key.endswith("/"):
        return None
    name = key.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return FORMAT_OF_EXTENSION.get(name[dot + 1:].lower()) if dot > 0 else None


def is_image_key(key: str) -> bool:
    """Whether the name says image (an image extension on the last segment, not the catalog)."""
    return extension_format(key) is not None


# -- image bytes -----------------------------------------------------------------------------

def _u16le(v: int) -> bytes: return struct.pack("<H", v)
def _u32le(v: int) -> bytes: return struct.pack("<I", v)
def _u16be(v: int) -> bytes: return struct.pack(">H", v)
def _u32be(v: int) -> bytes: return struct.pack(">I", v)


def _box(kind: bytes, payload: bytes) -> bytes:
    return _u32be(8 + len(payload)) + kind + payload


def image_header(fmt: str, width: int, height: int) -> bytes:
    """The leading bytes of a well-formed `fmt` image of `width`×`height` pixels: what any
    reader (and the function's sniffer) needs to tell the format and the size."""
    if fmt == "png":
        ihdr = b"IHDR" + _u32be(width) + _u32be(height) + bytes([8, 2, 0, 0, 0])
        return b"\x89PNG\r\n\x1a\n" + _u32be(13) + ihdr + _u32be(zlib.crc32(ihdr))
    if fmt == "jpg":
        app0 = b"\xff\xe0" + _u16be(16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
        sof0 = (b"\xff\xc0" + _u16be(17) + b"\x08" + _u16be(height) + _u16be(width)
                + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
        return b"\xff\xd8" + app0 + sof0
    if fmt == "gif":
        return b"GIF89a" + _u16le(width) + _u16le(height) + b"\x00\x00\x00"
    if fmt == "webp":
        vp8x = b"VP8X" + _u32le(10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") \
            + (height - 1).to_bytes(3, "little")
        return b"RIFF" + _u32le(0) + b"WEBP" + vp8x  # RIFF size patched by make_image
    if fmt == "bmp":
        return (b"BM" + _u32le(0) + b"\0\0\0\0" + _u32le(54) + _u32le(40) + struct.pack("<i", width)
                + struct.pack("<i", height) + _u16le(1) + _u16le(24) + bytes(24))
    if fmt == "tiff":
        entries = [(256, 4, 1, width), (257, 4, 1, height), (277, 3, 1, 3)]
        ifd = _u16le(len(entries)) + b"".join(
            _u16le(tag) + _u16le(kind) + _u32le(count) + _u32le(value)
            for tag, kind, count, value in entries) + _u32le(0)
        return b"II*\0" + _u32le(8) + ifd
    if fmt in ("heic", "avif"):
        brand = fmt.encode()
        ftyp = _box(b"ftyp", brand + _u32be(0) + b"mif1" + brand)
        ispe = _box(b"ispe", b"\0\0\0\0" + _u32be(width) + _u32be(height))
        meta = _box(b"meta", b"\0\0\0\0" + _box(b"iprp", _box(b"ipco", ispe)))
        return ftyp + meta
    if fmt == "ico":
        # One entry: 0 stands for 256; the image data (a PNG in modern icons) follows.
        return (b"\0\0\x01\0" + _u16le(1) + bytes([width % 256, height % 256, 0, 0]) + _u16le(1)
                + _u16le(32) + _u32le(0) + _u32le(22))
    if fmt == "svg":
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}">').encode()
    raise ValueError(f"unknown image format {fmt!r}")


MAX_DIMENSION = {"ico": 256, "gif": 65535, "jpg": 65535}
DEFAULT_MAX_DIMENSION = 20000


def make_image(fmt: str, width: int, height: int, size: int, salt: int) -> bytes:
    """A `fmt` image of exactly `size` bytes (its header, then filler that depends on `salt`,
    so two images of the same size and header still have different ETags)."""
    head = image_header(fmt, width, height)
    if fmt == "svg":
        tail = b"</svg>"
        filler = _filler(salt, size - len(head) - len(tail) - 7, b"abcdefghij")
        body = head + b"<!--" + filler + b"-->" + tail
    elif fmt in ("heic", "avif"):
        body = head + _box(b"mdat", _filler(salt, size - len(head) - 8))
    else:
        body = head + _filler(salt, size - len(head))
    if fmt == "webp":
        body = body[:4] + _u32le(len(body) - 8) + body[8:]
    elif fmt == "bmp":
        body = body[:2] + _u32le(len(body)) + body[6:]
    elif fmt == "ico":
        body = body[:14] + _u32le(len(body) - 22) + body[18:]
    if len(body) != size:
        raise ValueError(f"{fmt} image cannot be {size} bytes (header alone is {len(head)})")
    return body


def _filler(salt: int, count: int, alphabet: bytes | None = None) -> bytes:
    if count < 0:
        raise ValueError("image size smaller than its header")
    rng = random.Random(salt)
    if alphabet is None:
        return rng.randbytes(count)
    return bytes(rng.choice(alphabet) for _ in range(count))


def min_image_size(fmt: str) -> int:
    """The smallest `make_image` size for any pixel dimensions the storm uses (an SVG header
    grows with the digits of its dimensions)."""
    largest = MAX_DIMENSION.get(fmt, DEFAULT_MAX_DIMENSION)
    return len(image_header(fmt, largest, largest)) + (13 if fmt == "svg" else 8)


# -- configuration and results ---------------------------------------------------------------

@dataclass
class StormConfig:
    uploads: int = 1000
    deletes: int = 200
    procs: int = 8
    max_batch: int = 10
    seed: int = 1
    bootstrap: str | None = None
    """Runtime command; None: the release build (or the peer with `peer`)."""
    peer: str | None = None
    """"python-boto3" or "naive": run that peer from ../shared/peers instead."""
    sqs: bool = False
    eventbridge: bool = False
    liars: bool = False
    """Add keys whose name lies about their content (the function must judge by content)."""
    faults: float = 0.0
    """Share of the function's S3 requests answered 503 SlowDown (through the fault proxy)."""
    resets: float | None = None
    """Share of the function's S3 requests whose connection is reset (default: faults × 0.3)."""
    via_proxy: bool = False
    """Route the function's S3 traffic through the fault proxy even without faults (to count
    its requests and the server's answers)."""
    kill: int = 0
    upload_threads: int = 4
    keys: int | None = None
    """Size of the key pool (default: 40% of the uploads, at least 1)."""
    late_share: float = 0.1
    """Share of record copies held back until every operation is done."""
    max_delay: float = 0.5
    """Upper bound (s) of the random delay of the other copies."""
    function_timeout: float = 30.0
    max_retries: int = 5
    """Re-enqueues per event after Function.CatalogConflict (or any error with retry_any)."""
    retry_any: bool = False
    timeout: float = 900.0
    """Give up (and fail) when the storm has not settled after this many seconds."""
    log_dir: str | None = None
    """Where the runtimes' stderr goes (default: a temporary directory, kept on failure)."""

    def command(self) -> list[str]:
        if self.peer:
            name = {"python-boto3": "bootstrap", "naive": "naive-bootstrap"}[self.peer]
            return [sys.executable, str(PEER_DIR / name)]
        return [str(self.bootstrap or DEFAULT_BOOTSTRAP)]

    def label(self) -> str:
        if self.peer:
            return f"{self.peer} peer ({os.path.relpath(PEER_DIR, REPO_ROOT)})"
        path = Path(self.bootstrap or DEFAULT_BOOTSTRAP)
        try:
            shown = os.path.relpath(path, REPO_ROOT)
        except ValueError:
            shown = str(path)
        return f"imagecat bootstrap ({shown})"


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
    def exact(self) -> bool:
        return (self.catalog_error is None and not self.lost and not self.duplicated
                and not self.resurrected and not self.stale and not self.malformed)


@dataclass
class StormResult:
    config: StormConfig
    label: str
    plan: dict
    events: int = 0
    deliveries: int = 0
    invocations: int = 0
    invocations_by_shape: dict = field(default_factory=dict)
    failures: int = 0
    failures_by_type: dict = field(default_factory=dict)
    retries: int = 0
    retries_by_type: dict = field(default_factory=dict)
    unrecovered: int = 0
    """Events whose invocation failed for good (no retry allowed or left)."""
    sqs_redeliveries: int = 0
    requeued_after_crash: int = 0
    kills: int = 0
    reordering: dict = field(default_factory=dict)
    overlap: dict = field(default_factory=dict)
    wall_seconds: float = 0.0
    settle_seconds: float = 0.0
    """From the last upload to the last invocation's end."""
    runtimes: dict = field(default_factory=dict)
    faults: dict | None = None
    audit: Audit = field(default_factory=Audit)
    settled: bool = True
    log_dir: str | None = None
    error_samples: list = field(default_factory=list)

    @property
    def records_per_second(self) -> float:
        return self.deliveries / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def ok(self) -> bool:
        return self.settled and self.unrecovered == 0 and self.audit.exact

    def summary(self) -> dict:
        a = self.audit
        return {
            "ok": self.ok,
            "function": self.label,
            "procs": self.config.procs,
            "seed": self.config.seed,
            "plan": self.plan,
            "events": self.events,
            "deliveries": self.deliveries,
            "invocations": self.invocations,
            "invocations_by_shape": self.invocations_by_shape,
            "failures": self.failures,
            "failures_by_type": self.failures_by_type,
            "retries": self.retries,
            "retries_by_type": self.retries_by_type,
            "unrecovered": self.unrecovered,
            "sqs_redeliveries": self.sqs_redeliveries,
            "kills": self.kills,
            "requeued_after_crash": self.requeued_after_crash,
            "reordering": self.reordering,
            "overlap": self.overlap,
            "wall_seconds": round(self.wall_seconds, 2),
            "settle_seconds": round(self.settle_seconds, 2),
            "runtimes": self.runtimes,
            "events_per_second": round(self.events_per_second, 1),
            "records_per_second": round(self.records_per_second, 1),
            "faults": self.faults,
            "catalog_entries": a.catalog_entries,
            "bucket_images": a.bucket_images,
            "lost": len(a.lost),
            "duplicated": len(a.duplicated),
            "resurrected": len(a.resurrected),
            "resurrected_non_images": a.resurrected_non_images,
            "stale": len(a.stale),
            "malformed": a.malformed,
            "without_etag": a.without_etag,
            "catalog_error": a.catalog_error,
            "examples": {"lost": a.lost[:5], "duplicated": a.duplicated[:5],
                         "resurrected": a.resurrected[:5], "stale": a.stale[:5]},
            "settled": self.settled,
            "log_dir": self.log_dir,
            "error_samples": self.error_samples,
        }


# -- the plan --------------------------------------------------------------------------------

@dataclass
class Operation:
    index: int
    """Position in the plan; per key, a higher index is a later operation."""
    key: str
    kind: str
    """"put" or "delete"."""
    size: int = 0
    salt: int = 0
    fmt: str | None = None
    """The image format of the uploaded content; None for text."""
    width: int = 0
    height: int = 0


def key_pool(rng: random.Random, count: int, liars: bool = False) -> dict[str, str | None]:
    """`count` distinct keys → the format of their content (None: text). About 85% are image
    keys of every awkward shape, the rest text files; with `liars`, about 1 in 20 keys has a
    name that lies (text named .jpg, a PNG without extension or named .gif)."""
    keys: dict[str, str | None] = {}
    for i in range(count):
        if liars and i % 20 == 13:
            shape, fmt = LIAR_KEY_SHAPES[(i // 20) % len(LIAR_KEY_SHAPES)]
            keys[shape.format(i=i)] = fmt
            continue
        shapes = OTHER_KEY_SHAPES if i % 7 == 6 else IMAGE_KEY_SHAPES
        key = shapes[(i * 5 + rng.randrange(len(shapes))) % len(shapes)].format(i=i)
        keys[key] = extension_format(key)
    return keys


def plan_operations(rng: random.Random, uploads: int, deletes: int, pool: int,
                    liars: bool = False) -> tuple[list[Operation], dict]:
    """Every key is uploaded once, then the remaining uploads and the deletes fall on random
    keys in random order. A delete only falls on a key that exists at that point of its own
    sequence; the uploads after a delete are "deleted then re-uploaded". Re-uploads change the
    size 70% of the time, else keep it (then only the ETag, and maybe the pixel size, change).
    Every image upload gets new random pixel dimensions."""
    pool = max(1, min(pool, uploads))
    formats = key_pool(rng, pool, liars)
    keys = list(formats)
    sequences: dict[str, list[Operation]] = {k: [] for k in keys}
    sizes: dict[str, int] = {}
    stats = Counter()

    def put(key: str) -> None:
        fmt = formats[key]
        low = min_image_size(fmt) if fmt else 1
        previous = sizes.get(key)
        if previous is None or rng.random() < 0.7:
            size = rng.randint(low, 4096)
            while size == previous:
                size = rng.randint(low, 4096)
            if previous is not None:
                stats["reuploads_new_size"] += 1
        else:
            size = previous
            stats["reuploads_same_size"] += 1
        sizes[key] = size
        limit = MAX_DIMENSION.get(fmt or "", DEFAULT_MAX_DIMENSION)
        width, height = (rng.randint(1, limit), rng.randint(1, limit)) if fmt else (0, 0)
        sequences[key].append(Operation(0, key, "put", size, rng.getrandbits(32), fmt, width, height))

    for key in keys:
        put(key)
    extra = ["put"] * (uploads - pool) + ["delete"] * deletes
    rng.shuffle(extra)
    for kind in extra:
        key = rng.choice(keys)
        if kind == "delete":
            if sequences[key][-1].kind == "delete":
                living = [k for k in keys if sequences[k][-1].kind == "put"]
                if not living:
                    put(key)  # nothing left to delete: this slot becomes an upload
                    continue
                key = rng.choice(living)
            sequences[key].append(Operation(0, key, "delete"))
        else:
            if sequences[key][-1].kind == "delete":
                stats["reuploads_after_delete"] += 1
            put(key)
    # Interleave the per-key sequences in a random global order that keeps each key's order.
    cursors = {k: 0 for k in keys}
    remaining = [k for k in keys for _ in sequences[k]]
    rng.shuffle(remaining)
    operations = []
    for key in remaining:
        op = sequences[key][cursors[key]]
        cursors[key] += 1
        op.index = len(operations)
        operations.append(op)
    final = {k: seq[-1].kind for k, seq in sequences.items()}
    plan = {
        "uploads": sum(op.kind == "put" for op in operations),
        "deletes": sum(op.kind == "delete" for op in operations),
        "keys": pool,
        "image_keys": sum(f is not None for f in formats.values()),
        "non_image_keys": sum(f is None for f in formats.values()),
        "lying_names": sum(f != extension_format(k) for k, f in formats.items()),
        "formats": dict(sorted(Counter(f for f in formats.values() if f).items())),
        "reuploads_new_size": stats["reuploads_new_size"],
        "reuploads_same_size": stats["reuploads_same_size"],
        "reuploads_after_delete": stats["reuploads_after_delete"],
        "deleted_at_end": sum(kind == "delete" for kind in final.values()),
    }
    return operations, plan


def body_for(op: Operation) -> bytes:
    """The content of an upload: a `fmt` image of `size` bytes, or text; the salt makes two
    uploads of the same size differ (and so their ETags)."""
    if op.fmt:
        return make_image(op.fmt, op.width, op.height, op.size, op.salt)
    line = f"not an image: {op.key} #{op.salt}\n".encode()
    return (line * (op.size // len(line) + 1))[:op.size]


# -- delivery --------------------------------------------------------------------------------

@dataclass
class Copy:
    op: Operation
    record: dict
    due: float


class Deliverer:
    """Holds record copies until they are due, then cuts shuffled batches and enqueues them.

    Each batch becomes a direct S3 event, or (with `sqs`) an SQS batch of one-record messages,
    or (with `eventbridge`, single records only) an EventBridge event."""

    def __init__(self, storm: "Storm"):
        self.storm = storm
        self.rng = random.Random(storm.config.seed * 7919 + 1)
        self.lock = threading.Lock()
        self.waiting: list[Copy] = []
        self.late: list[Copy] = []
        self.first_delivery: dict[int, int] = {}
        self.delivered = 0
        self.out_of_order = 0
        self.delete_before_create = 0
        self.latest_delivered: dict[str, int] = {}

    def add(self, op: Operation, record: dict) -> None:
        config = self.storm.config
        now = time.monotonic()
        with self.lock:
            for _ in range(2):
                copy = Copy(op, record, now + self.rng.uniform(0, config.max_delay))
                (self.late if self.rng.random() < config.late_share else self.waiting).append(copy)

    def flush(self, everything: bool = False) -> int:
        """Enqueues the due copies (all of them with `everything`); returns how many."""
        now = time.monotonic()
        with self.lock:
            if everything:
                due, self.waiting, self.late = self.waiting + self.late, [], []
            else:
                due = [c for c in self.waiting if c.due <= now]
                self.waiting = [c for c in self.waiting if c.due > now]
            self.rng.shuffle(due)
            batches = []
            while due:
                size = self.rng.randint(1, max(1, self.storm.config.max_batch))
                batches.append(due[:size])
                due = due[size:]
            for batch in batches:
                for copy in batch:
                    self._note_order(copy.op)
        for batch in batches:
            self.storm.deliver([c.record for c in batch], self._shape(len(batch)))
        return sum(len(b) for b in batches)

    def _shape(self, size: int) -> str:
        config = self.storm.config
        draw = self.rng.random()
        if config.eventbridge and size == 1 and draw < 0.5:
            return "eventbridge"
        if config.sqs and draw < 0.5:
            return "sqs"
        return "direct"

    def _note_order(self, op: Operation) -> None:
        """Counts reordering as the function sees it (under the lock, in delivery order)."""
        self.delivered += 1
        latest = self.latest_delivered.get(op.key, -1)
        if op.index < latest:
            self.out_of_order += 1
        else:
            self.latest_delivered[op.key] = op.index
        if op.index not in self.first_delivery:
            self.first_delivery[op.index] = self.delivered
            previous = self.storm.previous_op.get(op.index)
            if op.kind == "delete" and previous is not None and previous not in self.first_delivery:
                self.delete_before_create += 1


def eventbridge_event(record: dict) -> dict:
    """The EventBridge form of one S3 notification record (keys are not URL-encoded there)."""
    obj = record["s3"]["object"]
    created = record["eventName"].startswith("ObjectCreated:")
    detail_object = {"key": urllib.parse.unquote_plus(obj["key"]), "sequencer": obj["sequencer"]}
    if created:
        detail_object.update({"size": obj["size"], "etag": obj["eTag"]})
    bucket = record["s3"]["bucket"]["name"]
    return {
        "version": "0", "id": str(uuid.uuid4()),
        "detail-type": "Object Created" if created else "Object Deleted",
        "source": "aws.s3", "account": "123456789012",
        "time": record["eventTime"][:19] + "Z", "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": detail_object,
                   "request-id": uuid.uuid4().hex[:16].upper(), "requester": "123456789012",
                   "source-ip-address": "127.0.0.1",
                   "reason": "PutObject" if created else "DeleteObject"},
    }


# -- the storm -------------------------------------------------------------------------------

class Storm:
    def __init__(self, config: StormConfig, server, bucket: str):
        self.config = config
        self.server = server
        self.bucket = bucket
        self.rng = random.Random(config.seed)
        self.operations, plan = plan_operations(
            self.rng, config.uploads, config.deletes,
            config.keys if config.keys is not None else max(1, int(config.uploads * 0.4)),
            liars=config.liars)
        self.result = StormResult(config, config.label(), plan)
        self.previous_op: dict[int, int] = {}
        last: dict[str, int] = {}
        for op in self.operations:
            if op.key in last:
                self.previous_op[op.index] = last[op.key]
            last[op.key] = op.index
        self.deliverer = Deliverer(self)
        self.lock = threading.Condition()
        self.outstanding = 0
        self.ops_done = 0
        self.uploads_finished_at: float | None = None
        self.results_during_uploads = 0
        self.results_total = 0
        self.first_result_at: float | None = None
        self.ops_after_first_result = 0
        self.upload_errors: list[str] = []
        self.final: dict[str, Operation | None] = {}
        """Each key's last completed operation (None after a delete): what S3 now holds."""
        self.lineage: dict[str, tuple[bytes, int, str]] = {}
        """request id → (event, retries so far, shape)."""
        self.api: LocalRuntimeAPI | None = None
        self.proxy = None
        self.log_file = None

    # -- invocations ---------------------------------------------------------------------

    def deliver(self, records: list[dict], shape: str) -> None:
        if shape == "sqs":
            payload = sqs_batch_event([s3_events.event(r) for r in records])
        elif shape == "eventbridge":
            payload = json.dumps(eventbridge_event(records[0])).encode()
        else:
            payload = json.dumps(s3_events.event(*records)).encode()
        with self.lock:
            self.result.deliveries += len(records)
        self._enqueue(payload, 0, shape)

    def _enqueue(self, payload: bytes, retries: int, shape: str) -> None:
        with self.lock:
            self.outstanding += 1
            self.result.invocations += 1
            by_shape = self.result.invocations_by_shape
            by_shape[shape] = by_shape.get(shape, 0) + 1
        request_id = str(uuid.uuid4())
        with self.lock:
            self.lineage[request_id] = (payload, retries, shape)
        assert self.api is not None
        self.api.enqueue(payload, request_id=request_id)

    def on_result(self, result: Result) -> None:
        try:
            self._handle_result(result)
        finally:
            with self.lock:
                self.outstanding -= 1
                self.results_total += 1
                if self.uploads_finished_at is None:
                    self.results_during_uploads += 1
                if self.first_result_at is None:
                    self.first_result_at = time.monotonic()
                self.lock.notify_all()

    def _handle_result(self, result: Result) -> None:
        with self.lock:
            payload, retries, shape = self.lineage.pop(result.id)
            if result.attempts > 1:
                self.result.requeued_after_crash += 1
        if result.kind == "response":
            if shape == "sqs":
                self._redeliver_sqs(payload, result)
            return
        error_type = result.error_type or result.kind
        with self.lock:
            self.result.failures += 1
            failures = self.result.failures_by_type
            failures[error_type] = failures.get(error_type, 0) + 1
            if len(self.result.error_samples) < 5:
                self.result.error_samples.append(
                    {"type": error_type, "body": result.body.decode("utf-8", "replace")[:500]})
        retryable = error_type == CONFLICT or self.config.retry_any
        if retryable and retries < self.config.max_retries:
            with self.lock:
                self.result.retries += 1
                by_type = self.result.retries_by_type
                by_type[error_type] = by_type.get(error_type, 0) + 1
            self._enqueue(payload, retries + 1, shape)
        else:
            with self.lock:
                self.result.unrecovered += 1

    def _redeliver_sqs(self, payload: bytes, result: Result) -> None:
        """SQS makes the messages listed in batchItemFailures visible again: a new batch."""
        try:
            failed = {f["itemIdentifier"] for f in result.json().get("batchItemFailures", [])}
        except (ValueError, AttributeError, TypeError, KeyError):
            with self.lock:
                self.result.unrecovered += 1
                self.result.error_samples.append(
                    {"type": "bad SQS response", "body": result.body.decode("utf-8", "replace")[:500]})
            return
        if not failed:
            return
        messages = [m for m in json.loads(payload)["Records"] if m["messageId"] in failed]
        with self.lock:
            self.result.sqs_redeliveries += len(messages)
        self._enqueue(sqs_batch_event([m["body"] for m in messages]), 0, "sqs")

    # -- S3 operations -------------------------------------------------------------------

    def _uploader(self, ops: list[Operation]) -> None:
        s3 = self.server.boto3_client()
        for op in ops:
            try:
                if op.kind == "put":
                    body = body_for(op)
                    answer = s3.put_object(Bucket=self.bucket, Key=op.key, Body=body)
                    record = s3_events.record(self.bucket, op.key, event_name="ObjectCreated:Put",
                                              size=len(body), etag=answer["ETag"])
                    self.final[op.key] = op
                else:
                    s3.delete_object(Bucket=self.bucket, Key=op.key)
                    record = s3_events.record(self.bucket, op.key,
                                              event_name="ObjectRemoved:Delete")
                    self.final[op.key] = None
            except Exception as error:  # noqa: BLE001 (reported, and fails the storm)
                with self.lock:
                    self.upload_errors.append(f"{op.kind} {op.key!r}: {error}")
                continue
            self.deliverer.add(op, record)
            with self.lock:
                self.ops_done += 1
                if self.first_result_at is not None:
                    self.ops_after_first_result += 1

    def _killer(self, stop: threading.Event) -> None:
        """SIGKILLs `kill` random runtime processes while operations are under way, each at
        an evenly spaced point of the plan's progress, and starts a replacement for each."""
        total = len(self.operations)
        marks = [total * (i + 1) // (self.config.kill + 1) for i in range(self.config.kill)]
        rng = random.Random(self.config.seed * 31 + 7)
        assert self.api is not None
        while marks and not stop.wait(0.02):
            with self.lock:
                done = self.ops_done
            if done < marks[0] or not self.api.pending():
                continue
            marks.pop(0)
            living = [p for p in self.api.processes if p.poll() is None]
            if not living:
                continue
            victim = rng.choice(living)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            with self.lock:
                self.result.kills += 1
            self.spawn(1)

    def spawn(self, n: int) -> None:
        assert self.api is not None
        self.api.spawn(self.config.command(), n=n, env=self.function_env,
                       stdout=self.log_file, stderr=self.log_file)

    # -- the run -------------------------------------------------------------------------

    def run(self) -> StormResult:
        config = self.config
        log_dir = config.log_dir or tempfile.mkdtemp(prefix="imagecat-storm-")
        os.makedirs(log_dir, exist_ok=True)
        self.result.log_dir = log_dir
        self.log_file = open(os.path.join(log_dir, "runtimes.log"), "ab")
        endpoint = self.server.endpoint
        if config.faults or config.resets or config.via_proxy:
            from fault_proxy import FaultProxy
            resets = config.resets if config.resets is not None else config.faults * 0.3
            self.proxy = FaultProxy(self.server.endpoint, error_rate=config.faults,
                                    reset_rate=resets, seed=config.seed).start()
            endpoint = self.proxy.endpoint
        self.function_env = self.server.child_env()
        self.function_env.update({"AWS_ENDPOINT_URL_S3": endpoint, "_HANDLER": "catalog",
                                  "CATALOG_KEY": CATALOG_KEY})
        self.api = LocalRuntimeAPI(function_timeout=config.function_timeout,
                                   on_result=self.on_result).start()
        stop = threading.Event()
        started = time.monotonic()
        try:
            self.spawn(config.procs)
            self.api.wait_for_waiting(min(config.procs, 1), timeout=30)
            owners = defaultdict(list)
            threads_n = max(1, config.upload_threads)
            for op in self.operations:
                owners[zlib.crc32(op.key.encode()) % threads_n].append(op)
            uploaders = [threading.Thread(target=self._uploader, args=(ops,), daemon=True)
                         for ops in owners.values()]
            killer = threading.Thread(target=self._killer, args=(stop,), daemon=True)
            started = time.monotonic()
            for thread in uploaders:
                thread.start()
            if config.kill:
                killer.start()
            while any(t.is_alive() for t in uploaders):
                self.deliverer.flush()
                time.sleep(0.02)
            with self.lock:
                self.uploads_finished_at = time.monotonic()
            self.deliverer.flush(everything=True)
            deadline = started + config.timeout
            with self.lock:
                while self.outstanding > 0 and time.monotonic() < deadline:
                    self.lock.wait(0.2)
                self.result.settled = self.outstanding == 0
            self.result.wall_seconds = time.monotonic() - started
            self.result.settle_seconds = time.monotonic() - self.uploads_finished_at
            stop.set()
            if config.kill:
                killer.join(timeout=5)
            self.result.runtimes = runtime_usage(self.api.processes)
        finally:
            stop.set()
            self.api.stop()
            if self.proxy is not None:
                self.result.faults = self.proxy.counts()
                self.proxy.stop()
            self.log_file.close()
        r = self.result
        r.events = len(self.operations) - len(self.upload_errors)
        r.reordering = {
            "out_of_order_deliveries": self.deliverer.out_of_order,
            "deletes_before_their_create": self.deliverer.delete_before_create,
            "late_share": config.late_share,
        }
        r.overlap = {
            "invocations_done_while_uploading": self.results_during_uploads,
            "operations_after_first_invocation": self.ops_after_first_result,
            "upload_seconds": round((self.uploads_finished_at or started) - started, 2),
        }
        if self.upload_errors:
            r.error_samples.extend({"type": "upload", "body": e} for e in self.upload_errors[:5])
            r.unrecovered += len(self.upload_errors)
        expected = {k: (op.fmt, op.width, op.height) for k, op in self.final.items()
                    if op is not None and op.fmt is not None}
        r.audit = audit(self.server.boto3_client(), self.bucket, expected)
        if r.ok and config.log_dir is None:  # a temporary log is only worth keeping on failure
            shutil.rmtree(log_dir, ignore_errors=True)
            r.log_dir = None
        return r


def runtime_usage(processes) -> dict:
    """CPU seconds and peak RSS of the runtime processes still alive (from /proc; Linux only):
    what the function itself cost, apart from S3 and the storm's own work."""
    ticks = os.sysconf("SC_CLK_TCK")
    cpu, peak, counted = 0.0, 0, 0
    for process in processes:
        if process.poll() is not None:
            continue
        try:
            with open(f"/proc/{process.pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
            with open(f"/proc/{process.pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            counted += 1
        except (OSError, IndexError, ValueError):
            continue
    return {"processes": counted, "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak / 1024, 1)}


def audit(s3, bucket: str, expected: dict[str, tuple[str, int | None, int | None]] | None = None) -> Audit:
    """Compares the catalog with the bucket: the bucket (list_objects_v2) is the truth.

    `expected` maps each key whose current content is an image to (type, width, height), as
    the storm uploaded it; without it, keys are judged images by their extension (and pixel
    sizes are not checked). Entries that carry width and height (a function that reads
    content) must also match the type and pixel size, else they are counted as stale."""
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
        if name not in truth:
            continue
        size, etag = truth[name]
        if "etag" not in entry:
            result.without_etag += 1
        stale = entry["size"] != size or ("etag" in entry and str(entry["etag"]).strip('"') != etag)
        if expected is not None and "width" in entry:
            fmt, width, height = expected[name]
            stale = stale or (entry["type"], entry.get("width"), entry.get("height")) != (fmt, width, height)
        if stale:
            result.stale.append(name)
    return result


def run_storm(config: StormConfig, server=None, bucket: str | None = None) -> StormResult:
    """Runs one storm against `server` (an S3Server; a fresh one when None) in `bucket` (a
    fresh one when None)."""
    if config.peer and config.sqs:
        raise ValueError("the peers only read direct S3 events: no SQS with a peer")
    if config.peer and config.eventbridge:
        raise ValueError("the peers only read direct S3 events: no EventBridge with a peer")
    if server is None:
        from s3_server import S3Server
        with S3Server() as own:
            return run_storm(config, own, bucket)
    s3 = server.boto3_client()
    if bucket is None:
        bucket = f"imagecat-storm-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
    return Storm(config, server, bucket).run()


# -- command line ----------------------------------------------------------------------------

def format_report(result: StormResult) -> str:
    s = result.summary()
    c = result.config

    def by_type(counts: dict) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"

    plan = s["plan"]
    lines = [
        f"storm: {s['function']}, {c.procs} processes, seed {c.seed}, batches of 1..{c.max_batch}",
        f"  plan: {plan['uploads']} uploads + {plan['deletes']} deletes over {plan['keys']} keys "
        f"({plan['image_keys']} images of {len(plan['formats'])} formats, {plan['non_image_keys']} "
        f"text{', ' + str(plan['lying_names']) + ' with lying names' if plan['lying_names'] else ''}); re-uploads: {plan['reuploads_new_size']} new size, "
        f"{plan['reuploads_same_size']} same size (new ETag), {plan['reuploads_after_delete']} after "
        f"a delete; {plan['deleted_at_end']} keys deleted at the end",
        f"  events: {s['events']} S3 events, {s['deliveries']} records delivered (each event twice, "
        f"shuffled; {s['reordering']['out_of_order_deliveries']} delivered after a later change of "
        f"the same key, {s['reordering']['deletes_before_their_create']} deletes before their create)",
        f"  invocations: {s['invocations']} ({by_type(s['invocations_by_shape'])}); "
        f"done while uploads ran: {s['overlap']['invocations_done_while_uploading']}, uploads "
        f"took {s['overlap']['upload_seconds']} s",
        f"  failures: {s['failures']} ({by_type(s['failures_by_type'])}); retries: {s['retries']} "
        f"({by_type(s['retries_by_type'])}); unrecovered: {s['unrecovered']}",
    ]
    if c.sqs:
        lines.append(f"  sqs: {s['sqs_redeliveries']} messages redelivered after batchItemFailures")
    if c.kill:
        lines.append(f"  kills: {s['kills']} runtimes SIGKILLed (replaced); "
                     f"{s['requeued_after_crash']} invocations finished on a second delivery")
    if s["faults"] is not None:
        f = s["faults"]
        lines.append(f"  faults: {f['requests']} function S3 requests, {f['slowdowns']} answered 503 "
                     f"SlowDown, {f['resets']} connections reset ({f['resets_before_forwarding']} "
                     f"before forwarding, {f['resets_after_forwarding']} after the server answered)"
                     if f["slowdowns"] or f["resets"] else
                     f"  proxy: {f['requests']} function S3 requests, no faults injected")
        conflicts = f["answers"].get("412", 0) + f["answers"].get("409", 0)
        lines.append(f"  server answers: {', '.join(f'{k}: {v}' for k, v in f['answers'].items())} "
                     f"({conflicts} conditional writes lost to another writer, 412/409)")
    lines += [
        f"  wall time: {s['wall_seconds']:.2f} s; {s['events_per_second']:.1f} events/s "
        f"({s['records_per_second']:.1f} delivered records/s); settled {s['settle_seconds']:.2f} s "
        f"after the last upload",
        f"  runtimes: {s['runtimes'].get('cpu_seconds', '?')} CPU s in the "
        f"{s['runtimes'].get('processes', '?')} live processes, peak RSS "
        f"{s['runtimes'].get('peak_rss_mb', '?')} MB",
        f"  catalog: {s['catalog_entries']} entries; bucket: {s['bucket_images']} images",
        f"  lost {s['lost']}, duplicated {s['duplicated']}, resurrected {s['resurrected']}"
        f"{' (' + str(s['resurrected_non_images']) + ' not images)' if s['resurrected_non_images'] else ''}"
        f", stale {s['stale']}"
        + (f", malformed {s['malformed']}" if s["malformed"] else "")
        + (f" ({s['without_etag']} entries without etag: compared by size only)" if s["without_etag"] else ""),
    ]
    if s["catalog_error"]:
        lines.append(f"  catalog error: {s['catalog_error']}")
    for kind, names in s["examples"].items():
        if names:
            lines.append(f"  e.g. {kind}: {', '.join(repr(n) for n in names)}")
    for sample in s["error_samples"][:3]:
        lines.append(f"  error sample: {sample['type']}: {sample['body'][:300]}")
    if not s["settled"]:
        lines.append(f"  NOT SETTLED: invocations still pending after {c.timeout:.0f} s")
    lines.append("  PASS: the catalog equals the bucket" if s["ok"] else
                 f"  FAIL (runtime logs: {s['log_dir']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Real uploads and deletes on a local S3 server, every event delivered twice "
                    "and shuffled to concurrent catalog functions; then images.json is audited "
                    "against the bucket. Exit 0 only when it is exact.")
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--deletes", type=int, default=200)
    parser.add_argument("--procs", type=int, default=8, help="concurrent runtime processes")
    parser.add_argument("--max-batch", type=int, default=10, help="records per invocation: 1..N")
    parser.add_argument("--seed", type=int, default=1)
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--bootstrap", default=None,
                     help="the runtime executable (default .build/release/bootstrap)")
    who.add_argument("--peer", action="store_true",
                     help="run ../shared/peers/python-boto3/bootstrap instead, for comparison")
    who.add_argument("--naive", action="store_true",
                     help="run the naive peer (expected to FAIL: proves the audit sees loss)")
    parser.add_argument("--sqs", action="store_true", help="deliver about half the batches via SQS")
    parser.add_argument("--eventbridge", action="store_true",
                        help="deliver some single records as EventBridge events")
    parser.add_argument("--liars", action="store_true",
                        help="add keys whose name lies (text named .jpg, PNGs without extension)")
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                        help="route the function's S3 traffic through the fault proxy: RATE of "
                             "requests answered 503 SlowDown")
    parser.add_argument("--resets", type=float, default=None, metavar="RATE",
                        help="with the fault proxy: RATE of connections reset (default faults×0.3)")
    parser.add_argument("--via-proxy", action="store_true",
                        help="route the function's S3 traffic through the proxy even without "
                             "faults, to count requests and conflicts (412/409)")
    parser.add_argument("--kill", type=int, default=0, metavar="N",
                        help="SIGKILL N random runtimes mid-run (their invocations are requeued)")
    parser.add_argument("--keys", type=int, default=None, help="key pool size (default 40%% of uploads)")
    parser.add_argument("--upload-threads", type=int, default=4)
    parser.add_argument("--function-timeout", type=float, default=30.0)
    parser.add_argument("--max-retries", type=int, default=5,
                        help="re-enqueues of an event after Function.CatalogConflict")
    parser.add_argument("--retry-any", action="store_true",
                        help="retry every failed invocation (Lambda's async retry), not only conflicts")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    parser.add_argument("--log-dir", default=None, help="where runtime stderr goes")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    args = parser.parse_args(argv)
    if (args.peer or args.naive) and (args.sqs or args.eventbridge):
        parser.error("the peers only read direct S3 events: --sqs/--eventbridge need the Swift bootstrap")
    if args.bootstrap is None and not (args.peer or args.naive) and not DEFAULT_BOOTSTRAP.exists():
        parser.error(f"{DEFAULT_BOOTSTRAP} does not exist: `swift build -c release --product "
                     f"bootstrap` first, or pass --bootstrap PATH")
    config = StormConfig(
        uploads=args.uploads, deletes=args.deletes, procs=args.procs, max_batch=args.max_batch,
        seed=args.seed, bootstrap=args.bootstrap,
        peer="python-boto3" if args.peer else "naive" if args.naive else None,
        sqs=args.sqs, eventbridge=args.eventbridge, liars=args.liars, faults=args.faults,
        resets=args.resets, via_proxy=args.via_proxy,
        kill=args.kill, keys=args.keys, upload_threads=args.upload_threads,
        function_timeout=args.function_timeout, max_retries=args.max_retries,
        retry_any=args.retry_any, timeout=args.timeout, log_dir=args.log_dir)
    result = run_storm(config)
    if args.json:
        print(json.dumps(result.summary(), indent=2, ensure_ascii=False))
    else:
        print(format_report(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
