"""Make a dynamically linked executable self-contained, and prove that it is.

scripts/package uses this to put `bootstrap` and every shared library it loads (glibc and its
dynamic loader included) into one directory tree, so the Lambda zip runs the same on any Linux
whatever its C library: the artifact is built on Debian 12 (glibc 2.36) and runs on Amazon
Linux 2023 (glibc 2.34).

Subcommands (Python 3.11 standard library; needs `ldd` and binutils' `readelf`):

    collect BINARY LIBDIR
        Copies every library `ldd BINARY` lists, the dynamic loader included, into LIBDIR under
        the name the binary asks for (links resolved: the zip holds plain files). Prints the
        loader's file name. Fails on a "not found" dependency.

    check BUNDLE --task-root /var/task
        Verifies BUNDLE (a directory holding `bootstrap` and `lib/`, unpacked where
        --task-root says): the loader and the library path point into it, every library any
        of its ELF files needs is inside it, and defines the symbol versions asked of it.
        Prints one JSON object: what the bundle still needs from the host (nothing, when
        glibc travels along), and the GLIBC versions it uses. Exits 1, naming the problems,
        when the bundle is not closed.

    report ZIP BUNDLE [--task-root /var/task] [--budget BYTES]
        Runs `check`, then prints the packaging report: sizes (zip, binary, libraries,
        unpacked), the GLIBC versions needed from the host, how libcurl is linked (into
        bootstrap, or as a library with what it alone pulls in), and,
        over the budget (default 10 MB), which files cost the most once compressed.

As a module: `elf_info(path)`, `analyze_bundle(bundle, task_root)` -> (report, problems) and
`check_bundle(bundle, task_root)` -> report (raises BundleError).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

_ENV = dict(os.environ, LC_ALL="C")
_GLIBC = re.compile(r"GLIBC_(\d+(?:\.\d+)+)\Z")


class BundleError(RuntimeError):
    """The bundle cannot run on its own; the message lists every reason found."""


@dataclass
class ElfInfo:
    """The dynamic-linking facts of one ELF file, as `readelf` shows them."""

    path: Path
    soname: str | None = None
    interpreter: str | None = None
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    version_needs: dict[str, set[str]] = field(default_factory=dict)
    """Needed file (e.g. libc.so.6) → the symbol versions asked of it (e.g. GLIBC_2.34)."""
    version_defs: set[str] = field(default_factory=set)
    """Symbol versions this file provides (a libc.so.6 lists GLIBC_2.2.5 ... GLIBC_2.36)."""


def _readelf(*args: str) -> str:
    result = subprocess.run(["readelf", "-W", *args], capture_output=True, text=True, env=_ENV)
    if result.returncode != 0:
        raise BundleError(f"readelf {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def is_elf(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(4) == b"\x7fELF"


def elf_info(path: Path) -> ElfInfo:
    """Reads the program headers, dynamic section and symbol versions of `path`."""
    info = ElfInfo(path=Path(path))
    text = _readelf("-l", "-d", "-V", str(path))
    file_needing: str | None = None
    section = ""
    for line in text.splitlines():
        if "Requesting program interpreter:" in line:
            info.interpreter = line.split(":", 1)[1].strip().rstrip("]")
        elif "Version needs section" in line:
            section = "needs"
        elif "Version definition section" in line:
            section = "defs"
        elif "Version symbols section" in line:
            section = ""
        elif m := re.search(r"\((NEEDED|SONAME|RPATH|RUNPATH)\)\s+.*\[(.*)\]", line):
            kind, value = m.groups()
            if kind == "NEEDED":
                info.needed.append(value)
            elif kind == "SONAME":
                info.soname = value
            elif kind == "RPATH":
                info.rpath = value.split(":")
            else:
                info.runpath = value.split(":")
        elif section == "needs" and (m := re.search(r"File: (\S+)", line)):
            file_needing = m.group(1)
            info.version_needs.setdefault(file_needing, set())
        elif section == "needs" and file_needing and (m := re.search(r"Name: (\S+)", line)):
            info.version_needs[file_needing].add(m.group(1))
        elif section == "defs" and (m := re.search(r"Name: (\S+)", line)) and "Flags: BASE" not in line:
            info.version_defs.add(m.group(1))
    return info


def glibc_version(name: str) -> tuple[int, ...] | None:
    """GLIBC_2.34 → (2, 34); None for anything else (GLIBC_PRIVATE, GLIBCXX_3.4, ...)."""
    m = _GLIBC.match(name)
    return tuple(int(part) for part in m.group(1).split(".")) if m else None


def highest_glibc(names) -> str | None:
    """The highest GLIBC_x.y among `names`, or None."""
    versions = [(v, n) for n in names if (v := glibc_version(n)) is not None]
    return max(versions)[1] if versions else None


# -- collect --------------------------------------------------------------------------------

def ldd_dependencies(binary: Path) -> list[tuple[str, Path]]:
    """(name the binary asks for, file on this machine) for every library `ldd` lists, the
    dynamic loader included; the kernel's vDSO has no file and is left out."""
    result = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, env=_ENV)
    if result.returncode != 0:
        raise BundleError(f"ldd {binary} failed ({result.returncode}): "
                          f"{(result.stdout + result.stderr).strip()} "
                          "(is it a dynamically linked executable for this machine?)")
    deps: list[tuple[str, Path]] = []
    missing: list[str] = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            name, _, rest = line.partition("=>")
            target = rest.strip().split(" (")[0].strip()
            if target == "not found":
                missing.append(name.strip())
            elif target:
                deps.append((name.strip(), Path(target)))
        elif line.startswith("/"):  # the loader: "/lib64/ld-linux-x86-64.so.2 (0x...)"
            path = Path(line.split(" (")[0])
            deps.append((path.name, path))
    if missing:
        raise BundleError(f"{binary} needs libraries this machine lacks: {', '.join(missing)}")
    return deps


