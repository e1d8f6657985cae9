"""Where the local S3 server spends its CPU, from Go's own profiler (`S3Server(profiling=True)`).

A storm on two cores is often bound by the server, not by the function: at 1,000,000 entries
SeaweedFS spends most of its CPU on the server-side copies of the catalog's prefix. Its CPU
seconds alone do not say whether that is work S3 would do too; a profile does (SeaweedFS
stores JSON gzip-compressed and inflates every copied chunk to count its bytes; S3 does not
charge the function for a copy at all).

`ProfileRecorder` takes consecutive CPU profiles (`/debug/pprof/profile?seconds=N`) from
`start()` to `stop()`; `decode` reads Go's profile format (gzip-compressed protobuf, the few
fields needed here); `summarize` gives the shares by package and by request handler.
"""

from __future__ import annotations

import collections
import gzip
import re
import threading
import urllib.request

WINDOW_SECONDS = 2
"""One profile's length: a stop waits for at most one window to end."""


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(data: bytes):
    """(field number, wire type, value) of each field of a protobuf message."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            length, i = _varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def _numbers(wire: int, value) -> list[int]:
    """A repeated integer field's values, packed (wire type 2) or not."""
    if wire == 0:
        return [value]
    out, i = [], 0
    while i < len(value):
        number, i = _varint(value, i)
        out.append(number)
    return out


def decode(data: bytes) -> list[tuple[list[str], int]]:
    """The samples of a Go CPU profile: each one's stack (function names, innermost first) and
    its last value (CPU nanoseconds). Reads only the fields that needs of profile.proto:
    sample (2), location (4), function (5), string_table (6)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings: list[str] = []
    functions: dict[int, int] = {}
    locations: dict[int, list[int]] = {}
    samples: list[tuple[list[int], int]] = []
    for number, wire, value in _fields(data):
        if number == 2:
            ids: list[int] = []
            values: list[int] = []
            for field, field_wire, field_value in _fields(value):
                if field == 1:
                    ids += _numbers(field_wire, field_value)
                elif field == 2:
                    values += _numbers(field_wire, field_value)
            if values:
                samples.append((ids, values[-1]))
        elif number == 4:
            location, lines = 0, []
            for field, _, field_value in _fields(value):
                if field == 1:
                    location = field_value
                elif field == 4:
                    lines += [v for f, _, v in _fields(field_value) if f == 1]
            locations[location] = lines
        elif number == 5:
            members = {field: field_value for field, _, field_value in _fields(value)}
            functions[members.get(1, 0)] = members.get(2, 0)
        elif number == 6:
            strings.append(value.decode("utf-8", "replace"))
    return [([strings[functions[f]] for location in ids for f in locations.get(location, [])], nanoseconds)
            for ids, nanoseconds in samples]


def package(function: str) -> str:
    """`compress/flate.(*decompressor).huffSym` → `compress/flate`; a module path's host and
    owner are dropped (`github.com/seaweedfs/seaweedfs/weed/storage/needle.ParseUpload` →
    `seaweedfs/weed/storage/needle`)."""
    slash = function.rfind("/")
    name = function[:slash + 1] + function[slash + 1:].split(".", 1)[0]
    return name.split("/", 2)[-1] if name.startswith("github.com/") else name


_HANDLER = re.compile(r"\.(\(\*\w+\)\.)?\w+Handler$")


def summarize(samples: list[tuple[list[str], int]], top: int = 6) -> dict:
    """CPU seconds sampled, and the `top` shares by package (of the innermost frame: where the
    CPU was spent) and by request handler (every sample under it: what it was spent for)."""
    total = sum(nanoseconds for _, nanoseconds in samples)
    by_package: collections.Counter = collections.Counter()
    by_handler: collections.Counter = collections.Counter()
    for stack, nanoseconds in samples:
        if stack:
            by_package[package(stack[0])] += nanoseconds
        for handler in {f.rsplit("/", 1)[-1] for f in stack if _HANDLER.search(f)}:
            by_handler[handler] += nanoseconds

    def shares(counter: collections.Counter) -> list[list]:
        return [[name, round(value / total, 3)] for name, value in counter.most_common(top)] if total else []
    return {"cpu_seconds": round(total / 1e9, 2), "packages": shares(by_package), "handlers": shares(by_handler)}


class ProfileRecorder:
    """Consecutive CPU profiles of a Go server from `start()` until `stop()`, in a thread. The
    span is approximate: the last window runs up to `window_seconds` past `stop()`, and the
    moments between two windows go unsampled."""

    def __init__(self, url: str, window_seconds: int = WINDOW_SECONDS) -> None:
        self.url = url
        self.window_seconds = window_seconds
        self.samples: list[tuple[list[str], int]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._record, daemon=True)
        self._summary: dict | None = None

    def start(self) -> "ProfileRecorder":
        self._thread.start()
        return self

    def stop(self) -> dict:
        """Waits for the window in progress to end; `summarize` of all, with any error. Once;
        later calls repeat it."""
        if self._summary is None:
            self._stop.set()
            if self._thread.ident is not None:               # (started)
                self._thread.join(timeout=self.window_seconds * 3 + 10)
            self._summary = summarize(list(self.samples))
            if self.errors:
                self._summary["errors"] = self.errors[:3]
        return self._summary

    def _record(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(f"{self.url}?seconds={self.window_seconds}",
                                            timeout=self.window_seconds * 3 + 10) as answer:
                    self.samples += decode(answer.read())
            except Exception as error:  # noqa: BLE001 (any failure is reported, and the next window tried)
                self.errors.append(f"{type(error).__name__}: {error}")
                self._stop.wait(self.window_seconds)
