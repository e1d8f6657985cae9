"""Where things are in the repository, worked out once from this package's own location
(scripts/imagecat_tools/), so no module guesses it with its own chain of `.parent`s."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts"
"""The folder holding this package: what PYTHONPATH needs for `python3 -m imagecat_tools.…`."""
EVENTS = REPO_ROOT / "events"
WEB = REPO_ROOT / "web"
SAMPLE_IMAGES = REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images"
RELEASE_BOOTSTRAP = REPO_ROOT / ".build" / "release" / "bootstrap"
PEERS = REPO_ROOT.parent / "shared" / "peers"
"""The peers the storm and the benchmarks compare against (a sibling of the checkout)."""
