"""Step 3 of the storm: the run. Performs the plan on the S3 server (a few upload threads,
each key owned by one), hands the due record copies to the local Runtime API, runs the
runtime processes (optionally behind the fault proxy, optionally SIGKILLing some), retries
conflicts as Lambda retries an asynchronous invoke, redelivers failed SQS messages, then
audits."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections import defaultdict

from .. import big_catalog, log_summary, s3_events
from ..bench_lib.machine import proc_stat_cpu
from ..bench_lib.server_profile import ProfileRecorder
from ..fault_proxy import request_kind
from ..local_runtime_api import LocalRuntimeAPI, Result, sqs_batch_event
from ..paths import SCRIPTS
from .audit import audit
from .config import CATALOG_KEY, CONFLICT, StormConfig
from .copy_load import CopyLoad
from .planning import Deliverer, eventbridge_event, plan_operations
from .report import StormResult
from .synthesis import Operation, body_for


class Storm:
    def __init__(self, config: StormConfig, server, bucket: str):
        self.config = config
        self.server = server
        self.bucket = bucket
        self.rng = random.Random(config.seed)
        self.operations, plan = plan_operations(
            self.rng, config.uploads, config.deletes,
            config.keys if config.keys is not None else max(1, int(config.uploads * 0.4)),
            liars=config.liars, upload_prefix=config.upload_prefix)
        self.preload_deleted: set[str] = set()
        if config.preload_deletes:
            self._add_preload_deletes(plan)
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
        self.first_delivery_at: float | None = None
        self.machine_at_first_delivery: dict = {}
        self.last_delivery_at: float | None = None
        self.last_result_at: float | None = None
        self.ops_after_first_result = 0
        self.upload_errors: list[str] = []
        self.final: dict[str, Operation | None] = {}
        """Each key's last completed operation (None after a delete): what S3 now holds."""
        self.lineage: dict[str, tuple[bytes, int, str]] = {}
        """request id → (event, retries so far, shape)."""
        self.api: LocalRuntimeAPI | None = None
        self.proxy = None
        self.log_file = None
        self.profile: ProfileRecorder | None = None
        self.copy_load: CopyLoad | None = None

    def _add_preload_deletes(self, plan: dict) -> None:
        """Deletes of preloaded images evenly spread over the catalog's name order, at random
        points of the plan: what a lifecycle rule or a user's clean-up does to a big bucket."""
        n, k = self.config.preload, self.config.preload_deletes
        wanted = {n * i // k + n // (2 * k) for i in range(k)}
        names = [name for i, name in enumerate(big_catalog.entry_names(n, seed=self.config.seed))
                 if i in wanted]
        for name in names:
            self.operations.insert(self.rng.randrange(len(self.operations) + 1), Operation(0, name, "delete"))
        for index, op in enumerate(self.operations):
            op.index = index
        self.preload_deleted = set(names)
        plan["deletes"] += k
        plan["preload_deletes"] = k

    def preloaded_names(self):
        """The preloaded entries the catalog must still hold, in name order."""
        return (n for n in big_catalog.entry_names(self.config.preload, seed=self.config.seed)
                if n not in self.preload_deleted)

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
            self.result.batch_sizes.append(len(records))
            self.last_delivery_at = time.monotonic()
            first = self.first_delivery_at is None
            if first:
                self.first_delivery_at = self.last_delivery_at
        if first:  # (read outside the lock: it scans /proc)
            self.machine_at_first_delivery = self._machine_cpu()
            if self.config.server_profile:
                self.profile = ProfileRecorder(self.server.profile_url).start()
        self._enqueue(payload, 0, shape)

    def _machine_cpu(self) -> dict:
        return machine_cpu(getattr(self.server, "pid", None))

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
                self.last_result_at = time.monotonic()
                if self.first_result_at is None:
                    self.first_result_at = self.last_result_at
                self.lock.notify_all()

    def _handle_result(self, result: Result) -> None:
        with self.lock:
            payload, retries, shape = self.lineage.pop(result.id)
            if result.attempts > 1:
                self.result.requeued_after_crash += 1
            if result.duration is not None:
                self.result.durations.append(result.duration)
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

    def _count_request(self, method: str, target: str, status: int) -> None:
        """The proxy's answer hook: the function's S3 requests by what they are for."""
        kind = request_kind(method, target, status, CATALOG_KEY)
        with self.lock:
            counts = self.result.requests_by_kind
            counts[kind] = counts.get(kind, 0) + 1

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

    def spawn(self, n: int, api: LocalRuntimeAPI | None = None) -> None:
        api = api or self.api
        assert api is not None
        command = self.config.command()
        env = self.function_env
        if self.config.box is not None:
            command = [sys.executable, "-m", "imagecat_tools.lambda_box", "--memory", str(self.config.box),
                       "--report", self.box_reports, "--", *command]
            env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(SCRIPTS), env.get("PYTHONPATH")]))}
        api.spawn(command, n=n, env=env, stdout=self.log_file, stderr=self.log_file)

    def _index_preloaded(self) -> None:
        """One untimed invocation that reads the preloaded catalog (a removal of a key it does
        not hold: nothing to write), which indexes it: the one-off cost of the first write after
        an upgrade, kept out of the storm's figures and reported apart."""
        api = LocalRuntimeAPI(function_timeout=max(self.config.function_timeout, 300.0)).start()
        try:
            self.spawn(1, api)
            record = s3_events.record(self.bucket, "storm-warm-up/absent.png", event_name="ObjectRemoved:Delete")
            started = time.monotonic()
            [result] = api.wait_for([api.enqueue(json.dumps(s3_events.event(record)).encode())], timeout=900)
            self.result.preload["index_seconds"] = round(time.monotonic() - started, 2)
            if result.kind != "response":
                raise RuntimeError(f"indexing the preloaded catalog failed: {result.error_type}: "
                                   f"{result.body[:300]!r}")
        finally:
            api.stop()

    # -- the run -------------------------------------------------------------------------

    def run(self) -> StormResult:
        config = self.config
        log_dir = config.log_dir or tempfile.mkdtemp(prefix="imagecat-storm-")
        os.makedirs(log_dir, exist_ok=True)
        self.result.log_dir = log_dir
        self.log_file = open(os.path.join(log_dir, "runtimes.log"), "ab")
        endpoint = self.server.endpoint
        if config.proxied:
            from ..fault_proxy import FaultProxy
            resets = config.resets if config.resets is not None else config.faults * 0.3
            self.proxy = FaultProxy(self.server.endpoint, error_rate=config.faults,
                                    reset_rate=resets, seed=config.seed,
                                    latency=config.latency, on_answer=self._count_request).start()
            endpoint = self.proxy.endpoint
        self.function_env = self.server.child_env()
        self.function_env.update({"AWS_ENDPOINT_URL_S3": endpoint, "_HANDLER": "catalog",
                                  "CATALOG_KEY": CATALOG_KEY})
        self.box_reports = os.path.join(log_dir, "boxes.jsonl")
        if config.preload:
            started = time.monotonic()
            big_catalog.preload(self.server.boto3_client(), self.bucket, config.preload, seed=config.seed)
            self.result.preload = {"entries": config.preload, "write_seconds": round(time.monotonic() - started, 2)}
            self._index_preloaded()
            if os.path.exists(self.box_reports):
                with open(self.box_reports) as reports:
                    self.result.preload["index_box"] = json.loads(reports.readline())
                os.unlink(self.box_reports)
        if config.ceiling_copies:
            self.copy_load = CopyLoad(self.server.boto3_client(), copies=config.ceiling_copies,
                                      invocations=config.ceiling_invocations, entries=config.ceiling_entries,
                                      workers=config.procs, seed=config.seed).prepare()
        self.api = LocalRuntimeAPI(function_timeout=config.function_timeout, on_result=self.on_result,
                                   on_handout=self.copy_load.on_handout if self.copy_load else None).start()
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
                if not config.backlog:
                    self.deliverer.flush()
                time.sleep(0.02)
            with self.lock:
                self.uploads_finished_at = time.monotonic()
            if config.backlog:  # the queue's backlog first, the held-back copies after it
                self.deliverer.flush(everything=True, keep_late=True)
            self.deliverer.flush(everything=True)
            deadline = started + config.timeout
            with self.lock:
                while self.outstanding > 0 and time.monotonic() < deadline:
                    self.lock.wait(0.2)
                self.result.settled = self.outstanding == 0
            self.result.wall_seconds = time.monotonic() - started
            self.result.settle_seconds = time.monotonic() - self.uploads_finished_at
            self.result.machine = machine_share(self.machine_at_first_delivery, self._machine_cpu())
            if self.profile is not None:
                self.result.server_profile = self.profile.stop()
            if self.copy_load is not None:
                self.result.ceiling = self.copy_load.finish(settled_at=self.last_result_at)
            if self.first_delivery_at is not None and self.last_result_at is not None:
                self.result.delivery_seconds = self.last_result_at - self.first_delivery_at
                self.result.feeding_seconds = self.last_delivery_at - self.first_delivery_at
            stop.set()
            if config.kill:
                killer.join(timeout=5)
            if config.box is None:
                self.result.runtimes = runtime_usage(self.api.processes)
        finally:
            stop.set()
            try:
                self.api.stop()
                if config.box is not None:
                    self.result.runtimes = box_usage(self.box_reports)
                if self.proxy is not None:
                    self.result.faults = self.proxy.counts()
                    self.proxy.stop()
                self.log_file.close()
            finally:
                # After a failure too, once the runtimes are stopped: the profiler runs until
                # stopped, and queued copies would keep the interpreter from exiting.
                if self.profile is not None:
                    self.profile.stop()
                if self.copy_load is not None:
                    self.copy_load.finish(cancel=True)
        with open(os.path.join(log_dir, "runtimes.log"), encoding="utf-8", errors="replace") as log:
            self.result.function_metrics = log_summary.summarise(log)
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
        r.audit = audit(self.server.boto3_client(), self.bucket, expected,
                        preloaded=self.preloaded_names() if config.preload else None)
        if r.ok and config.log_dir is None:  # a temporary log is only worth keeping on failure
            shutil.rmtree(log_dir, ignore_errors=True)
            r.log_dir = None
        return r


