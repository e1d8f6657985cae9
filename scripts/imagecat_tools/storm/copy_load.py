"""The ceiling a big catalog's server-side copies leave a storm on this machine (`--ceiling`).

A write into a big catalog's tail copies its prefix server-side (`UploadPartCopy`): ~184 MB per
write at 1,000,000 entries. On S3 that is S3's work. On the local SeaweedFS it is CPU taken from
the two cores the function, the proxy and the storm share, so a preloaded storm cannot run as
fast as the empty catalog's whatever the function does. How fast it could run is measured here:
the empty catalog's storm again, with as many copies of a catalog of the same size made on the
same server, a share of them as each invocation starts (as the function starts its copy). The
preloaded run's records/s against that run's is the function's own efficiency at that size,
copy latency included: the function waits for its copy, the ceiling run's invocations do not.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from .. import big_catalog
from .config import CATALOG_KEY

TAIL_BYTES = 128 << 10
"""Left out of each copy, as a write into the tail leaves its tail (`tailTarget`; the function's
prefix can be up to `tailMax`, 4 MiB, shorter)."""


class CopyLoad:
    """`copies` server-side copies of a catalog of `entries` entries, spread evenly over the
    first `invocations` hand-outs (`on_handout`), at most `workers` at a time (the runtimes), in
    a bucket of their own on the storm's server."""

    def __init__(self, s3, *, copies: int, invocations: int, entries: int, workers: int, seed: int = 1) -> None:
        self.s3 = s3
        self.copies = copies
        self.per_handout = copies / max(1, invocations)
        self.entries = entries
        self.bucket = f"imagecat-ceiling-{uuid.uuid4().hex[:12]}"
        self.seed = seed
        self.length = 0
        self.issued = 0
        self.done = 0
        self.failures: list[str] = []
        self._ended: list[float] = []
        """When each copy ended (time.monotonic)."""
        self._credit = 0.0
        self._lock = threading.Lock()
        self._closed = False
        self._summary: dict | None = None
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="copy-load")

    def prepare(self) -> "CopyLoad":
        """Writes the catalog the copies read, as the preloaded run's was written (untimed)."""
        self.s3.create_bucket(Bucket=self.bucket)
        big_catalog.preload(self.s3, self.bucket, self.entries, key=CATALOG_KEY, seed=self.seed)
        self.length = max(1, self.s3.head_object(Bucket=self.bucket, Key=CATALOG_KEY)["ContentLength"] - TAIL_BYTES)
        return self

    def on_handout(self, _request_id: str) -> None:
        """An invocation was handed out: its share of the copies starts now (none once finished:
        the local Runtime API calls this from its `/next`, which must not fail)."""
        with self._lock:
            if self._closed:
                return
            self._credit += self.per_handout + 1e-9       # (N × N/B sums to N, not N - ε)
            due = 0
            while self._credit >= 1 and self.issued < self.copies:
                self._credit -= 1
                self.issued += 1
                due += 1
            for _ in range(due):
                try:
                    self._pool.submit(self._copy)
                except RuntimeError as error:           # (no thread to be had: reported, not raised)
                    self.failures.append(f"{type(error).__name__}: {error}")

    def finish(self, settled_at: float | None = None, cancel: bool = False) -> dict:
        """Waits for the copies in flight (drops those not started, with `cancel`), deletes the
        bucket, and says what was copied: `late`, the copies that ended after `settled_at` (the
        run's end), were load the run's figures did not carry. Once; later calls repeat it."""
        with self._lock:
            if self._summary is not None:
                return self._summary
            self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        self._drop_bucket()
        self._summary = {"copies": self.copies, "issued": self.issued, "done": self.done,
                         "failed": len(self.failures), "entries": self.entries, "bytes_each": self.length,
                         "late": sum(1 for ended in self._ended if settled_at is not None and ended > settled_at),
                         "errors": self.failures[:3]}
        return self._summary

    def _copy(self) -> None:
        upload = None
        try:
            upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="copy", ContentType="application/json")["UploadId"]
            self.s3.upload_part_copy(Bucket=self.bucket, Key="copy", UploadId=upload, PartNumber=1,
                                     CopySource={"Bucket": self.bucket, "Key": CATALOG_KEY},
                                     CopySourceRange=f"bytes=0-{self.length - 1}")
            with self._lock:
                self.done += 1
        except Exception as error:  # noqa: BLE001 (reported: a copy that failed is not load)
            with self._lock:
                self.failures.append(f"{type(error).__name__}: {error}")
        finally:
            with self._lock:
                self._ended.append(time.monotonic())
            if upload is not None:
                try:
                    self.s3.abort_multipart_upload(Bucket=self.bucket, Key="copy", UploadId=upload)
                except Exception:  # noqa: BLE001 (an upload left behind costs disk, not the figure)
                    pass

    def _drop_bucket(self) -> None:
        """Best effort: the server is usually the storm's own, stopped right after."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=CATALOG_KEY)
            self.s3.delete_bucket(Bucket=self.bucket)
        except Exception:  # noqa: BLE001
            pass
