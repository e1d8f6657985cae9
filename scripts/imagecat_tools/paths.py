"""Where things are in the repository, worked out once from this package's own location
(scripts/imagecat_tools/), so no module guesses it with its own chain of `.parent`s."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts"
"""The folder holding this package: what PYTHONPATH needs for `python3 -m imagecat_tools.…`."""
EVENTS = REPO_ROOT / "events"
WEB = REPO_ROOT / "web"
SAMPLE_IMAGES = REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images"
SCRATCH = REPO_ROOT / (os.environ.get("IMAGECAT_SCRATCH_PATH") or ".build")
"""SwiftPM's scratch path, as scripts/build-bootstrap uses it (IMAGECAT_SCRATCH_PATH, relative
to the repository, default .build)."""
RELEASE_BOOTSTRAP = SCRATCH / "release" / "bootstrap"
"""Where `scripts/build-bootstrap --release` leaves the binary."""
PEERS = SCRIPTS / "peers"
"""The comparison runtimes, what a user would write without imagecat (see its README.md)."""
PEER_FILES = {"python-boto3": PEERS / "python_boto3.py", "naive": PEERS / "naive.py"}
"""Each peer's name in the reports → its file: the careful peer and the lab's naive logic."""


def peer_command(name: str) -> list[str]:
    """How to start a peer as a Lambda custom runtime: this interpreter (the one with boto3,
    whose version the reports give) running the peer's file."""
    return [sys.executable, str(PEER_FILES[name])]
