"""scripts/bench in its quickest mode: every figure runs end to end against the real peers and a
real local S3 server, and the report prints the figures, the ratios against the peers, the
command line and the machine. Timings are never asserted: a smoke run measures nothing reliably.

Also the pieces whose mistakes would silently skew figures: the fast Runtime API's request
parsing (chunked bodies, `Expect: 100-continue`), /proc sampling, and percentiles.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import zipfile

import pytest

from conftest import REPO_ROOT

from imagecat_tools.bench_lib import catalog, fast_api, package, pages, procfs, report
from imagecat_tools.fault_proxy import FaultProxy
from imagecat_tools.paths import PEER_FILES

def run_bench(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    # quiet: 19 s for --quick (the longest), ~1.5 s for a refused argument
    return subprocess.run([str(REPO_ROOT / "scripts" / "bench"), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def section(report_text: str, title: str) -> str:
    """The lines of one figure's section: from its title to the next blank line."""
    start = report_text.index(title)
    end = report_text.find("\n\n", start)
    return report_text[start:end if end >= 0 else None]


def row(text: str, name: str) -> list[str]:
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name} in:\n{text}")


def test_quick_run_prints_every_figure_with_ratios(bootstrap_path, tmp_path):
    # A zip holding the bootstrap stands in for the package (it runs as is: no /var/task loader),
    # and the bootstrap also stands in for the swift-runtime peer (it implements `sum` too), so
    # every runtime row and every ratio column shows up.
    fake_zip = tmp_path / "bootstrap.zip"
    with zipfile.ZipFile(fake_zip, "w") as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        archive.writestr(info, bootstrap_path.read_bytes())
    run = run_bench("--quick", "--bootstrap", str(bootstrap_path), "--zip", str(fake_zip),
                    "--swift-runtime-peer", str(bootstrap_path))
    assert run.returncode == 0, run.stderr[-4000:]
    out = run.stdout

    assert re.search(r"^command:  scripts/bench --quick --bootstrap \S+ --zip \S+ "
                     r"--swift-runtime-peer \S+$", out, re.M), out
    machine = re.search(r"^machine:  (\d+) CPUs .*, kernel (\S+),", out, re.M)
    assert machine and int(machine.group(1)) == os.cpu_count() and machine.group(2) == os.uname().release
    assert re.search(r"^date:     \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", out, re.M)

    number = r"\d[\d,]*\.\d+"
    ratio = r"\d+\.\d+×"
    cold = section(out, "1. Cold start")
    for name in ("bootstrap", "bootstrap.zip", "python-boto3", "swift-runtime"):
        cells = row(cold, name)
        assert all(re.fullmatch(number, c) for c in cells[1:5]), cells
    assert re.fullmatch(ratio, row(cold, "bootstrap")[6]) and re.fullmatch(ratio, row(cold, "bootstrap")[7])

    loop = section(out, "2-3. Warm loop")
    placements = ["same CPU", "separate CPUs"] if len(os.sched_getaffinity(0)) > 1 else ["same CPU"]
    for placement in placements:
        for name in ("bootstrap", "bootstrap.zip", "python-boto3", "swift-runtime"):
            line = next(l for l in loop.splitlines() if l.split()[:1] == [name] and f" {placement} " in l)
            cells = line.split(placement)[1].split()
            assert re.fullmatch(number, cells[0]) and re.fullmatch(r"[\d,]+", cells[2]), line
            assert float(cells[5]) > 0, line  # peak RSS in MB
    ratios = out[out.index("  runtime            placement  CPU vs python-boto3"):]
    ours = next(l for l in ratios.splitlines() if l.startswith("  bootstrap ") and "same CPU" in l)
    assert all(re.fullmatch(ratio, c) for c in ours.split("same CPU")[1].split()), ratios

    catalog = section(out, "4. Catalog throughput")
    for size in ("0", "100"):
        rows = [line.split() for line in catalog.splitlines() if line.split()[:1] == [size]]
        assert {cells[1] for cells in rows} == {"bootstrap", "bootstrap.zip", "python-boto3"}, catalog
        for cells in rows:
            assert float(cells[2]) > 0 and float(cells[5]) > 0, cells
            if cells[1] != "python-boto3":
                assert re.fullmatch(ratio, cells[6]), cells
    assert "swift-runtime" not in catalog  # it has no catalog handler

    requests = section(out, "5. S3 requests per invocation")
    ours = [line for line in requests.splitlines() if line.split()[:1] == ["bootstrap"]]
    assert any("10 new keys" in line and "PUT catalog 1" in line for line in ours), requests
    assert requests.splitlines()[1].split()[:4] == ["runtime", "invocation", "requests", "ms"], requests
    peer = [line for line in requests.splitlines() if line.split()[:1] == ["python-boto3"]]
    assert any("10 new keys" in line and "GET catalog 1, PUT catalog 1" in line for line in peer), requests

    goals = out[out.index("Goals from the issue"):]
    assert "cold start ≤ 3 ms" in goals and "catalog throughput ≥ 5× boto3" in goals
    assert re.search(r"zip ≤ 10 MB\s+\d+\.\d\d MB\s+(met|BEHIND)", goals), goals


