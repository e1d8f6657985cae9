"""Image bytes built by hand: the leading bytes of a well-formed image of any of the formats
the function reads (what its sniffer needs), padded to an exact size. One home for every
image the tools and tests synthesise (the storm, the benchmarks, the integration tests).

Python 3.11 standard library only.
"""

from __future__ import annotations

import random
import struct
import zlib

def _u16le(v: int) -> bytes: return struct.pack("<H", v)
def _u32le(v: int) -> bytes: return struct.pack("<I", v)
def _u16be(v: int) -> bytes: return struct.pack(">H", v)
def _u32be(v: int) -> bytes: return struct.pack(">I", v)


def _box(kind: bytes, payload: bytes) -> bytes:
    return _u32be(8 + len(payload)) + kind + payload


def image_header(fmt: str, width: int, height: int) -> bytes:
    """The leading bytes of a well-formed `fmt` image of `width`×`height` pixels: what any
    reader (and the function's sniffer) needs to tell the format and the size."""
    if fmt == "png":
        return png(width, height)
    if fmt == "jpg":
        app0 = b"\xff\xe0" + _u16be(16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
        sof0 = (b"\xff\xc0" + _u16be(17) + b"\x08" + _u16be(height) + _u16be(width)
                + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
        return b"\xff\xd8" + app0 + sof0
    if fmt == "gif":
        return b"GIF89a" + _u16le(width) + _u16le(height) + b"\x00\x00\x00"
    if fmt == "webp":
        vp8x = b"VP8X" + _u32le(10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") \
            + (height - 1).to_bytes(3, "little")
        return b"RIFF" + _u32le(0) + b"WEBP" + vp8x  # RIFF size patched by make_image
    if fmt == "bmp":
        return (b"BM" + _u32le(0) + b"\0\0\0\0" + _u32le(54) + _u32le(40) + struct.pack("<i", width)
                + struct.pack("<i", height) + _u16le(1) + _u16le(24) + bytes(24))
    if fmt == "tiff":
        entries = [(256, 4, 1, width), (257, 4, 1, height), (277, 3, 1, 3)]
        ifd = _u16le(len(entries)) + b"".join(
            _u16le(tag) + _u16le(kind) + _u32le(count) + _u32le(value)
            for tag, kind, count, value in entries) + _u32le(0)
        return b"II*\0" + _u32le(8) + ifd
    if fmt in ("heic", "avif"):
        brand = fmt.encode()
        ftyp = _box(b"ftyp", brand + _u32be(0) + b"mif1" + brand)
        ispe = _box(b"ispe", b"\0\0\0\0" + _u32be(width) + _u32be(height))
        meta = _box(b"meta", b"\0\0\0\0" + _box(b"iprp", _box(b"ipco", ispe)))
        return ftyp + meta
    if fmt == "ico":
        # One entry: 0 stands for 256; the image data (a PNG in modern icons) follows.
        return (b"\0\0\x01\0" + _u16le(1) + bytes([width % 256, height % 256, 0, 0]) + _u16le(1)
                + _u16le(32) + _u32le(0) + _u32le(22))
    if fmt == "svg":
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}">').encode()
    raise ValueError(f"unknown image format {fmt!r}")




def make_image(fmt: str, width: int, height: int, size: int, salt: int) -> bytes:
    """A `fmt` image of exactly `size` bytes (its header, then filler that depends on `salt`,
    so two images of the same size and header still have different ETags)."""
    head = image_header(fmt, width, height)
    if fmt == "svg":
        tail = b"</svg>"
        filler = _filler(salt, size - len(head) - len(tail) - 7, b"abcdefghij")
        body = head + b"<!--" + filler + b"-->" + tail
    elif fmt in ("heic", "avif"):
        body = head + _box(b"mdat", _filler(salt, size - len(head) - 8))
    else:
        body = head + _filler(salt, size - len(head))
    if fmt == "webp":
        body = body[:4] + _u32le(len(body) - 8) + body[8:]
    elif fmt == "bmp":
        body = body[:2] + _u32le(len(body)) + body[6:]
    elif fmt == "ico":
        body = body[:14] + _u32le(len(body) - 22) + body[18:]
    if len(body) != size:
        raise ValueError(f"{fmt} image cannot be {size} bytes (header alone is {len(head)})")
    return body


def _filler(salt: int, count: int, alphabet: bytes | None = None) -> bytes:
    if count < 0:
        raise ValueError("image size smaller than its header")
    rng = random.Random(salt)
    if alphabet is None:
        return rng.randbytes(count)
    return bytes(rng.choice(alphabet) for _ in range(count))



def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return _u32be(len(data)) + kind + data + _u32be(zlib.crc32(kind + data))


def png(width: int, height: int, *, pixels: bool = False, rgb: tuple[int, int, int] = (0x80, 0x80, 0x80)) -> bytes:
    """An 8-bit RGB PNG of `width`×`height`: the signature and IHDR (with its CRC), all a
    sniffer reads; with `pixels`, also image data of one colour (`rgb`, mid-grey by default) and
    IEND, so any decoder opens it."""
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if not pixels:
        return head
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return head + _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")
