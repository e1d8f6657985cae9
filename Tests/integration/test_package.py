"""The Lambda zip (scripts/package) runs on its own, as on Amazon Linux 2023.

Each run unpacks the zip at ROOT/var/task in an otherwise empty directory and starts
`/var/task/bootstrap` there with `chroot`: no host library, no host loader, no host CA bundle is
visible, so a library missing from the zip, a wrong interpreter path or a CA lookup that only
works on Debian fails here. The root also holds decoys where Amazon Linux keeps its own glibc
(/lib64/libc.so.6 ...), and the environment carries Lambda's LD_LIBRARY_PATH, which lists /lib64
first: a binary that let LD_LIBRARY_PATH win over its bundled libraries (DT_RUNPATH instead of
DT_RPATH) dies on a decoy. The network namespace is the host's, so the runtime reaches the local
Runtime API and SeaweedFS on loopback.

HTTPS: a TLS-terminating proxy (certificate for localhost/127.0.0.1 from a CA made by the test)
stands in front of SeaweedFS; the CA is installed only at /etc/pki/tls/certs/ca-bundle.crt,
Amazon Linux's path, and SSL_CERT_FILE is not set.

Needs root (CI runs as root) or unprivileged user namespaces for `chroot`; without them the
tests fail (conftest's missing_prerequisite), they never pass unchecked.

The zip under test is built once per session with scripts/package (release build, minimal
libcurl; ~1 min on a fresh 2-core machine, seconds when cached), unless IMAGECAT_ZIP names one.
Two tests still run scripts/package themselves: the `--curl debian` variant, and a second run
that must give a byte-identical zip.

Environment:
    IMAGECAT_ZIP            test this zip instead of building one
    IMAGECAT_SCRATCH_PATH   SwiftPM scratch path scripts/package builds in (default .build)
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest

from conftest import REPO_ROOT, missing_prerequisite
from imagecat_tools.images import png
from imagecat_tools.local_runtime_api import LocalRuntimeAPI
from imagecat_tools.s3_events import event as s3_event
from imagecat_tools.s3_events import record as s3_record
from imagecat_tools.selfcontained import (BundleError, analyze_bundle, check_bundle, elf_info,
                                          glibc_version)

TASK_ROOT = "/var/task"
LOADER = f"{TASK_ROOT}/lib/ld-linux-x86-64.so.2"
AMAZON_LINUX_CA_BUNDLE = "etc/pki/tls/certs/ca-bundle.crt"
# Lambda's documented LD_LIBRARY_PATH: /lib64 (the OS's glibc) comes before /var/task/lib.
LAMBDA_LD_LIBRARY_PATH = ("/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:"
                          "/var/task:/var/task/lib:/opt/lib")
# Where Amazon Linux keeps the libraries that must NOT be loaded instead of the bundled ones.
DECOYS = ("lib64/libc.so.6", "lib64/libm.so.6", "lib64/libcurl.so.4", "lib64/libcrypto.so.3",
          "usr/lib64/libc.so.6", "usr/lib64/libstdc++.so.6")
PACKAGE_TIMEOUT = 900
"""scripts/package, quiet: 5 s when the release build is up to date, ~19 s relinking the other
libcurl variant, ~85 s from a fresh clone (including the minimal libcurl)."""


# -- the zip ---------------------------------------------------------------------------------

def run_package(output: Path, *options: str) -> None:
    result = subprocess.run([str(REPO_ROOT / "scripts" / "package"), "--output", str(output),
                             *options],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=PACKAGE_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"scripts/package failed ({result.returncode}):\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    print(result.stdout[-2000:])


@pytest.fixture(scope="session")
def built_zip(tmp_path_factory) -> tuple[Path, bool]:
    """(zip, built here?): $IMAGECAT_ZIP, else a fresh scripts/package run."""
    given = os.environ.get("IMAGECAT_ZIP")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"IMAGECAT_ZIP={given} is not a file")
        return path, False
    path = tmp_path_factory.mktemp("package") / "bootstrap.zip"
    run_package(path)
    return path, True


@pytest.fixture(scope="session")
def package_zip(built_zip) -> Path:
    return built_zip[0]


@pytest.fixture(scope="session")
def debian_curl_zip(tmp_path_factory) -> Path:
    """The `--curl debian` variant: Debian's libcurl4 and its ~28 dependencies, as they are."""
    path = tmp_path_factory.mktemp("package-debian-curl") / "bootstrap.zip"
    run_package(path, "--curl", "debian")
    return path