def test_json_output(bootstrap_path):
    run = run_bench("--quick", "--json", "--bootstrap", str(bootstrap_path), "--zip", "",
                    "--figures", "cold,loop", "--spawns", "1", "--invokes", "100", "--warmup", "10",
                    "--placements", "same CPU")
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads(run.stdout)
    assert set(results["runtimes"]) == {"bootstrap", "python-boto3"}
    # The peer is the project's own file, started with this interpreter, and named by its path
    # in the repository (never a folder outside it).
    peer = results["runtimes"]["python-boto3"]
    assert peer["argv"] == [sys.executable, str(PEER_FILES["python-boto3"])]
    assert peer["description"].startswith("scripts/peers/python_boto3.py (Python "), peer
    assert results["machine"]["nproc"] == os.cpu_count()
    cold = results["cold_start"]["runtimes"]["bootstrap"]
    assert len(cold["samples_ms"]) == 1 and cold["median_ms"] > 0
    loop = results["warm_loop"]["placements"]["same CPU"]["runtimes"]["python-boto3"]
    assert loop["invokes_per_second"] > 0 and loop["peak_rss_kb"] > 0
    assert list(results["warm_loop"]["placements"]) == ["same CPU"]
    assert "catalog" not in results and "requests" not in results


def test_bad_arguments_are_refused():
    run = run_bench("--bootstrap", "/nonexistent", "--figures", "cold,nope")
    assert run.returncode == 2 and "unknown figures ['nope']" in run.stderr
    run = run_bench("--bootstrap", "/nonexistent", "--placements", "same CPU,elsewhere")
    assert run.returncode == 2 and "unknown ['elsewhere']" in run.stderr
    run = run_bench("--bootstrap", "/nonexistent", "--latency", "30-10")
    assert run.returncode == 2 and "latency range must satisfy 0 <= MIN <= MAX" in run.stderr
    run = run_bench("--bootstrap", "/nonexistent", "--box", "128")
    assert run.returncode == 2 and "--box applies to the pages and reconcile figures only" in run.stderr


PAGE_ROWS = ("first page (spawn → answer)", "later page", "later page, name-desc", "GET /images/{name}",
             "type=png, whole walk", "type=gif, whole walk", "page after a change")


