"""Step 2 of the storm: the plan. The operations (uploads, deletes, re-uploads) in a random
order that keeps each key's own order, and the delivery of their records: every record twice,
each copy after a random delay or held back until the end, cut into shuffled batches of
min..max records, each batch shaped as a direct S3 event, an SQS batch or an EventBridge event."""

from __future__ import annotations

import random
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from .config import StormConfig
from .synthesis import (DEFAULT_MAX_DIMENSION, MAX_DIMENSION, Operation, extension_format,
                        key_pool, min_image_size)


class DeliveryTarget(Protocol):
    """What the Deliverer hands batches to (the run, delivery.Storm): the knobs, each
    operation's predecessor on its key (to count deletes overtaking their create), and where a
    batch goes."""

    config: StormConfig
    previous_op: dict[int, int]

    def deliver(self, records: list[dict], shape: str) -> None: ...


def plan_operations(rng: random.Random, uploads: int, deletes: int, pool: int,
                    liars: bool = False, upload_prefix: str | None = None) -> tuple[list[Operation], dict]:
    """Every key is uploaded once, then the remaining uploads and the deletes fall on random
    keys in random order. A delete only falls on a key that exists at that point of its own
    sequence; the uploads after a delete are "deleted then re-uploaded". Re-uploads change the
    size 70% of the time, else keep it (then only the ETag, and maybe the pixel size, change).
    Every image upload gets new random pixel dimensions."""
    pool = max(1, min(pool, uploads))
    formats = key_pool(rng, pool, liars, upload_prefix)
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


@dataclass
class Copy:
    op: Operation
    record: dict
    due: float


class Deliverer:
    """Holds record copies until they are due, then cuts shuffled batches of a size drawn from
    min_batch..max_batch and enqueues them. Fewer due copies than the drawn size wait for more
    until the oldest has waited batch_window (as an SQS event source mapping's batching
    window), then go as a smaller batch; at the end everything goes.

    Each batch becomes a direct S3 event or an SQS batch of one-record messages (as the
    config's `delivery` says), or (with `eventbridge`, single records only) an EventBridge
    event."""

    def __init__(self, storm: DeliveryTarget):
        self.storm = storm
        self.rng = random.Random(storm.config.seed * 7919 + 1)
        self.lock = threading.Lock()
        self.waiting: list[Copy] = []
        self.next_size: int | None = None
        """The drawn size of the batch that is waiting to fill."""
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

    def flush(self, everything: bool = False, keep_late: bool = False) -> int:
        """Enqueues the due copies (all of them with `everything`, but the held-back ones only
        without `keep_late`); returns how many."""
        now = time.monotonic()
        with self.lock:
            if everything and keep_late:
                due, self.waiting = self.waiting, []
            elif everything:
                due, self.waiting, self.late = self.waiting + self.late, [], []
            else:
                due = [c for c in self.waiting if c.due <= now]
                self.waiting = [c for c in self.waiting if c.due > now]
            self.rng.shuffle(due)
            batches = []
            config = self.storm.config
            while due:
                size = self.next_size or self.rng.randint(config.min_batch, config.max_batch)
                if len(due) < size and not everything \
                        and now - min(c.due for c in due) < config.batch_window:
                    self.waiting.extend(due)  # too few for this batch yet: wait for more
                    self.next_size = size  # the same size next time (a new draw would favour small ones)
                    break
                self.next_size = None
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
        if config.delivery == "sqs" or (config.delivery == "mixed" and draw < 0.5):
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