def unzip_like_lambda(archive: Path, destination: Path) -> None:
    """Extracts with the Unix modes the zip records (Python's zipfile drops them), as Lambda
    does: a bootstrap without its execute bit would not start there either."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = destination / info.filename
            zf.extract(info, destination)
            mode = (info.external_attr >> 16) & 0o7777
            if mode:
                target.chmod(mode)


# -- chroot ----------------------------------------------------------------------------------

def _chroot_prefix() -> list[str] | str:
    """The command prefix that runs a program inside a root directory, or why there is none."""
    chroot = shutil.which("chroot") or shutil.which("chroot", path="/usr/sbin:/sbin")
    if not chroot:
        return "no chroot command (coreutils)"
    if os.geteuid() == 0:
        probe = subprocess.run([chroot, "/", "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            return f"`chroot / true` fails as root (no CAP_SYS_CHROOT?): {probe.stderr.strip()}"
        return [chroot]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--map-root-user", chroot, "/", "true"],
                                  capture_output=True).returncode == 0:
        return [unshare, "--map-root-user", chroot]
    return "chroot needs root, and unprivileged user namespaces are unavailable"


@pytest.fixture(scope="session")
def chroot_prefix() -> list[str]:
    prefix = _chroot_prefix()
    if isinstance(prefix, str):
        missing_prerequisite(f"cannot test the packaged bootstrap in an empty root: {prefix}. "
                             "Run the tests as root (CI does).")
    return prefix


def make_root(base: Path, package: Path, ca_bundle: bytes | None) -> Path:
    """ROOT/var/task = the unpacked zip; ROOT/tmp; the CA bundle at Amazon Linux's path (when
    given); decoy libraries where Amazon Linux keeps its own. Nothing else."""
    root = base / "root"
    (root / "var" / "task").mkdir(parents=True)
    unzip_like_lambda(package, root / "var" / "task")
    (root / "tmp").mkdir()
    (root / "tmp").chmod(0o1777)
    if ca_bundle is not None:
        bundle = root / AMAZON_LINUX_CA_BUNDLE
        bundle.parent.mkdir(parents=True)
        bundle.write_bytes(ca_bundle)
    for decoy in DECOYS:
        path = root / decoy
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"decoy: the host's library, which the bundle must never load\n")
    return root


def lambda_env(api: LocalRuntimeAPI, handler: str, extra: dict[str, str] | None = None) -> dict:
    """Exactly the environment Lambda gives a provided.al2023 function (nothing inherited
    from the test process: no SSL_CERT_FILE, no host LD_LIBRARY_PATH)."""
    env = {
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": TASK_ROOT,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH,
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_FUNCTION_NAME": "imagecat-local",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }
    env.update(extra or {})
    return env


def start_in_root(api: LocalRuntimeAPI, prefix: list[str], root: Path, env: dict,
                  log: Path) -> subprocess.Popen:
    """Starts ROOT/var/task/bootstrap inside ROOT; `api.stop()` terminates it."""
    with open(log, "wb") as out:
        process = subprocess.Popen([*prefix, str(root), f"{TASK_ROOT}/bootstrap"], env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    api.processes.append(process)
    return process


def wait_result(api: LocalRuntimeAPI, request_id: str, process: subprocess.Popen, log: Path,
                timeout: float = 20.0):
    """The invocation's result; fails with the runtime's output if it died or never answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return api.wait_for(request_id, timeout=0.2)
        except TimeoutError:
            if process.poll() is not None:
                pytest.fail(f"the packaged bootstrap exited with {process.returncode} before "
                            f"answering:\n{log.read_text(errors='replace')[-3000:]}")
    pytest.fail(f"no answer within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


# -- a test CA and a TLS-terminating proxy -------------------------------------------------------

def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"openssl {' '.join(args)} failed: {result.stderr}")


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> dict[str, Path]:
    """A throw-away CA and a server certificate it signed for localhost and 127.0.0.1."""
    if not shutil.which("openssl"):
        pytest.fail("the openssl command is missing (Debian package openssl, a dependency of "
                    "ca-certificates)")
    d = tmp_path_factory.mktemp("ca")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=imagecat test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=d)
    (d / "server.ext").write_text("basicConstraints=CA:FALSE\n"
                                  "keyUsage=critical,digitalSignature\n"
                                  "extendedKeyUsage=serverAuth\n"
                                  "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt",
             cwd=d)
    return {"ca": d / "ca.crt", "cert": d / "server.crt", "key": d / "server.key"}


