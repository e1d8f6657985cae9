"""Big catalogs for tests, storms and benchmarks: `images.json` already holding N entries of other
images (~176 bytes each, as imagecat writes them), written straight into a bucket, and a checker
of a stored catalog and its index.

    from imagecat_tools.big_catalog import preload, check
    names = preload(s3, "bucket", 1_000_000)       # sorted, one entry per line, multipart
    report = check(s3, "bucket")                   # raises CatalogCheckError on any fault

The entries are named `images/archive/<9 digits>-<8 hex>.jpg` (they sort before imagecat's upload
prefix `images/uploads/`), have no objects behind them, and are written in imagecat's form:
sorted by name as UTF-8 bytes, `[\\n` + one compact entry per line + `\\n]\\n`. No index is
written: the first reader indexes the catalog itself, as after an upgrade. With `rare_every=K`,
every K-th entry (those with `is_rare(i, K)`) is a `gif` (`….gif`): a rare type spread evenly over
the catalog, for measuring a `type` filter.
"""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass
from typing import Iterator

PART_BYTES = 8 << 20
PREFIX = "images/archive/"


class CatalogCheckError(AssertionError):
    """The stored catalog or its index is not what imagecat promises."""


RARE_TYPE = "gif"


def is_rare(i: int, rare_every: int) -> bool:
    """Whether entry `i` is of the rare type: one in `rare_every`, the first in the middle of
    the first stretch (so neither end of the catalog holds one); never when `rare_every` is 0."""
    return rare_every > 0 and i % rare_every == rare_every // 2


def _named(count: int, seed: int, prefix: str, rare_every: int) -> Iterator[tuple[str, str, random.Random]]:
    rng = random.Random(seed)
    for i in range(count):
        kind = RARE_TYPE if is_rare(i, rare_every) else "jpg"
        yield f"{prefix}{i:09d}-{rng.getrandbits(32):08x}.{kind}", kind, rng


def entry_names(count: int, *, seed: int = 1, prefix: str = PREFIX, rare_every: int = 0) -> Iterator[str]:
    """The names `preload` writes for the same `count`, `seed` and `rare_every`, in name order
    (without the cost of their JSON)."""
    for name, _, rng in _named(count, seed, prefix, rare_every):
        rng.getrandbits(128)                               # the entry's etag: same draws
        yield name


def entry_lines(count: int, *, seed: int = 1, prefix: str = PREFIX,
                rare_every: int = 0) -> Iterator[tuple[str, bytes]]:
    """(name, compact JSON) of `count` entries, in name order; `jpg`, but one in `rare_every`
    a `gif` (the same names and other members: only the extension and type differ)."""
    for name, kind, rng in _named(count, seed, prefix, rare_every):
        line = json.dumps({"name": name, "type": kind, "size": 183214, "width": 4032, "height": 3024,
                           "etag": f"{rng.getrandbits(128):032x}", "lastModified": "2026-11-25T17:30:05Z"},
                          separators=(",", ":"), ensure_ascii=False)
        yield name, line.encode()


def preload(s3, bucket: str, count: int, *, key: str = "images.json", seed: int = 1,
            keep_names_every: int = 0, rare_every: int = 0) -> list[str]:
    """Writes a catalog of `count` entries as a multipart object of ~8 MiB parts (streamed: the
    whole catalog is never held). Returns every `keep_names_every`-th name (none for 0). One
    entry in `rare_every` is a `gif` (see `is_rare`; none for 0)."""
    kept: list[str] = []
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/json")["UploadId"]
    parts, buffer = [], bytearray(b"[\n")
    try:
        def flush(final: bool) -> None:
            if not buffer or (not final and len(buffer) < PART_BYTES):
                return
            number = len(parts) + 1
            answer = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=bytes(buffer))
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            buffer.clear()
        for i, (name, line) in enumerate(entry_lines(count, seed=seed, rare_every=rare_every)):
            if keep_names_every and i % keep_names_every == 0:
                kept.append(name)
            if i:
                buffer += b",\n"
            buffer += line
            flush(final=False)
        buffer += b"\n]\n" if count else b"]\n"
        if not count:
            buffer[:] = b"[]\n"
        flush(final=True)
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    except BaseException:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
        raise
    return kept