def collect(binary: Path, libdir: Path) -> str:
    """Copies the libraries of `binary` into `libdir`; returns the loader's file name."""
    interpreter = elf_info(binary).interpreter
    if not interpreter:
        raise BundleError(f"{binary} has no program interpreter: it is static, nothing to bundle")
    libdir.mkdir(parents=True, exist_ok=True)
    for name, source in ldd_dependencies(binary):
        destination = libdir / name
        shutil.copyfile(source.resolve(), destination)
        # World-readable (Lambda runs the function as an unprivileged user); the loader must
        # also be executable, because the kernel opens PT_INTERP like a program.
        destination.chmod(0o755 if name == Path(interpreter).name else 0o644)
    return Path(interpreter).name


def _closure(start: list[str], libs: dict[str, ElfInfo]) -> set[str]:
    """The names in `start` and everything they need, transitively, among `libs`."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in libs:
            continue
        seen.add(name)
        todo.extend(libs[name].needed)
    return seen


def _load(bundle: Path) -> tuple[ElfInfo, dict[str, ElfInfo]]:
    bundle = Path(bundle)
    libdir = bundle / "lib"
    libs = {p.name: elf_info(p) for p in sorted(libdir.iterdir()) if is_elf(p)} if libdir.is_dir() else {}
    return elf_info(bundle / "bootstrap"), libs


# -- check ----------------------------------------------------------------------------------

def analyze_bundle(bundle: Path, task_root: str) -> tuple[dict, list[str]]:
    """(report, problems) for `bundle` (bootstrap + lib/, to be unpacked at `task_root`).

    The report says what the bundle still needs from the host: every symbol version its ELF
    files ask of a library that is not in lib/ (`needs_from_host`, and the highest GLIBC_x.y
    among them), and whether the loader is the host's. Problems: anything that keeps the
    bundle from running on its own (empty when it is self-contained)."""
    libdir_in_task = f"{task_root.rstrip('/')}/lib"
    main, libs = _load(bundle)
    problems: list[str] = []

    loader_bundled = bool(main.interpreter and main.interpreter.startswith(libdir_in_task + "/")
                          and Path(main.interpreter).name in libs)
    if not main.interpreter or not main.interpreter.startswith(libdir_in_task + "/"):
        problems.append(f"bootstrap's interpreter is {main.interpreter!r}, not the bundled loader "
                        f"in {libdir_in_task}/")
    elif not loader_bundled:
        problems.append(f"bootstrap's interpreter {main.interpreter} is not in lib/")
    # DT_RPATH, not DT_RUNPATH: the loader searches RPATH before LD_LIBRARY_PATH (Lambda sets
    # one that starts with /lib64, the host's glibc) and applies it to indirect dependencies.
    if main.rpath != [libdir_in_task]:
        problems.append(f"bootstrap's DT_RPATH is {main.rpath}, expected [{libdir_in_task!r}]")
    if main.runpath:
        problems.append(f"bootstrap has DT_RUNPATH {main.runpath}: it would disable DT_RPATH and "
                        "let LD_LIBRARY_PATH pick the host's libraries first")
    for name, info in libs.items():
        if info.runpath:
            problems.append(f"lib/{name} has DT_RUNPATH {info.runpath}: its dependencies would "
                            f"not be searched in {libdir_in_task}")

    from_host: dict[str, set[str]] = {}
    for info in [main, *libs.values()]:
        where = "bootstrap" if info is main else f"lib/{info.path.name}"
        for needed in info.needed:
            if needed not in libs:
                problems.append(f"{where} needs {needed}, which is not in lib/")
        for file, versions in info.version_needs.items():
            if file not in libs:
                from_host.setdefault(file, set()).update(versions)
            elif missing := versions - libs[file].version_defs:
                problems.append(f"{where} needs {', '.join(sorted(missing))} from {file}, "
                                "which the bundled one does not define")

    def glibc_needs(info: ElfInfo) -> str | None:
        return highest_glibc(v for vs in info.version_needs.values() for v in vs)

    report = {
        "interpreter": main.interpreter,
        "rpath": main.rpath,
        "libraries": len(libs),
        "bundled_glibc": highest_glibc(libs["libc.so.6"].version_defs) if "libc.so.6" in libs else None,
        "bootstrap_glibc": glibc_needs(main),
        "glibc_by_file": {name: v for name, info in libs.items() if (v := glibc_needs(info))},
        "host_loader": None if loader_bundled else main.interpreter,
        "needs_from_host": {file: sorted(v) for file, v in sorted(from_host.items())},
        "highest_glibc_from_host": highest_glibc(v for vs in from_host.values() for v in vs),
    }
    return report, problems


def check_bundle(bundle: Path, task_root: str) -> dict:
    """`analyze_bundle`'s report; raises BundleError listing every problem, if any."""
    report, problems = analyze_bundle(bundle, task_root)
    if problems:
        raise BundleError("the bundle is not self-contained:\n  " + "\n  ".join(problems))
    return report