class TLSTerminatingProxy:
    """Accepts TLS on 127.0.0.1 and relays the decrypted bytes to a plain TCP upstream (the
    HTTP requests pass through unchanged, Host header and signature included)."""

    def __init__(self, upstream: tuple[str, int], cert: Path, key: Path):
        self.upstream = upstream
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        self.failed_handshakes: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as error:
            with self._lock:
                self.failed_handshakes.append(str(error))
            conn.close()
            return
        with self._lock:
            self.handshakes += 1
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            tls.close()
            return
        try:
            tls.settimeout(10)
            while not self._stop.is_set():
                readable, _, _ = select.select([tls, upstream], [], [], 0.2)
                for source in readable:
                    if source is tls:
                        data = tls.recv(65536)
                        while data and tls.pending():
                            data += tls.recv(tls.pending())
                        target = upstream
                    else:
                        data = upstream.recv(65536)
                        target = tls
                    if not data:
                        return
                    target.sendall(data)
        except (OSError, ssl.SSLError):
            return
        finally:
            upstream.close()
            tls.close()


@pytest.fixture
def tls_proxy(s3_server, test_ca):
    host, port = s3_server.endpoint.removeprefix("http://").rsplit(":", 1)
    proxy = TLSTerminatingProxy((host, int(port)), test_ca["cert"], test_ca["key"])
    yield proxy
    proxy.close()


# -- catalog round trip ------------------------------------------------------------------------

def catalog_round_trip(tmp_path, api, prefix, root, s3, bucket, s3_env) -> tuple[dict, list]:
    """Uploads a PNG, has the packaged bootstrap handle its S3 event; returns (the uploaded
    object's facts, the catalog it wrote)."""
    key = "photos/sunset beach.png"
    body = png(3, 2, pixels=True)
    etag = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
    log = tmp_path / "bootstrap.log"
    process = start_in_root(api, prefix, root, lambda_env(api, "catalog", s3_env), log)
    request = api.enqueue(s3_event(s3_record(bucket, key, size=len(body), etag=etag)))
    result = wait_result(api, request, process, log)
    assert result.kind == "response", (
        f"{result.kind} {result.error_type}: {result.body!r}\n{log.read_text(errors='replace')}")
    catalog = json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())
    return {"name": key, "size": len(body), "etag": etag}, catalog


def assert_catalog_entry(expected: dict, catalog: list) -> None:
    entries = [e for e in catalog if e.get("name") == expected["name"]]
    assert len(entries) == 1, f"catalog has no single entry for {expected['name']}: {catalog}"
    entry = entries[0]
    assert entry["type"] == "png"
    assert entry["size"] == expected["size"]
    assert entry["etag"].strip('"') == expected["etag"]


def s3_client_env(s3_server, endpoint: str | None = None) -> dict[str, str]:
    env = dict(s3_server.env())
    if endpoint:
        env["AWS_ENDPOINT_URL_S3"] = endpoint
    return env


# -- tests -----------------------------------------------------------------------------------