def entries(s3, bucket: str, *, key: str = "images.json", etag: str | None = None,
            size: int | None = None) -> Iterator[tuple[int, dict]]:
    """(offset, entry) of every entry of one version of a catalog in imagecat's form (`[` alone
    on the first line, then one entry per line), read in 8 MiB ranges: memory stays bounded
    however big the catalog. Raises CatalogCheckError when the catalog is not in that form."""
    if etag is None or size is None:
        head = s3.head_object(Bucket=bucket, Key=key)
        etag, size = head["ETag"], head["ContentLength"]
    carry, offset = b"", 0
    while offset < size:
        end = min(size, offset + PART_BYTES)
        chunk = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-{end - 1}", IfMatch=etag)["Body"].read()
        data, base = carry + chunk, offset - len(carry)
        lines = data.split(b"\n")
        carry = lines.pop() if end < size else b""
        position = base
        for line in lines:
            if position == 0:
                if line not in (b"[", b"[]"):
                    raise CatalogCheckError(f"the catalog does not start with '[' alone on a line: {line[:40]!r}")
            elif line not in (b"]", b""):
                try:
                    yield position, json.loads(line[:-1] if line.endswith(b",") else line)
                except ValueError as error:
                    raise CatalogCheckError(f"the line at byte {position} is not one entry: {error}") from None
            position += len(line) + 1
        offset = end


@dataclass
class CatalogReport:
    entries: int
    size: int
    etag: str
    blocks: int
    names: list[str] | None


def check(s3, bucket: str, *, key: str = "images.json", keep_names: bool = False,
          small_bytes: int = 1 << 20) -> CatalogReport:
    """Reads the stored catalog in 8 MiB ranges (all of one version) and checks it is in
    imagecat's form (one entry per line, names rising strictly as UTF-8 bytes), and that a big
    one has an index for exactly this version whose every block starts at an entry, with the
    first name and the count it says."""
    head = s3.head_object(Bucket=bucket, Key=key)
    etag, size = head["ETag"].strip('"'), head["ContentLength"]
    names: list[str] = []
    offsets: list[int] = []          # where each entry starts
    firsts: dict[int, str] = {}      # entry start → name
    previous: bytes | None = None
    for position, entry in entries(s3, bucket, key=key, etag=head["ETag"], size=size):
        name = entry["name"].encode()
        if previous is not None and not previous < name:
            raise CatalogCheckError(f"names do not rise strictly at {entry['name']!r}")
        previous = name
        offsets.append(position)
        firsts[position] = entry["name"]
        if keep_names:
            names.append(entry["name"])
    blocks = 0
    if size > small_bytes:
        try:
            index = json.loads(s3.get_object(Bucket=bucket, Key=f"{key}.index/{etag}")["Body"].read())
        except s3.exceptions.NoSuchKey:
            raise CatalogCheckError(f"no index for version {etag} ({size} bytes)") from None
        if (index["etag"], index["size"]) != (etag, size):
            raise CatalogCheckError(f"the index describes {index['etag']}/{index['size']}, not {etag}/{size}")
        rows = index["blocks"]
        blocks = len(rows)
        if not rows or rows[0][1] != 0:
            raise CatalogCheckError("block 0 does not start at 0")
        for i, (first, block_offset, block_count, _bits) in enumerate(rows):
            at = 2 if i == 0 else block_offset             # block 0 holds the '[' line too
            if firsts.get(at) != first:
                raise CatalogCheckError(f"block {i} at {block_offset} does not start with the entry {first!r}")
            following = rows[i + 1][1] if i + 1 < len(rows) else size
            inside = bisect.bisect_left(offsets, following) - bisect.bisect_left(offsets, at)
            if inside != block_count:
                raise CatalogCheckError(f"block {i} holds {inside} entries, the index says {block_count}")
    return CatalogReport(entries=len(offsets), size=size, etag=etag, blocks=blocks, names=names if keep_names else None)
