"""Running the shipped zip (dist/bootstrap.zip) outside Lambda, for the cold-start and RSS
figures of what is actually deployed.

The zip's `bootstrap` may name a program interpreter (PT_INTERP) under /var/task, where
Lambda unpacks it: then it only starts as is from /var/task. Elsewhere it is started through
its own bundled dynamic loader (`lib/ld-linux-x86-64.so.2 --library-path lib bootstrap`),
which loads the same bundled libraries the same way; the only difference is that the loader,
not the kernel, maps the program (one extra open + mmap). The report says which way it ran.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass

PT_INTERP = 3


class PackageError(RuntimeError):
    """The zip cannot be run here; the message says why."""


@dataclass(frozen=True)
class UnpackedPackage:
    directory: str
    argv: list[str]
    how: str
    """How it is started, for the report."""
    zip_bytes: int
    bootstrap_bytes: int
    unpacked_bytes: int


def unpack(zip_path: str, directory: str) -> UnpackedPackage:
    """Unzips `zip_path` into `directory` (keeping modes) and works out how to start it."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = archive.extract(info, directory)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)
    bootstrap = os.path.join(directory, "bootstrap")
    if not os.path.isfile(bootstrap):
        raise PackageError(f"{zip_path} has no bootstrap at its root")
    unpacked = sum(os.path.getsize(os.path.join(root, name))
                   for root, _, names in os.walk(directory) for name in names)
    sizes = dict(zip_bytes=os.path.getsize(zip_path), bootstrap_bytes=os.path.getsize(bootstrap),
                 unpacked_bytes=unpacked)
    interpreter = program_interpreter(bootstrap)
    if interpreter is None or os.path.exists(interpreter) and not interpreter.startswith("/var/task/"):
        return UnpackedPackage(directory, [bootstrap], "as is", **sizes)
    if interpreter.startswith("/var/task/"):
        loader = os.path.join(directory, interpreter[len("/var/task/"):])
        if not os.path.isfile(loader):
            raise PackageError(f"bootstrap's loader is {interpreter}, which the zip does not hold; "
                               "it only runs at /var/task")
        library_dir = os.path.dirname(loader)
        return UnpackedPackage(directory, [loader, "--library-path", library_dir, bootstrap],
                               f"through its bundled loader (its PT_INTERP is {interpreter}: "
                               "as is it only starts from /var/task)", **sizes)
    raise PackageError(f"bootstrap's loader {interpreter} does not exist on this machine")


def program_interpreter(path: str) -> str | None:
    """PT_INTERP of a 64-bit little-endian ELF file (None: statically linked)."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            raise PackageError(f"{path} is not a 64-bit little-endian ELF file")
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        for index in range(phnum):
            f.seek(phoff + index * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == PT_INTERP:
                f.seek(p_offset)
                return f.read(p_filesz).rstrip(b"\0").decode()
    return None