def test_pages_figure_runs_both_runtimes_and_prints_ratios(bootstrap_path):
    """`--figures pages --quick`: a 20,000-entry catalog (3.7 MB, read by blocks through its
    index), one fresh process per runtime; every request kind has its figures, the imagecat rows
    their ratios against the peer, and the bytes read say what the design promises: a later
    page reads a block or two of the catalog, the peer the whole catalog once per version."""
    run = run_bench("--quick", "--bootstrap", str(bootstrap_path), "--zip", "", "--figures", "pages",
                    "--pages-per-order", "3", "--pages-lookups", "3")  # quiet: 11 s (debug build)
    assert run.returncode == 0, run.stderr[-4000:]
    out = run.stdout
    assert re.search(r"^command:  scripts/bench --quick .* --figures pages --pages-per-order 3", out, re.M), out
    facts = re.search(r"20,000 entries: images.json (\d+\.\d) MB, index (\d+) KB \((\d+) blocks\), 100 gifs", out)
    assert facts and 3.0 < float(facts.group(1)) < 4.5 and int(facts.group(3)) > 40, out
    cells = {}
    for line in out[out.index("6. API pages"):].splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) == 13 and parts[0] in ("bootstrap", "python-boto3"):
            cells[parts[0], parts[1]] = parts
    for runtime in ("bootstrap", "python-boto3"):
        for label in PAGE_ROWS:
            row = cells[runtime, label]
            assert float(row[3].replace(",", "")) > 0 and float(row[5].replace(",", "")) > 0, row
    ratio = r"\d+\.\d+×"
    for label in PAGE_ROWS:
        assert re.fullmatch(ratio, cells["bootstrap", label][9]), cells["bootstrap", label]
    assert re.fullmatch(ratio, cells["bootstrap", "later page"][10])
    assert int(cells["bootstrap", "later page"][2]) == int(cells["python-boto3", "later page"][2]) == 3
    kb = {key: float(row[7].replace(",", "")) for key, row in cells.items()}
    assert 60 < kb["bootstrap", "later page"] < 200 and 60 < kb["bootstrap", "GET /images/{name}"] < 200
    catalog_kb = float(facts.group(1)) * 1000
    assert kb["python-boto3", "first page (spawn → answer)"] >= catalog_kb - 100
    assert kb["python-boto3", "page after a change"] >= catalog_kb - 100 and kb["python-boto3", "later page"] < 1
    memory = out[out.index("  runtime       processes"):]
    assert re.search(r"^  bootstrap\s+1\s+\d+\.\d \(\d+\.\d+×\)\s+\d", memory, re.M), memory
    goals = out[out.index("Goals of issue 17 (no box"):]
    assert re.search(r"first page ≤ 1,000 ms\s+[\d,]+ ms \(max [\d,]+\)\s+(met|BEHIND)", goals), goals
    assert re.search(r"later pages p95 ≤ 150 ms\s+[\d.]+ ms\s+(met|BEHIND)", goals), goals


def test_catalog_runs_with_latency_on_the_runtimes_s3_requests(s3_server, bootstrap_path):
    """--latency puts the delaying proxy between the runtime and S3 in the catalog figures:
    each single-record event costs at least a catalog read and a conditional write, one after
    the other, so N events cannot take less than N × 2 × 10 ms (a lower bound: no flake)."""
    runner = catalog.Runner("bootstrap", [str(bootstrap_path)])
    bench = catalog.CatalogBench(s3_server, [runner], objects=6, latency=(10.0, 30.0))
    try:
        run = bench.throughput(runner, size=10, events=5)
        counts = bench.request_counts(runner, batch=2, proxy_class=FaultProxy, seed_entries=10)
    finally:
        bench.close()
    assert run.entries_after == 10 + 6
    assert run.seconds >= 5 * 2 * 0.010, f"5 events took {run.seconds * 1000:.0f} ms"
    assert all(c.total >= 2 for c in counts), counts
    # each counted invocation is timed too: at least a catalog read, 10 ms away
    assert all(c.seconds >= 0.010 for c in counts), counts


def test_placements_pin_to_one_cpu_or_two():
    assert [(p.name, p.runtime_cpu, p.server_cpu) for p in fast_api.placements({5})] == [("same CPU", 5, 5)]
    assert [(p.name, p.runtime_cpu, p.server_cpu) for p in fast_api.placements({3, 1})] == [
        ("same CPU", 1, 1), ("separate CPUs", 3, 1)]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_measure_pins_the_runtime_and_restores_this_process():
    before = os.sched_getaffinity(0)
    # A "runtime" that reports its own CPU mask in its response body.
    code = ("import os, socket\n"
            "host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].split(':')\n"
            "s = socket.create_connection((host, int(port)))\n"
            "for i in range(3):\n"
            "    s.sendall(b'GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\n\\r\\n')\n"
            "    s.recv(65536)\n"
            "    body = repr(sorted(os.sched_getaffinity(0))).encode()\n"
            "    s.sendall(b'POST /2018-06-01/runtime/invocation/%d/response HTTP/1.1\\r\\n"
            "Content-Length: %d\\r\\n\\r\\n' % (i + 1, len(body)) + body)\n"
            "    s.recv(65536)\n"
            "s.sendall(b'GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\n\\r\\n')\n"
            "s.recv(65536)\n")
    placement = fast_api.placements()[1]
    result = fast_api.measure([sys.executable, "-c", code], dict(os.environ), b"{}", 1, 2, placement)
    assert json.loads(result.last_response) == [placement.runtime_cpu]
    assert os.sched_getaffinity(0) == before