def test_zip_layout_is_what_lambda_needs(package_zip, tmp_path):
    """bootstrap and the loader executable, everything world-readable (Lambda runs the function
    as an unprivileged user), plain files only, in a fixed order with one fixed timestamp."""
    with zipfile.ZipFile(package_zip) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names[0] == "bootstrap"
    assert names[1:] == sorted(names[1:]) and all(n.startswith("lib/") for n in names[1:])
    assert "lib/ld-linux-x86-64.so.2" in names and "lib/libc.so.6" in names
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))  # scripts/package's default
    fixed = time.gmtime(epoch - epoch % 2)[:6]  # zip stores even seconds
    assert {i.date_time for i in infos} == {fixed}, "entries do not carry the fixed timestamp"
    for info in infos:
        mode = info.external_attr >> 16
        assert stat.S_ISREG(mode), f"{info.filename} is not a regular file ({oct(mode)})"
        assert mode & 0o444 == 0o444, f"{info.filename} is not world-readable ({oct(mode)})"
        executable = info.filename in ("bootstrap", "lib/ld-linux-x86-64.so.2")
        assert bool(mode & 0o111) == executable, f"{info.filename}: mode {oct(mode)}"

    unzip_like_lambda(package_zip, tmp_path)
    headers = subprocess.run(["readelf", "-W", "-l", "-d", str(tmp_path / "bootstrap")],
                             capture_output=True, text=True, check=True,
                             env=dict(os.environ, LC_ALL="C")).stdout
    assert f"[Requesting program interpreter: {LOADER}]" in headers
    assert f"(RPATH)              Library rpath: [{TASK_ROOT}/lib]" in headers
    assert "(RUNPATH)" not in headers


def test_bundle_needs_nothing_from_the_host(package_zip, tmp_path):
    unzip_like_lambda(package_zip, tmp_path)
    report = check_bundle(tmp_path, TASK_ROOT)
    assert report["needs_from_host"] == {}
    assert report["highest_glibc_from_host"] is None
    assert report["host_loader"] is None
    assert glibc_version(report["bundled_glibc"]) >= glibc_version(report["bootstrap_glibc"])


def test_bundle_analysis_without_lib_names_the_host_glibc(package_zip, tmp_path):
    """With lib/ emptied, the analysis must name every missing library and compute the GLIBC
    version bootstrap would then ask of the host: the same highest GLIBC_x.y that objdump
    lists for it."""
    unzip_like_lambda(package_zip, tmp_path)
    shutil.rmtree(tmp_path / "lib")
    (tmp_path / "lib").mkdir()
    report, problems = analyze_bundle(tmp_path, TASK_ROOT)
    dynamic = subprocess.run(["objdump", "-T", str(tmp_path / "bootstrap")], capture_output=True,
                             text=True, check=True, env=dict(os.environ, LC_ALL="C")).stdout
    versions = {w.strip("()") for w in dynamic.split() if w.strip("()").startswith("GLIBC_2")}
    expected = max(versions, key=glibc_version)
    assert report["highest_glibc_from_host"] == expected
    assert "libc.so.6" in report["needs_from_host"]
    assert report["host_loader"] == LOADER
    assert any("bootstrap needs libc.so.6, which is not in lib/" in p for p in problems), problems
    with pytest.raises(BundleError, match="not self-contained"):
        check_bundle(tmp_path, TASK_ROOT)


def test_bundle_check_names_a_missing_library(package_zip, tmp_path):
    """A library that only another bundled library needs (libm needs libc) is checked too."""
    unzip_like_lambda(package_zip, tmp_path)
    (tmp_path / "lib" / "libc.so.6").unlink()
    with pytest.raises(BundleError, match=r"lib/libm\.so\.6 needs libc\.so\.6"):
        check_bundle(tmp_path, TASK_ROOT)


