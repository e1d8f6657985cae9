"""Proves scripts/s3_server.py gives the other tests a real, strict S3 server, and that the
event helpers in conftest.py produce what Lambda delivers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import (REPO_ROOT, TEMPLATE_ETAG, TEMPLATE_SEQUENCER, next_sequencer,
                      missing_prerequisite, s3_encode_key, s3_event, s3_event_record, tool_env)
from imagecat_tools import s3_server as launcher
from imagecat_tools.s3_server import S3Server, S3ServerError


def error_status(error: ClientError) -> int:
    return error.response["ResponseMetadata"]["HTTPStatusCode"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it holds no ports or files, but it means nobody reaped it.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket `pid` listens on, from /proc (Linux)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with open(table) as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state != "0A" or inode not in inodes:  # 0A = LISTEN
                    continue
                address_hex, port_hex = local.split(":")
                if width == 8:
                    address = socket.inet_ntop(socket.AF_INET,
                                               bytes.fromhex(address_hex)[::-1])
                else:
                    raw = bytes.fromhex(address_hex)
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    address = socket.inet_ntop(socket.AF_INET6, words)
                found.append((address, int(port_hex, 16)))
    return found


# -- the real server behaves like S3 where the catalog depends on it ------------------------

def test_put_then_get_round_trips(s3, bucket):
    s3.put_object(Bucket=bucket, Key="photos/cat 1.png", Body=b"\x89PNG data")
    got = s3.get_object(Bucket=bucket, Key="photos/cat 1.png")
    assert got["Body"].read() == b"\x89PNG data"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == ["photos/cat 1.png"]


def test_if_none_match_star_creates_only_once(s3, bucket):
    s3.put_object(Bucket=bucket, Key="images.json", Body=b"[]", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="images.json", Body=b"[1]", IfNoneMatch="*")
    assert error_status(caught.value) == 412
    assert s3.get_object(Bucket=bucket, Key="images.json")["Body"].read() == b"[]"


def test_if_match_with_stale_etag_is_refused(s3, bucket):
    first = s3.put_object(Bucket=bucket, Key="images.json", Body=b"[]")["ETag"]
    second = s3.put_object(Bucket=bucket, Key="images.json", Body=b"[2]")["ETag"]
    assert first != second
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="images.json", Body=b"[stale]", IfMatch=first)
    assert error_status(caught.value) == 412
    s3.put_object(Bucket=bucket, Key="images.json", Body=b"[3]", IfMatch=second)
    assert s3.get_object(Bucket=bucket, Key="images.json")["Body"].read() == b"[3]"


def test_request_signed_with_wrong_secret_is_refused(s3_server, bucket):
    if not s3_server.verifies_signatures:
        pytest.skip(f"{s3_server.kind} does not check signatures")
    honest = s3_server.boto3_client()
    honest.put_object(Bucket=bucket, Key="k", Body=b"v")
    forger = s3_server.boto3_client(secret_key="wrong" + s3_server.secret_key[5:])
    with pytest.raises(ClientError) as caught:
        forger.get_object(Bucket=bucket, Key="k")
    assert error_status(caught.value) == 403
    assert launcher.sigv4_list_buckets(s3_server.endpoint, s3_server.access_key,
                                       "x" * 40) == 403
    assert launcher.sigv4_list_buckets(s3_server.endpoint, s3_server.access_key,
                                       s3_server.secret_key) == 200


def test_zero_byte_upload_then_next_request_answers_promptly(s3, bucket):
    started = time.monotonic()
    s3.put_object(Bucket=bucket, Key="empty.png", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="empty.png")["ContentLength"] == 0
    s3.put_object(Bucket=bucket, Key="after.png", Body=b"x")
    assert time.monotonic() - started < 10


# -- the launcher ---------------------------------------------------------------------------

def test_every_port_is_a_chosen_loopback_port(s3_server):
    if s3_server.kind != "seaweedfs":
        pytest.skip("port layout is specific to weed mini")
    sockets = listening_sockets(s3_server.pid)
    assert sockets, "weed listens on nothing?"
    assert {address for address, _ in sockets} == {"127.0.0.1"}
    chosen = set(s3_server.ports.values())
    assert {port for _, port in sockets} <= chosen
    assert s3_server.ports["s3.port"] in {port for _, port in sockets}


def test_env_is_enough_for_a_child_process(s3_server, bucket):
    s3_server.boto3_client().put_object(Bucket=bucket, Key="seen-by-child", Body=b"1")
    base = dict(os.environ, AWS_SESSION_TOKEN="leaked-from-shell", AWS_PROFILE="nope")
    env = s3_server.child_env(base)
    assert "AWS_SESSION_TOKEN" not in env and "AWS_PROFILE" not in env
    assert {k: env[k] for k in s3_server.env()} == s3_server.env()
    script = ("import boto3, botocore.config as c;"
              "s3 = boto3.client('s3', config=c.Config(s3={'addressing_style': 'path'}));"
              f"print([o['Key'] for o in s3.list_objects_v2(Bucket='{bucket}')['Contents']])")
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, timeout=60)  # quiet: 0.4 s
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "['seen-by-child']"


def test_stop_leaves_no_process_port_or_file_behind():
    server = S3Server().start()
    pid, ports, workdir = server.pid, dict(server.ports), server.workdir
    assert pid_alive(pid) and port_open(ports["s3.port"]) and os.path.isdir(workdir)
    server.stop()
    assert server.stop_result in ("terminated", "killed")
    assert not pid_alive(pid)
    assert not any(port_open(port) for port in ports.values())
    assert not os.path.exists(workdir)
    leftovers = [name for name in os.listdir("/tmp")
                 if name.startswith("seaweedfs-")
                 and any(name.endswith(f"-{port}.sock") for port in ports.values())]
    assert leftovers == []
    server.stop()  # a second stop is harmless


def test_stop_kills_a_process_that_ignores_sigterm():
    stubborn = subprocess.Popen([sys.executable, "-c",
                                 "import signal, time\n"
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                 "print('ready', flush=True)\n"
                                 "time.sleep(60)"], stdout=subprocess.PIPE)
    assert stubborn.stdout.readline() == b"ready\n"
    started = time.monotonic()
    assert launcher.stop_process(stubborn, grace=0.5) == "killed"
    assert time.monotonic() - started < 5
    assert stubborn.returncode == -signal.SIGKILL


def test_no_sigterm_before_the_banner_and_nothing_left_after_a_failed_start():
    server = S3Server(start_timeout=0.01)
    with pytest.raises(S3ServerError, match="no start-up banner"):
        server.start()
    assert server.stop_result == "killed"  # SIGKILL straight away: SIGTERM could hang it
    assert not pid_alive(server.pid)
    assert server.workdir is None


def test_start_retries_with_fresh_ports_when_one_is_taken(monkeypatch):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    real = launcher.free_loopback_ports
    calls = []

    def first_offer_includes_a_taken_port(count):
        calls.append(count)
        ports = real(count)
        if len(calls) == 1:
            ports[launcher._SEAWEED_PORT_FLAGS.index("s3.port")] = taken
        return ports

    monkeypatch.setattr(launcher, "free_loopback_ports", first_offer_includes_a_taken_port)
    try:
        with S3Server() as server:
            assert len(calls) == 2
            assert server.ports["s3.port"] != taken
            assert launcher.sigv4_list_buckets(server.endpoint, server.access_key,
                                               server.secret_key) == 200
    finally:
        blocker.close()


def test_a_start_that_hangs_is_killed_and_retried_with_fresh_ports(tmp_path, monkeypatch):
    # A `weed` that hangs silently the first time (as one start did in CI), then is the real one.
    real = launcher.find_executable("weed")
    assert real, "weed not found: run scripts/setup"
    hung_pid = tmp_path / "hung.pid"
    fake = tmp_path / "bin" / "weed"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n"
                    f"if [ ! -e {hung_pid} ]; then echo $$ > {hung_pid}; exec sleep 600; fi\n"
                    f'exec {real} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    offered = []
    real_ports = launcher.free_loopback_ports
    monkeypatch.setattr(launcher, "free_loopback_ports",
                        lambda count: offered.append(real_ports(count)) or offered[-1])
    with S3Server(start_timeout=10.0) as server:  # a real start takes ~1.5 s
        assert len(offered) == 2 and offered[0] != offered[1]
        assert not pid_alive(int(hung_pid.read_text()))
        assert launcher.sigv4_list_buckets(server.endpoint, server.access_key,
                                           server.secret_key) == 200


def test_a_start_that_never_gets_ready_fails_after_its_attempts():
    server = S3Server(start_timeout=0.01, start_attempts=2)
    with pytest.raises(S3ServerError, match="did not start in 2 attempts; the last one: "
                                            "seaweedfs server printed no start-up banner"):
        server.start()
    assert not pid_alive(server.pid)


def test_fixed_port_already_taken_fails_with_the_reason():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        server = S3Server(s3_port=blocker.getsockname()[1])
        with pytest.raises(S3ServerError, match="exited with status"):
            server.start()
        assert not pid_alive(server.pid)
    finally:
        blocker.close()


def test_cli_run_prints_env_and_stops_cleanly_on_sigterm():
    cli = subprocess.Popen([sys.executable, str(REPO_ROOT / "scripts" / "s3_server.py"), "run"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        env = {}
        for _ in range(4):
            line = cli.stdout.readline()
            assert line.startswith("export "), line + cli.stderr.read()
            name, _, value = line[len("export "):].strip().partition("=")
            env[name] = value
        status_line = cli.stderr.readline()
        server_pid = int(status_line.split("(pid ")[1].split(")")[0])
        assert set(env) == {"AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID",
                            "AWS_SECRET_ACCESS_KEY", "AWS_REGION"}
        assert launcher.sigv4_list_buckets(env["AWS_ENDPOINT_URL_S3"],
                                           env["AWS_ACCESS_KEY_ID"],
                                           env["AWS_SECRET_ACCESS_KEY"]) == 200
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(timeout=20) == 0  # quiet: 2.5 s
        assert not pid_alive(server_pid)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()


def test_sigterm_to_pytest_still_stops_the_session_server(tmp_path):
    (tmp_path / "test_hold.py").write_text(
        "import time\n"
        "def test_hold(s3_server):\n"
        f"    open({str(tmp_path / 'pid')!r}, 'w').write(str(s3_server.pid))\n"
        "    time.sleep(120)\n")
    inner = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
         str(tmp_path / "test_hold.py")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        # Not the outer run's counts file: the inner session, stopped, would write its own there.
        env={k: v for k, v in tool_env(Path(__file__).parent).items() if k != "IMAGECAT_PYTEST_SUMMARY"})
    server_pid = None
    try:
        # The inner session's server may retry hung starts for up to START_BUDGET; pytest's own
        # start-up takes ~1 s (60 s is room for a busy machine).
        deadline = time.monotonic() + launcher.START_BUDGET + 60
        while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text():
            assert inner.poll() is None, inner.stdout.read().decode()
            if time.monotonic() > deadline:
                inner.kill()
                pytest.fail("inner session never started its server:\n"
                            + inner.communicate()[0].decode(errors="replace")[-4000:])
            time.sleep(0.1)
        server_pid = int((tmp_path / "pid").read_text())
        assert pid_alive(server_pid)
        inner.send_signal(signal.SIGTERM)
        inner.wait(timeout=30)  # quiet: 4.3 s
        assert not pid_alive(server_pid)
    finally:
        if inner.poll() is None:
            inner.kill()
            inner.wait()
        if server_pid and pid_alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)  # don't leak it when the assertion failed


def test_moto_backend_serves_conditional_writes_and_stops():
    if launcher.find_executable("moto_server") is None:
        missing_prerequisite("moto_server (pip moto[server]; scripts/setup installs it)")
    with S3Server("moto") as server:
        s3 = server.boto3_client()
        s3.create_bucket(Bucket="moto-bucket")
        s3.put_object(Bucket="moto-bucket", Key="images.json", Body=b"[]", IfNoneMatch="*")
        with pytest.raises(ClientError) as caught:
            s3.put_object(Bucket="moto-bucket", Key="images.json", Body=b"[]",
                          IfNoneMatch="*")
        assert error_status(caught.value) == 412
        pid = server.pid
    assert not pid_alive(pid)


# -- conftest's event helpers ---------------------------------------------------------------

def test_event_helper_reproduces_the_console_template_exactly():
    template = json.loads((REPO_ROOT / "events" / "s3-put.json").read_text())
    made = s3_event(s3_event_record("example-bucket", "test/key", size=1024,
                                    etag=TEMPLATE_ETAG, sequencer=TEMPLATE_SEQUENCER,
                                    event_time="1970-01-01T00:00:00.000Z",
                                    encode_slash=True))
    assert made == template


def test_sum_event_is_the_plain_json_object():
    assert json.loads((REPO_ROOT / "events" / "sum.json").read_text()) == {"key1": 1, "key2": 2}


@pytest.mark.parametrize("key, encoded", [
    ("red flower.jpg", "red+flower.jpg"),
    ("c++ (1).png", "c%2B%2B+%281%29.png"),
    ("dt=2024/ä.gif", "dt%3D2024/%C3%A4.gif"),
    ("100%.bmp", "100%25.bmp"),
])
def test_keys_are_encoded_like_s3_notifications(key, encoded):
    assert s3_encode_key(key) == encoded
    assert s3_encode_key(key, encode_slash=True) == encoded.replace("/", "%2F")


def test_record_uses_real_etag_unquoted_and_fresh_increasing_sequencers():
    first = s3_event_record("b-1", "a.png", size=5, etag='"abc"')
    second = s3_event_record("b-1", "a.png", size=5, etag='"abc"')
    assert first["s3"]["object"]["eTag"] == "abc"
    assert first["s3"]["object"]["size"] == 5
    a, b = first["s3"]["object"]["sequencer"], second["s3"]["object"]["sequencer"]
    assert len(a) == len(b) == 18 and b > a
    assert next_sequencer() > b


def test_removal_records_carry_no_size_or_etag():
    record = s3_event_record("b-1", "gone.png", event_name="ObjectRemoved:Delete")
    assert set(record["s3"]["object"]) == {"key", "sequencer"}
    assert record["eventName"] == "ObjectRemoved:Delete"