def process_stat(pid: int | str) -> tuple[int, float]:
    """A process's parent and the CPU seconds it used (utime + stime), from /proc/PID/stat (Linux
    only); OSError, IndexError or ValueError when it cannot be read (gone, not Linux)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()   # the name, in (), may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runtime_usage(processes) -> dict:
    """CPU seconds and peak RSS of the runtime processes still alive (from /proc; Linux only):
    what the function itself cost, apart from S3 and the storm's own work."""
    cpu, peak, counted = 0.0, 0, 0
    for process in processes:
        if process.poll() is not None:
            continue
        try:
            cpu += process_stat(process.pid)[1]
            with open(f"/proc/{process.pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            counted += 1
        except (OSError, IndexError, ValueError):
            continue
    return {"processes": counted, "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak / 1024, 1)}



def machine_cpu(server_pid: int | None) -> dict:
    """CPU seconds used so far (Linux /proc; empty elsewhere): by the whole machine (busy, and
    the total of all cores' ticks), by the S3 server's process tree, and by this process (the
    storm, its fault proxy and its Runtime API threads)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        # Steal counts as busy here (time the cores were not ours to use). The share is taken of
        # the kernel's own total, not of wall time × cores: the two are read at different
        # moments, and over a short window busy ticks over wall time × cores can pass 100 %.
        busy_ticks, total_ticks, steal_ticks = proc_stat_cpu()
        busy, total = (busy_ticks + steal_ticks) / ticks, total_ticks / ticks
        at = time.monotonic()   # when the cores were counted, not after the scan below
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stats[int(entry)] = process_stat(entry)
                except (OSError, IndexError, ValueError):
                    continue
    except (OSError, ValueError, IndexError, AttributeError):
        return {}
    tree = {server_pid} if server_pid else set()
    grew = True
    while grew:  # the server and every process under it (a wrapper may start the real server)
        grown = {pid for pid, (ppid, _) in stats.items() if ppid in tree} | tree
        grew, tree = grown != tree, grown
    server = sum(stats[pid][1] for pid in tree if pid in stats)
    own = os.times()
    return {"at": at, "busy": busy, "total": total, "server": server, "storm": own.user + own.system}


def machine_share(before: dict, after: dict) -> dict:
    """What the machine spent between two `machine_cpu` snapshots: how busy its cores were, and
    the S3 server's and the storm's own CPU seconds. On a small machine these, not the
    function, can be the limit of a run."""
    seconds = after.get("at", 0) - before.get("at", 0)
    if not before or not after or seconds <= 0:
        return {}
    cores = os.cpu_count() or 1
    return {"cores": cores, "seconds": round(seconds, 2),
            "busy_share": round((after["busy"] - before["busy"]) / max(after["total"] - before["total"], 1e-9), 3),
            "server_cpu_seconds": round(after["server"] - before["server"], 2),
            "storm_cpu_seconds": round(after["storm"] - before["storm"], 2)}


def box_usage(reports: str) -> dict:
    """What the boxes' reports say of the runtime processes (lambda_box: one line each)."""
    try:
        with open(reports) as lines:
            boxes = [json.loads(line) for line in lines if line.strip()]
    except OSError:
        boxes = []
    return {"processes": len(boxes), "box_mb": boxes[0]["memory_mb"] if boxes else None,
            "cpu_seconds": round(sum(b["cpu_s"] for b in boxes), 2),
            "peak_rss_mb": max((b["peak_rss_mb"] for b in boxes), default=None),
            "limit_hits": sum(b["limit_hits"] for b in boxes),
            "oom_kills": sum(b["oom_kills"] for b in boxes),
            "throttled_seconds": round(sum(b["throttled_s"] for b in boxes), 2)}


def run_storm(config: StormConfig, server=None, bucket: str | None = None) -> StormResult:
    """Runs one storm against `server` (an S3Server; a fresh one when None) in `bucket` (a
    fresh one when None)."""
    if config.peer and config.sqs:
        raise ValueError("the peers only read direct S3 events: no SQS with a peer")
    if config.peer and config.eventbridge:
        raise ValueError("the peers only read direct S3 events: no EventBridge with a peer")
    if server is None:
        from ..s3_server import S3Server
        with S3Server(profiling=config.server_profile) as own:
            return run_storm(config, own, bucket)
    if config.server_profile and not getattr(server, "profile_url", ""):
        raise ValueError("server_profile needs a server started with profiling (S3Server(profiling=True))")
    s3 = server.boto3_client()
    if bucket is None:
        bucket = f"imagecat-storm-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
    return Storm(config, server, bucket).run()