# -- report ---------------------------------------------------------------------------------

def summary(zip_path: Path, bundle: Path, budget: int) -> dict:
    """Sizes for the report: what libcurl alone pulls in (`libcurl_only`) and, when the zip is
    bigger than `budget`, its largest compressed entries (`largest_compressed`)."""
    with zipfile.ZipFile(zip_path) as archive:
        entries = {i.filename: i for i in archive.infolist()}
    compressed = {name: info.compress_size for name, info in entries.items()}
    main, libs = _load(bundle)
    curl = [n for n in main.needed if n.startswith("libcurl.")]
    others = _closure([n for n in main.needed if n not in curl], libs)
    curl_only = sorted(_closure(curl, libs) - others - set(curl))
    report = {
        "libcurl_shared": bool(curl),
        "zip_bytes": Path(zip_path).stat().st_size,
        "entries": len(entries),
        "binary_bytes": entries["bootstrap"].file_size,
        "libraries": len(libs),
        "libraries_bytes": sum(i.file_size for n, i in entries.items() if n.startswith("lib/")),
        "unpacked_bytes": sum(info.file_size for info in entries.values()),
        "budget_bytes": budget,
        "libcurl_only": curl_only,
        "libcurl_only_compressed_bytes": sum(compressed.get(f"lib/{n}", 0) for n in curl_only),
    }
    if report["zip_bytes"] > budget:
        largest = sorted(compressed.items(), key=lambda item: -item[1])[:8]
        report["largest_compressed"] = [{"name": n, "bytes": b} for n, b in largest]
    return report


