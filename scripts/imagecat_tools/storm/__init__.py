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
   after everything else), in batches of min..max records per invocation, as direct S3 events,
   SQS batches (--delivery sqs, or mixed: about half; failed messages are redelivered, as SQS
   does) and, with --eventbridge, single EventBridge events;
4. runs ≥8 bootstrap processes on the local Runtime API (optionally behind the fault proxy:
   503 SlowDown and connection resets; optionally SIGKILLing some mid-run, whose invocations
   the Runtime API hands to another process);
5. compares images.json with list_objects_v2 of the bucket (its images: the keys whose
   current content the storm uploaded as an image): lost (in the bucket, not in the catalog),
   duplicated (a name listed more than once), resurrected (in the catalog, not an image in the
   bucket), stale (size or ETag differ; for entries with width/height, also type or pixels).

The report gives delivered records/s (from the first delivery until everything settled),
failed invocations by error type, p50/p95/max invocation duration (from the Runtime API's
`/next` to the answer), the function's S3 requests per delivered record by kind, lost
conditional writes (412/409), and, with --latency, the physical limit at that latency (see
report.physical_limit). --compare-peer runs the python-boto3 peer on the same plan right after
the function, against the same server, and prints both side by side.

It exits 0 only when all four counts are 0 and every invocation ended well. An invocation
that fails with Function.CatalogConflict (the function gave up on a contended catalog before
its deadline) is enqueued again, as Lambda retries an asynchronous invoke; those retries are
counted and printed.

    scripts/storm [--uploads 1000] [--deletes 200] [--procs 8] [--min-batch 1] [--max-batch 10]
        [--seed 1] [--bootstrap .build/release/bootstrap | --peer | --naive] [--compare-peer]
        [--delivery direct|sqs|mixed] [--sqs] [--eventbridge] [--liars]
        [--faults 0.1 [--resets 0.03]] [--via-proxy] [--latency 10-30] [--kill 3] [--json]

    # issue 11's two scenarios, S3 10-30 ms away:
    scripts/storm --delivery sqs --min-batch 50 --max-batch 100 --procs 3 --uploads 2000 \
        --deletes 300 --latency 10-30
    scripts/storm --procs 8 --max-batch 10 --uploads 600 --deletes 100 --latency 10-30 --compare-peer

As a module (the integration tests): `run_storm(StormConfig(...), server=S3Server)` returns
a `StormResult`. Python 3.11 standard library, plus boto3 for the uploads and the audit.

One module per step: synthesis (keys and their content), planning (the operations, and the
record copies: duplicated, shuffled, held back, batched), delivery (the Runtime API, the
runtime processes, the kills, the run itself), audit (the catalog against the bucket), report
(the result and its text); config holds the knobs, cli the command line.
"""

from .audit import Audit, audit
from .config import CATALOG_KEY, CONFLICT, DEFAULT_BOOTSTRAP, PEER_DIR, StormConfig
from .delivery import Storm, run_storm, runtime_usage
from .planning import Deliverer, Operation, eventbridge_event, plan_operations
from .report import StormResult, format_report
from .synthesis import body_for, extension_format, is_image_key, key_pool, min_image_size
from ..images import image_header, make_image

__all__ = ["Audit", "CATALOG_KEY", "CONFLICT", "DEFAULT_BOOTSTRAP", "Deliverer", "Operation",
           "PEER_DIR", "Storm", "StormConfig", "StormResult", "audit", "body_for",
           "eventbridge_event", "extension_format", "format_report", "image_header",
           "is_image_key", "key_pool", "make_image", "min_image_size", "plan_operations",
           "run_storm", "runtime_usage"]