# -- the fast Runtime API ---------------------------------------------------------------------

def _client(address: str, requests: list[bytes], answers: list[bytes]) -> None:
    """Sends raw requests one after another on one connection, as a runtime would."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        for request in requests:
            head, _, body = request.partition(b"\r\n\r\n")
            if b"Expect: 100-continue" in head:
                sock.sendall(head + b"\r\n\r\n")
                answers.append(sock.recv(4096))          # must be 100 Continue, before the body
                sock.sendall(body)
            else:
                sock.sendall(request)
            answers.append(sock.recv(65536))


def test_fast_api_reads_chunked_and_expect_continue_bodies():
    server = fast_api.FastRuntimeAPI(b'{"key1":1,"key2":2}')
    next_request = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"
    chunked = (b"POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nHost: x\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n")
    body = b'{"statusCode":200,"body":3}'
    expect = (b"POST /2018-06-01/runtime/invocation/2/response HTTP/1.1\r\nHost: x\r\n"
              b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    answers: list[bytes] = []
    client = threading.Thread(target=_client, args=(server.address, [next_request, chunked, next_request,
                                                                     expect, next_request], answers))
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        client.start()
        result = server.run(process, warmup=1, invokes=1, timeout=10)
    finally:
        process.kill()
        process.wait()
        server.close()
        client.join(timeout=5)
    assert answers[0].startswith(b"HTTP/1.1 200 OK") and b"Lambda-Runtime-Aws-Request-Id: 1\r\n" in answers[0]
    assert answers[0].endswith(b'{"key1":1,"key2":2}')
    assert answers[1].startswith(b"HTTP/1.1 202")
    assert b"Lambda-Runtime-Aws-Request-Id: 2\r\n" in answers[2]
    assert answers[3] == b"HTTP/1.1 100 Continue\r\n\r\n" and answers[4].startswith(b"HTTP/1.1 202")
    assert result.last_response == body and fast_api.expected_sum(result.last_response)
    assert result.invokes == 1 and result.seconds > 0


def test_fast_api_reports_a_function_error():
    server = fast_api.FastRuntimeAPI(b"{}")
    error = (b"POST /2018-06-01/runtime/invocation/1/error HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
    next_request = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n"
    client = threading.Thread(target=_client, args=(server.address, [next_request, error], []), daemon=True)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        client.start()
        with pytest.raises(fast_api.LoopError, match="invocation 1 failed"):
            server.run(process, warmup=1, invokes=1, timeout=10)
    finally:
        process.kill()
        process.wait()
        server.close()


# -- /proc, percentiles, ELF ------------------------------------------------------------------

def test_procfs_counts_all_threads_cpu_and_peak_rss():
    # Two threads burn CPU: one that has exited by the time of the sample (only utime+stime
    # still counts it) and one that stays alive (schedstat's per-thread sum counts it too).
    code = ("import threading, time\n"
            "def spin(stay):\n"
            "    end = time.thread_time() + 0.3\n"
            "    while time.thread_time() < end: pass\n"
            "    if stay: threading.Event().wait()\n"
            "blob = bytearray(64 * 1024 * 1024)\n"
            "for i in range(0, len(blob), 4096): blob[i] = 1\n"
            "del blob\n"
            "gone = threading.Thread(target=spin, args=(False,)); gone.start(); gone.join()\n"
            "alive = threading.Thread(target=spin, args=(True,), daemon=True); alive.start()\n"
            "time.sleep(0.05)\n"
            "while open(f'/proc/self/task/{alive.native_id}/stat').read().split(')')[1].split()[0] != 'S':\n"
            "    time.sleep(0.01)\n"
            "print('done', flush=True); time.sleep(30)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert process.stdout.readline() == b"done\n"
        sample = procfs.sample(process.pid)
    finally:
        process.kill()
        process.wait()
    assert sample.cpu_us >= 550_000                                   # both threads' spins
    assert 250_000_000 <= sample.run_ns < sample.cpu_us * 1000        # the live one's only
    assert sample.threads == 2
    assert sample.vm_hwm_kb >= 64 * 1024                              # freed, but it was the peak
    assert sample.switches >= 1
    with pytest.raises(procfs.ProcessGone):
        procfs.sample(process.pid)


def test_percentile_and_ratio():
    values = [float(v) for v in range(1, 21)]
    assert report.percentile(values, 0.1) == 2.0 and report.percentile(values, 0.9) == 18.0
    hundred = [float(v) for v in range(1, 101)]  # nearest rank: ceil(p × n), never one past it
    assert [report.percentile(hundred, p) for p in (0.5, 0.95, 0.07, 1.0)] == [50.0, 95.0, 7.0, 100.0]
    assert report.median(values) == 10.5
    assert report.ratio(1.0, 4.0) == "0.25×" and report.ratio(1.0, 40.0) == "0.025×"
    assert report.ratio(1.0, None) == "-"


def test_program_interpreter_of_this_python(tmp_path):
    """This (dynamically linked) Python's PT_INTERP is the loader the kernel mapped into it."""
    interpreter = package.program_interpreter(os.path.realpath(sys.executable))
    assert interpreter is not None and os.path.isabs(interpreter), interpreter
    with open(f"/proc/{os.getpid()}/maps") as maps:
        mapped = {os.path.realpath(line.split()[-1]) for line in maps if len(line.split()) >= 6}
    assert os.path.realpath(interpreter) in mapped, (interpreter, sorted(m for m in mapped if "/ld-" in m))
    # An ELF file without program headers (statically linked, no PT_INTERP): None.
    static = tmp_path / "static"
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    static.write_bytes(bytes(header))
    assert package.program_interpreter(str(static)) is None
    with pytest.raises(package.PackageError):
        package.program_interpreter(__file__)


