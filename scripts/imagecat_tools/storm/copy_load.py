"""The ceiling a big catalog's server-side copies leave a storm on this machine (`--ceiling`).

A write into a big catalog's tail copies its prefix server-side (`UploadPartCopy`): ~184 MB per
write at 1,000,000 entries. On S3 that is S3's work. On the local SeaweedFS it is CPU taken from
the two cores the function, the proxy and the storm share, so a preloaded storm cannot run as
fast as the empty catalog's whatever the function does. How fast it could run is measured here:
the empty catalog's storm again, with as many copies of a catalog of the same size made on the
same server, a share of them as each invocation starts (as the function starts its copy). The
preloaded run's records/s against that run's is the function's own efficiency at that size.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from .. import big_catalog

TAIL_BYTES = 128 << 10
"""Left out of each copy, as a write into the tail leaves its tail (`tailTarget`)."""


class CopyLoad:
    """`copies` server-side copies of a catalog of `entries` entries, spread evenly over
    `invocations` hand-outs (`on_handout`), at most `workers` at a time (the runtimes), in a
    bucket of their own on the storm's server."""

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
        self._credit = 0.0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="copy-load")
        self._copy_seconds = 0.0

    def prepare(self) -> "CopyLoad":
        """Writes the catalog the copies read, as the preloaded run's was written (untimed)."""
        self.s3.create_bucket(Bucket=self.bucket)
        big_catalog.preload(self.s3, self.bucket, self.entries, seed=self.seed)
        self.length = max(1, self.s3.head_object(Bucket=self.bucket, Key="images.json")["ContentLength"] - TAIL_BYTES)
        return self

    def on_handout(self, _request_id: str) -> None:
        """An invocation was handed out: its share of the copies starts now."""
        with self._lock:
            self._credit += self.per_handout + 1e-9       # (N × N/B sums to N, not N - ε)
            due = 0
            while self._credit >= 1 and self.issued < self.copies:
                self._credit -= 1
                self.issued += 1
                due += 1
        for _ in range(due):
            self._pool.submit(self._copy)

    def finish(self) -> dict:
        """Waits for the copies in flight; what was copied."""
        self._pool.shutdown(wait=True)
        return {"copies": self.copies, "done": self.done, "failed": len(self.failures),
                "entries": self.entries, "bytes_each": self.length,
                "copy_seconds": round(self._copy_seconds, 2), "errors": self.failures[:3]}

    def _copy(self) -> None:
        started = time.monotonic()
        upload = None
        try:
            upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="copy", ContentType="application/json")["UploadId"]
            self.s3.upload_part_copy(Bucket=self.bucket, Key="copy", UploadId=upload, PartNumber=1,
                                     CopySource={"Bucket": self.bucket, "Key": "images.json"},
                                     CopySourceRange=f"bytes=0-{self.length - 1}")
            with self._lock:
                self.done += 1
        except Exception as error:  # noqa: BLE001 (reported: a copy that failed is not load)
            with self._lock:
                self.failures.append(f"{type(error).__name__}: {error}")
        finally:
            if upload is not None:
                try:
                    self.s3.abort_multipart_upload(Bucket=self.bucket, Key="copy", UploadId=upload)
                except Exception:  # noqa: BLE001 (an upload left behind costs disk, not the figure)
                    pass
            with self._lock:
                self._copy_seconds += time.monotonic() - started
