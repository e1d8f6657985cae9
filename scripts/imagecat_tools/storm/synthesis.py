"""Step 1 of the storm: what gets uploaded. A pool of keys with awkward names (and, with
`liars`, names that lie about their content), and each upload's bytes: a real image header of
the format the key's content has, with random pixel dimensions, padded to the planned size."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from ..images import image_header, make_image
from .config import CATALOG_KEY


@dataclass
class Operation:
    """One S3 operation of the plan: an upload (with its content's size, format and pixels) or a
    delete. It lives with the content it describes, so planning and delivery both import it
    from here and neither imports the other back."""

    index: int
    """Position in the plan; per key, a higher index is a later operation."""
    key: str
    kind: str
    """"put" or "delete"."""
    size: int = 0
    salt: int = 0
    fmt: str | None = None
    """The image format of the uploaded content; None for text."""
    width: int = 0
    height: int = 0


# Key shapes: {i} is a number unique to the key. Each exercises a way keys go wrong: S3's
# form-encoding of notification keys ('+' for space, %XX), SigV4's path encoding, JSON escaping.
# An image key's content is a real image header of the format its extension names.
IMAGE_KEY_SHAPES = [
    "photos/2024/IMG_{i:04d}.jpg",
    "my holiday photo {i}.png",
    "a+b={i}&c.gif",
    "ünïcödé/фото-{i}.webp",
    "deep/nested/prefix/{i}/leaf.jpeg",
    "Caps{i}.JPG",
    "literal%20percent {i}.bmp",
    "tilde~(paren)'{i}!.svg",
    "日本語の写真 {i}.heic",
    "emoji 📷 {i}.avif",
    "semi;colon,comma {i}.tiff",
    "question?{i}#hash.png",
    "dots.in.name.{i}.tif",
    "  leading spaces {i}.ico",
    # (No backslash: SeaweedFS stores "a\\b" as "a/b", which AWS does not.)
    "quote\"and'apostrophe {i}.heif",
]
OTHER_KEY_SHAPES = [
    "notes/{i}.txt",
    "data {i}.json",
    "README{i}",
    "archive+{i}.zip",
    "sub/images.json.{i}.bak",
    "photos/{i}.jpg.partial",
]
# Keys whose name lies about their content (--liars): the function judges by content.
LIAR_KEY_SHAPES = [
    ("text named {i}.jpg", None),
    ("png without extension {i}", "png"),
    ("png named {i}.gif", "png"),
]
FORMAT_OF_EXTENSION = {"jpg": "jpg", "jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp",
                       "bmp": "bmp", "tif": "tiff", "tiff": "tiff", "heic": "heic", "heif": "heic",
                       "avif": "avif", "ico": "ico", "svg": "svg"}
IMAGE_EXTENSIONS = set(FORMAT_OF_EXTENSION)


def extension_format(key: str) -> str | None:
    """The image format a key's extension names (None: not an image extension)."""
    if key == CATALOG_KEY or key.endswith("/"):
        return None
    name = key.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return FORMAT_OF_EXTENSION.get(name[dot + 1:].lower()) if dot > 0 else None


def is_image_key(key: str) -> bool:
    """Whether the name says image (an image extension on the last segment, not the catalog)."""
    return extension_format(key) is not None


MAX_DIMENSION = {"ico": 256, "gif": 65535, "jpg": 65535}
DEFAULT_MAX_DIMENSION = 20000


def min_image_size(fmt: str) -> int:
    """The smallest `make_image` size for any pixel dimensions the storm uses (an SVG header
    grows with the digits of its dimensions)."""
    largest = MAX_DIMENSION.get(fmt, DEFAULT_MAX_DIMENSION)
    return len(image_header(fmt, largest, largest)) + (13 if fmt == "svg" else 8)



def key_pool(rng: random.Random, count: int, liars: bool = False,
             upload_prefix: str | None = None) -> dict[str, str | None]:
    """`count` distinct keys → the format of their content (None: text). About 85% are image
    keys of every awkward shape, the rest text files; with `liars`, about 1 in 20 keys has a
    name that lies (text named .jpg, a PNG without extension or named .gif).

    With `upload_prefix`, each key is `<upload_prefix><time-ordered id>/<shape>`, as imagecat's
    `POST /uploads` names an upload: new uploads then sort after the images already cataloged."""
    keys: dict[str, str | None] = {}
    first_ms = int(time.time() * 1000)
    for i in range(count):
        if liars and i % 20 == 13:
            shape, fmt = LIAR_KEY_SHAPES[(i // 20) % len(LIAR_KEY_SHAPES)]
            key = shape.format(i=i)
        else:
            shapes = OTHER_KEY_SHAPES if i % 7 == 6 else IMAGE_KEY_SHAPES
            key = shapes[(i * 5 + rng.randrange(len(shapes))) % len(shapes)].format(i=i)
            fmt = extension_format(key)
        if upload_prefix is not None:
            key = f"{upload_prefix}{first_ms + i:012x}{rng.getrandbits(40):010x}/{key}"
        keys[key] = fmt
    return keys



def body_for(op: Operation) -> bytes:
    """The content of an upload: a `fmt` image of `size` bytes, or text; the salt makes two
    uploads of the same size differ (and so their ETags)."""
    if op.fmt:
        return make_image(op.fmt, op.width, op.height, op.size, op.salt)
    line = f"not an image: {op.key} #{op.salt}\n".encode()
    return (line * (op.size // len(line) + 1))[:op.size]