def test_cpu_between_samples_prefers_schedstat_only_when_complete():
    def at(cpu_us, run_ns, threads):
        return procfs.ProcessSample(cpu_us=cpu_us, run_ns=run_ns, voluntary_switches=0,
                                    involuntary_switches=0, threads=threads, vm_hwm_kb=0)
    # Same threads, ticks agree: the ns figure (finer than a 10 ms tick).
    assert procfs.cpu_us_between(at(0, 0, 1), at(10_000, 4_321_000, 1)) == 4_321
    # A thread exited in between: its time is only in utime + stime.
    assert procfs.cpu_us_between(at(0, 0, 2), at(500_000, 100_000_000, 1)) == 500_000
    # Same count, but ticks far above the ns sum (one thread replaced by another): ticks.
    assert procfs.cpu_us_between(at(0, 0, 2), at(500_000, 100_000_000, 2)) == 500_000


def test_a_runtime_that_dies_or_stalls_ends_its_run_and_is_reported(s3_server, bootstrap_path):
    """The pages figure reports a process that dies (as the box's OOM killer kills the peer) or
    does not answer within the cap as a result of its run, not as a failure of the benchmark,
    and goes on with the next process (the pages smoke above shows a whole run served)."""
    bench = pages.PagesBench(s3_server, 6000, [str(bootstrap_path)], cap=0.5)  # 1.1 MB: indexed
    try:
        plan = bench.plan(0, 1, 1)
        died = bench.measure("dies", [sys.executable, "-c", "import sys; sys.exit(3)"], 0, plan, 1)
        stalled = bench.measure("stalls", [sys.executable, "-c", "import time; time.sleep(60)"], 0, plan, 1)
    finally:
        bench.close()
    assert died.requests == [] and died.exit_code == 3 and "exited with 3 before answering" in died.ended
    assert stalled.requests == [] and stalled.ended.startswith("no answer within 0.5 s") and stalled.exit_code == -9
    summary = pages.summary([died])
    assert summary["ended"] == [f"round 1: 0 answers, then {died.ended}"] and "first" not in summary
