"""The S3 server's CPU profile (`bench_lib.server_profile`, `storm --server-profile`): Go's
profile format read right, shares summed right, and a real SeaweedFS profiled while it works."""

from __future__ import annotations

import gzip
import time
import uuid

import pytest

from imagecat_tools.bench_lib import server_profile
from imagecat_tools.s3_server import S3Server

VOLUME_POST = "github.com/seaweedfs/seaweedfs/weed/server.(*VolumeServer).PostHandler"
INFLATE = "compress/flate.(*decompressor).huffSym"
GET_OBJECT = "github.com/seaweedfs/seaweedfs/weed/s3api.(*S3ApiServer).GetObjectHandler"
SYSCALL = "internal/runtime/syscall/linux.Syscall6"
READ = "syscall.read"


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def go_profile(stacks: list[tuple[list[str], int]], packed: bool = True) -> bytes:
    """A CPU profile as Go writes one (gzip-compressed profile.proto): a sample type each for
    samples and CPU nanoseconds; a function per name (ids from 1) and a location per frame (ids
    from 101), where a frame written "inner+outer" is one location with two lines (a function
    inlined into its caller)."""
    strings = ["", "samples", "count", "cpu", "nanoseconds"]
    functions: dict[str, int] = {}
    locations: dict[str, int] = {}
    body = field(1, field(1, 1) + field(2, 2)) + field(1, field(1, 3) + field(2, 4))
    for stack, _ in stacks:
        for frame in stack:
            locations.setdefault(frame, 101 + len(locations))
            for name in frame.split("+"):
                if name not in functions:
                    functions[name] = len(functions) + 1
                    strings.append(name)
    for stack, nanoseconds in stacks:
        ids = [locations[frame] for frame in stack]
        if packed:
            sample = field(1, b"".join(varint(i) for i in ids)) + field(2, varint(1) + varint(nanoseconds))
        else:  # unpacked repeated fields are valid protobuf too
            sample = b"".join(field(1, i) for i in ids) + field(2, 1) + field(2, nanoseconds)
        body += field(2, sample)
    for frame, i in locations.items():
        lines = b"".join(field(4, field(1, functions[name]) + field(2, 7)) for name in frame.split("+"))
        body += field(4, field(1, i) + lines)
    for name, i in functions.items():
        body += field(5, field(1, i) + field(2, strings.index(name)))
    body += b"".join(field(6, s.encode()) for s in strings)
    return gzip.compress(body)


@pytest.mark.parametrize("packed", [True, False])
def test_decode_reads_each_samples_stack_and_cpu(packed):
    written = [([INFLATE, VOLUME_POST], 3_000_000_000),
               ([f"{SYSCALL}+{READ}", GET_OBJECT], 1_000_000_000)]       # READ inlined, SYSCALL inside it
    assert server_profile.decode(go_profile(written, packed)) == [
        ([INFLATE, VOLUME_POST], 3_000_000_000), ([SYSCALL, READ, GET_OBJECT], 1_000_000_000)]


def test_summarize_shares_by_innermost_package_and_by_handler():
    samples = [([INFLATE, "compress/gzip.(*Reader).Read", VOLUME_POST], 6_000_000_000),
               (["runtime.memmove", VOLUME_POST], 2_000_000_000),
               ([SYSCALL, GET_OBJECT], 2_000_000_000)]
    summary = server_profile.summarize(samples)
    assert summary["cpu_seconds"] == 10.0
    assert summary["packages"] == [["compress/flate", 0.6],
                                   ["runtime", 0.2], ["internal/runtime/syscall/linux", 0.2]]
    assert summary["handlers"] == [["server.(*VolumeServer).PostHandler", 0.8],
                                   ["s3api.(*S3ApiServer).GetObjectHandler", 0.2]]
    assert server_profile.summarize([]) == {"cpu_seconds": 0.0, "packages": [], "handlers": []}


@pytest.mark.parametrize("function, package", [
    (INFLATE, "compress/flate"),
    ("github.com/seaweedfs/seaweedfs/weed/storage/needle.ParseUpload", "seaweedfs/weed/storage/needle"),
    ("runtime.memmove", "runtime"),
    ("google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc"),
])
def test_package_is_the_import_path_without_host_and_owner(function, package):
    assert server_profile.package(function) == package


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp* write them) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.rpartition(":")
                if state == "0A" and int(hex_port, 16) == port:   # 0A: LISTEN
                    found.add(address)
    return found


def test_a_recorder_stopped_before_it_started_has_sampled_nothing():
    recorder = server_profile.ProfileRecorder("http://127.0.0.1:9/debug/pprof/profile")
    assert recorder.stop() == {"cpu_seconds": 0.0, "packages": [], "handlers": []}


def test_profiling_needs_seaweedfs():
    with pytest.raises(ValueError, match="SeaweedFS"):
        S3Server("moto", profiling=True)


def test_a_profiled_seaweedfs_says_what_its_cpu_did():
    """A real server, profiled while it stores and serves objects: the PUTs and GETs show up
    under their handlers, and the profiler listens on loopback alone."""
    with S3Server(profiling=True) as server:
        port = server.ports["debug.port"]
        assert listening_addresses(port) == {"0100007F"}               # 127.0.0.1, and nothing else
        s3 = server.boto3_client()
        bucket = f"imagecat-test-{uuid.uuid4().hex[:16]}"
        s3.create_bucket(Bucket=bucket)
        recorder = server_profile.ProfileRecorder(server.profile_url, window_seconds=1).start()
        body = b'{"name":"cat.jpg","type":"jpg","size":1460},\n' * 200_000   # JSON: SeaweedFS gzips it
        ended = time.monotonic() + 2.5
        while time.monotonic() < ended:
            s3.put_object(Bucket=bucket, Key="images.json", Body=body, ContentType="application/json")
            s3.get_object(Bucket=bucket, Key="images.json")["Body"].read()
        # Then GETs alone over two more profile windows: on a busy 2-core CI machine the loop
        # above may make a few rounds only, and a GET that falls in no window shows nowhere.
        ended = time.monotonic() + 2.5
        while time.monotonic() < ended:
            s3.get_object(Bucket=bucket, Key="images.json")["Body"].read()
        summary = recorder.stop()
    assert "errors" not in summary, summary
    assert summary["cpu_seconds"] > 0.2, summary
    assert recorder.stop() is summary, "stopped once"
    handlers = dict(server_profile.summarize(recorder.samples, top=50)["handlers"])
    assert "s3api.(*S3ApiServer).PutObjectHandler" in handlers, summary
    assert any(name.startswith("s3api.(*S3ApiServer).GetObject") for name in handlers), summary
