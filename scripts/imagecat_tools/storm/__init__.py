"""A storm of real S3 changes against the catalog function, then an exact audit.

Why: S3 delivers notifications at least once, in no order, sometimes late, and a catalog
function runs as many concurrent copies. The only convincing test of "images.json always
converges to the bucket's images" is to do that to it, with real uploads, and compare the
result with the bucket itself. The storm does that in five steps, one module each:

1. synthesis: a pool of keys with awkward names (spaces, '+', '=', '&', '%', '?', '#',
   unicode, nested prefixes, upper-case extensions) and some text files, and each upload's
   bytes: an image key's content is a real image header (10 formats) with random pixel
   dimensions, since the function judges by content, not by name (--liars adds names that lie);
2. planning: N uploads and M deletes over that pool, some keys deleted and uploaded again
   (re-uploads change the size or, with the same size, only the content, so only the ETag
   tells them apart); and how their records are delivered: every record TWICE, shuffled, each
   copy after a random delay or held back until the end (so some deletes arrive before their
   creates), in batches of min..max records, as direct S3 events, SQS batches (--delivery
   sqs, or mixed: about half) and, with --eventbridge, single EventBridge events;
3. delivery: the run. The operations are performed for real on a local S3 server (boto3, a
   few threads, each key owned by one) while the function is already working, each finished
   one producing the S3 notification record S3 would send (size, ETag, sequencer); the due
   copies go to the local Runtime API, served by ≥8 bootstrap processes (optionally behind
   the fault proxy: 503 SlowDown, connection resets, latency; optionally SIGKILLing some
   mid-run, whose invocations go to another process); failed SQS messages are redelivered
   and conflicts retried, as Lambda does;
4. audit: images.json against list_objects_v2 of the bucket (its images: the keys whose
   current content the storm uploaded as an image): lost (in the bucket, not in the catalog),
   duplicated (a name listed more than once), resurrected (in the catalog, not an image in the
   bucket), stale (size or ETag differ; for entries with width/height, also type or pixels);
5. report: the result and its text.

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

One module per step, named above and numbered the same in its own docstring ("Step N of the
storm"); config holds the knobs, cli the command line. Imports go one way, down the steps:
cli → delivery → planning → synthesis → config (audit and report beside them).
"""

from .audit import Audit, audit
from .config import CATALOG_KEY, CONFLICT, DEFAULT_BOOTSTRAP, StormConfig
from .delivery import Storm, run_storm, runtime_usage
from .planning import Deliverer, eventbridge_event, plan_operations
from .report import StormResult, format_report
from .synthesis import (Operation, body_for, extension_format, is_image_key, key_pool,
                        min_image_size)
from ..images import image_header, make_image

__all__ = ["Audit", "CATALOG_KEY", "CONFLICT", "DEFAULT_BOOTSTRAP", "Deliverer", "Operation",
           "Storm", "StormConfig", "StormResult", "audit", "body_for",
           "eventbridge_event", "extension_format", "format_report", "image_header",
           "is_image_key", "key_pool", "make_image", "min_image_size", "plan_operations",
           "run_storm", "runtime_usage"]