def _size(n: int) -> str:
    return f"{n:,} bytes ({n / 1e6:.1f} MB)"


def report_lines(zip_path: Path, bundle: Path, task_root: str, budget: int) -> list[str]:
    """The packaging report, as scripts/package prints it."""
    closed = check_bundle(bundle, task_root)
    sizes = summary(zip_path, bundle, budget)
    newest = {v: n for n, v in sorted(closed["glibc_by_file"].items(), key=lambda i: i[0])}
    top = highest_glibc(closed["glibc_by_file"].values())
    host = closed["highest_glibc_from_host"] or "none"
    if closed["host_loader"]:
        host += f" (and the host's loader {closed['host_loader']})"
    curl_only = sizes["libcurl_only"]
    curl_names = f" ({', '.join(curl_only)})" if 0 < len(curl_only) <= 3 else ""
    lines = [
        f"zip:        {_size(sizes['zip_bytes'])}, {sizes['entries']} files",
        f"bootstrap:  {_size(sizes['binary_bytes'])}, stripped; loader {closed['interpreter']}, "
        f"DT_RPATH {':'.join(closed['rpath'])}",
        f"libraries:  {sizes['libraries']} in lib/, {_size(sizes['libraries_bytes'])}",
        f"unpacked:   {_size(sizes['unpacked_bytes'])}",
        f"glibc:      needed from the host: {host}. Bundled glibc {closed['bundled_glibc']}; "
        f"bootstrap needs {closed['bootstrap_glibc']}, the bundled libraries up to {top} "
        f"({newest.get(top, '-')})",
        f"libcurl:    {len(curl_only)} libraries only libcurl needs{curl_names}, "
        f"{_size(sizes['libcurl_only_compressed_bytes'])} compressed"
        if sizes["libcurl_shared"] else "libcurl:    linked into bootstrap (no libcurl in lib/)",
    ]
    if "largest_compressed" in sizes:
        over = sizes["zip_bytes"] - budget
        largest = ", ".join(f"{e['name']} {e['bytes'] / 1e6:.2f}" for e in sizes["largest_compressed"])
        lines.append(f"budget:     OVER the {budget / 1e6:.0f} MB budget by {over / 1e6:.2f} MB; "
                     f"largest compressed (MB): {largest}")
    else:
        lines.append(f"budget:     within {budget / 1e6:.0f} MB")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m imagecat_tools.selfcontained", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("collect", help="copy BINARY's libraries into LIBDIR")
    p.add_argument("binary", type=Path)
    p.add_argument("libdir", type=Path)
    p = commands.add_parser("check", help="verify a bundle; print what it needs from the host")
    p.add_argument("bundle", type=Path)
    p.add_argument("--task-root", default="/var/task")
    p = commands.add_parser("report", help="sizes and glibc needs of a packaged zip")
    p.add_argument("zip", type=Path)
    p.add_argument("bundle", type=Path)
    p.add_argument("--task-root", default="/var/task")
    p.add_argument("--budget", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    try:
        if args.command == "collect":
            print(collect(args.binary, args.libdir))
        elif args.command == "check":
            print(json.dumps(check_bundle(args.bundle, args.task_root)))
        else:
            print("\n".join(report_lines(args.zip, args.bundle, args.task_root, args.budget)))
    except BundleError as error:
        print(f"selfcontained: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