def test_curl_openssl_and_libstdcxx_are_linked_into_bootstrap(package_zip, tmp_path):
    """The default package links libcurl, OpenSSL, libstdc++ and libgcc statically (no loader
    work for them at cold start): bootstrap loads only glibc, lib/ holds only glibc, and the
    libraries' own strings are inside the binary."""
    unzip_like_lambda(package_zip, tmp_path)
    assert {p.name for p in (tmp_path / "lib").iterdir()} == {
        "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6"}
    needed = elf_info(tmp_path / "bootstrap").needed
    assert set(needed) <= {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2"}, needed
    binary = (tmp_path / "bootstrap").read_bytes()
    # curl_easy_strerror's text for CURLE_BAD_FUNCTION_ARGUMENT, which libcurl carries along.
    assert b"A libcurl function was given a bad argument" in binary, "no libcurl in bootstrap"
    assert b"OpenSSL 3." in binary, "no OpenSSL version string in bootstrap"


def test_the_root_hides_the_host(chroot_prefix, tmp_path):
    """Control: a host program cannot start in such a root (its loader and libraries are not
    there), so the packaged runs below prove the zip carries its own."""
    root = tmp_path / "root"
    (root / "probe").mkdir(parents=True)
    shutil.copy2(shutil.which("true"), root / "probe" / "true")
    result = subprocess.run([*chroot_prefix, str(root), "/probe/true"], capture_output=True,
                            text=True, env={})
    assert result.returncode == 127, (result.returncode, result.stderr)


def test_sum_event_in_empty_root(package_zip, chroot_prefix, tmp_path):
    root = make_root(tmp_path, package_zip, ca_bundle=None)
    with LocalRuntimeAPI(function_timeout=10.0) as api:
        log = tmp_path / "bootstrap.log"
        process = start_in_root(api, chroot_prefix, root, lambda_env(api, "sum"), log)
        request = api.enqueue(b'{"key1":1,"key2":2}')
        result = wait_result(api, request, process, log)
    assert result.kind == "response", (result.kind, result.error_type, result.body)
    assert result.json() == {"statusCode": 200, "body": 3}


def test_s3_event_over_http_in_empty_root(package_zip, chroot_prefix, tmp_path, s3_server, s3,
                                           bucket):
    root = make_root(tmp_path, package_zip, ca_bundle=None)
    with LocalRuntimeAPI(function_timeout=15.0) as api:
        expected, catalog = catalog_round_trip(tmp_path, api, chroot_prefix, root, s3, bucket,
                                               s3_client_env(s3_server))
    assert_catalog_entry(expected, catalog)


def test_s3_event_over_https_finds_amazon_linux_ca_bundle(package_zip, chroot_prefix, tmp_path,
                                                         s3_server, s3, bucket, test_ca,
                                                         tls_proxy):
    root = make_root(tmp_path, package_zip, ca_bundle=test_ca["ca"].read_bytes())
    env = s3_client_env(s3_server, f"https://localhost:{tls_proxy.port}")
    with LocalRuntimeAPI(function_timeout=15.0) as api:
        expected, catalog = catalog_round_trip(tmp_path, api, chroot_prefix, root, s3, bucket, env)
    assert_catalog_entry(expected, catalog)
    assert tls_proxy.handshakes >= 1, "the catalog was written without going through TLS"
    assert not tls_proxy.failed_handshakes, tls_proxy.failed_handshakes


def test_https_without_ca_bundle_fails_with_a_clear_error(package_zip, chroot_prefix, tmp_path,
                                                          s3_server, s3, bucket, tls_proxy):
    """No CA bundle in the root: the request must fail on certificate verification (curl error
    77: no CA file, or 60: unverifiable peer), not succeed by some other trust path."""
    root = make_root(tmp_path, package_zip, ca_bundle=None)
    key = "lonely.png"
    body = png(1, 1, pixels=True)
    etag = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
    env = s3_client_env(s3_server, f"https://localhost:{tls_proxy.port}")
    with LocalRuntimeAPI(function_timeout=15.0) as api:
        log = tmp_path / "bootstrap.log"
        process = start_in_root(api, chroot_prefix, root, lambda_env(api, "catalog", env), log)
        request = api.enqueue(s3_event(s3_record(bucket, key, size=len(body), etag=etag)))
        result = wait_result(api, request, process, log)
    assert result.kind == "error", f"succeeded without a CA bundle: {result.body!r}"
    text = result.body.decode(errors="replace") + log.read_text(errors="replace")
    assert "curl error 77" in text or "curl error 60" in text, text[-3000:]
    assert tls_proxy.handshakes == 0
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [o["Key"] for o in listed] == [key], "a catalog was written despite the TLS failure"


def test_debian_curl_variant_runs_https_in_empty_root(debian_curl_zip, chroot_prefix, tmp_path,
                                                      s3_server, s3, bucket, test_ca, tls_proxy):
    """`--curl debian` ships Debian's libcurl with all it loads, and it too finds Amazon Linux's
    CA bundle (Debian's libcurl itself only knows /etc/ssl/certs/ca-certificates.crt)."""
    with zipfile.ZipFile(debian_curl_zip) as zf:
        names = zf.namelist()
    assert "lib/libnghttp2.so.14" in names and "lib/libgssapi_krb5.so.2" in names
    root = make_root(tmp_path, debian_curl_zip, ca_bundle=test_ca["ca"].read_bytes())
    env = s3_client_env(s3_server, f"https://localhost:{tls_proxy.port}")
    with LocalRuntimeAPI(function_timeout=15.0) as api:
        expected, catalog = catalog_round_trip(tmp_path, api, chroot_prefix, root, s3, bucket, env)
    assert_catalog_entry(expected, catalog)
    assert tls_proxy.handshakes >= 1


def test_zip_is_reproducible(built_zip, tmp_path):
    """The same build packaged twice, seconds apart, gives byte-identical zips (timestamps and
    order fixed), so a deployment tool sees no change when the code did not change."""
    first, built_here = built_zip
    if not built_here:
        first = tmp_path / "first.zip"
        run_package(first)
    # Zip stores times in 2-second steps: runs closer than that would hide a real timestamp.
    time.sleep(max(0.0, 2.5 - (time.time() - first.stat().st_mtime)))
    second = tmp_path / "second.zip"
    run_package(second)
    assert first.read_bytes() == second.read_bytes()


def foundation_mentions(binary: bytes) -> list[str]:
    """Every run of word characters and dots that contains "Foundation". Found from each
    occurrence outwards: the single regex `[\\w.]*Foundation[\\w.]*` gives the same runs but
    rescans every long run from each of its positions, ~50 s on the 12 MB binary."""
    runs = {}
    for hit in re.finditer(rb"Foundation", binary):
        before = re.search(rb"[\w.]*\Z", binary[max(0, hit.start() - 4096):hit.start()]).group(0)
        after = re.match(rb"[\w.]*", binary[hit.end():hit.end() + 4096]).group(0)
        runs[hit.start() - len(before)] = (before + b"Foundation" + after).decode("latin-1")
    return [runs[start] for start in sorted(runs)]


def test_foundation_mentions_are_whole_runs():
    binary = b"\0x.10FoundationA\0Foundation.__SwiftValue\0$s20FoundationEssentials4DataV\0"
    assert foundation_mentions(binary) == ["x.10FoundationA", "Foundation.__SwiftValue",
                                           "$s20FoundationEssentials4DataV"[1:]]
    assert foundation_mentions(b"FoundationFoundation") == ["FoundationFoundation"]
    slow = re.compile(rb"[\w.]*Foundation[\w.]*")
    assert foundation_mentions(binary) == [m.group(0).decode() for m in slow.finditer(binary)]


def test_the_release_binary_carries_no_foundation(package_zip):
    """No Foundation, FoundationEssentials or FoundationNetworking code in the shipped bootstrap:
    their type metadata would name the module (`10Foundation`, `FoundationEssentials`), and a
    dynamic build would need libFoundation*.so. The Swift runtime's own bridging class name
    `Foundation.__SwiftValue` is the one mention allowed (it is a string in libswiftCore)."""
    with zipfile.ZipFile(package_zip) as zf:
        binary = zf.read("bootstrap")
        names = zf.namelist()
    assert len(binary) > 1_000_000
    mentions = foundation_mentions(binary)
    assert [m for m in mentions if m != "Foundation.__SwiftValue"] == [], mentions[:10]
    assert not any("Foundation" in n or "libicu" in n for n in names), names
