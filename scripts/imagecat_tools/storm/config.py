"""The storm's knobs (StormConfig) and the names it shares between its steps."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..paths import PEER_FILES, RELEASE_BOOTSTRAP, REPO_ROOT, peer_command

DEFAULT_BOOTSTRAP = RELEASE_BOOTSTRAP
CATALOG_KEY = "images.json"
CONFLICT = "Function.CatalogConflict"
DELIVERIES = ("direct", "sqs", "mixed")
"""How record batches reach the function: all as direct S3 events, all as SQS batches (S3 →
SQS → Lambda), or about half each."""


@dataclass
class StormConfig:
    uploads: int = 1000
    deletes: int = 200
    procs: int = 8
    min_batch: int = 1
    max_batch: int = 10
    """Records per invocation: a uniform draw from min_batch..max_batch per batch."""
    batch_window: float | None = None
    """Seconds due copies may wait for their batch to fill (an SQS event source mapping's
    batching window); None: 1 s when min_batch > 1, else 0 (whatever is due goes at once)."""
    seed: int = 1
    bootstrap: str | None = None
    """Runtime command; None: the release build (or the peer with `peer`)."""
    peer: str | None = None
    """"python-boto3" or "naive": run that peer (scripts/peers/) instead."""
    delivery: str = "direct"
    """One of DELIVERIES."""
    eventbridge: bool = False
    liars: bool = False
    """Add keys whose name lies about their content (the function must judge by content)."""
    faults: float = 0.0
    """Share of the function's S3 requests answered 503 SlowDown (through the fault proxy)."""
    resets: float | None = None
    """Share of the function's S3 requests whose connection is reset (default: faults × 0.3)."""
    latency: tuple[float, float] | None = None
    """(min, max) ms added to each of the function's S3 requests by the proxy (10-30: S3 in
    the same region); the storm's own uploads and audit go to the server directly."""
    via_proxy: bool = False
    """Route the function's S3 traffic through the fault proxy even without faults (to count
    its requests and the server's answers)."""
    kill: int = 0
    upload_threads: int = 4
    keys: int | None = None
    """Size of the key pool (default: 40% of the uploads, at least 1)."""
    backlog: bool = False
    """Perform every operation first, then deliver all the records (a queue that filled up
    while the function was away): records/s then measures the function alone, not the pace
    of the storm's own uploads. Without it the function works while the uploads happen."""
    late_share: float = 0.1
    """Share of record copies held back until every operation is done."""
    max_delay: float = 0.5
    """Upper bound (s) of the random delay of the other copies."""
    function_timeout: float = 30.0
    max_retries: int = 5
    """Re-enqueues per event after Function.CatalogConflict (or any error with retry_any)."""
    retry_any: bool = False
    timeout: float = 900.0
    """Give up (and fail) when the storm has not settled after this many seconds (the full-size
    storm of the defaults settles in ~12 s on a quiet 2-core machine; the tests' small ones take
    their own, shorter limit)."""
    log_dir: str | None = None
    """Where the runtimes' stderr goes (default: a temporary directory, kept on failure)."""
    preload: int = 0
    """Entries `images.json` already holds when the storm starts (other images, ~184 bytes each
    as imagecat writes them, with no objects behind them: big_catalog.preload). The catalog is
    indexed by one untimed invocation first (the one-off cost of the first write after an
    upgrade, reported apart), then the storm runs against it."""
    preload_deletes: int = 0
    """Deletes of preloaded images spread evenly over the whole catalog: their ObjectRemoved
    records join the plan (delivered twice and shuffled like the others)."""
    upload_prefix: str | None = None
    """Name every key `<upload_prefix><time-ordered id>/<shape>`, as imagecat's `POST /uploads`
    does (the gallery's uploads): they sort after the preloaded catalog's entries, so a write
    changes its end. None: the shapes alone, which sort all over a preloaded catalog."""
    box: int | None = None
    """Run each runtime process in its own Lambda-shaped box of this many MB (lambda_box: the
    memory limit and Lambda's CPU share for it, 128 MB ≈ 7.2 % of a core)."""
    server_profile: bool = False
    """Profile the S3 server from the first delivery to settled (`bench_lib.server_profile`):
    where its CPU goes when it, not the function, is the limit. SeaweedFS only."""
    ceiling_copies: int = 0
    """Server-side copies of a catalog of `ceiling_entries` entries made while the run's
    invocations start, spread evenly over `ceiling_invocations` of them (`copy_load`): an empty
    catalog's run with a preloaded run's copies measures the ceiling those copies leave."""
    ceiling_entries: int = 0
    ceiling_invocations: int = 0

    def __post_init__(self) -> None:
        if self.batch_window is None:
            self.batch_window = 1.0 if self.min_batch > 1 else 0.0
        if self.delivery not in DELIVERIES:
            raise ValueError(f"delivery must be one of {', '.join(DELIVERIES)}, got {self.delivery!r}")
        if not 1 <= self.min_batch <= self.max_batch:
            raise ValueError(f"batches need 1 <= min_batch <= max_batch, got "
                             f"{self.min_batch}..{self.max_batch}")
        if not 0 <= self.preload_deletes <= self.preload:
            raise ValueError(f"preload_deletes must be between 0 and preload ({self.preload}), "
                             f"got {self.preload_deletes}")
        if self.box is not None and self.kill:
            raise ValueError("kill and box do not mix: a killed box would leave its runtime behind")
        if self.ceiling_copies and not (self.ceiling_entries > 0 and self.ceiling_invocations > 0):
            raise ValueError("ceiling_copies needs ceiling_entries and ceiling_invocations")

    @property
    def proxied(self) -> bool:
        """The function's S3 traffic goes through the fault proxy, which counts its requests."""
        return bool(self.faults or self.resets or self.via_proxy or self.latency)

    @property
    def sqs(self) -> bool:
        """Some batches arrive as SQS events (the function must answer batchItemFailures)."""
        return self.delivery != "direct"

    def command(self) -> list[str]:
        if self.peer:
            return peer_command(self.peer)
        return [str(self.bootstrap or DEFAULT_BOOTSTRAP)]

    def label(self) -> str:
        if self.peer:
            return f"{self.peer} peer ({os.path.relpath(PEER_FILES[self.peer], REPO_ROOT)})"
        path = Path(self.bootstrap or DEFAULT_BOOTSTRAP)
        try:
            shown = os.path.relpath(path, REPO_ROOT)
        except ValueError:
            shown = str(path)
        return f"imagecat bootstrap ({shown})"

