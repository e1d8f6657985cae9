"""scripts/setup's phases: the demo (the README's first command) installs what it needs and
nothing of the tests' (no browser, identity provider, Node or linters), so a machine without
them, or a distribution that names them differently, still runs it; the default installs all.

apt is replaced by stand-ins that report every package missing and record what would be
installed, so no system package is installed. (pip is not replaced: it runs only for Python
packages that are missing, and the suite's own setup installed them before the tests ran.)"""

from __future__ import annotations

import os
import subprocess

from conftest import REPO_ROOT

TESTS_ONLY = {"chromium", "chromium-driver", "glewlwyd", "nodejs", "sqlite3"}
BUILDING = {"libcurl4-openssl-dev", "libssl-dev", "ca-certificates"}


def asked_for(tmp_path, *args) -> set[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "apt-get.log"
    record.unlink(missing_ok=True)
    stand_ins = {
        "dpkg-query": "#!/bin/sh\nexit 1\n",                              # nothing installed
        "apt-get": f'#!/bin/sh\n[ "$1" = install ] && echo "$@" >> {record}\nexit 0\n',
        "sudo": '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n',       # root or not, the same
    }
    for name, text in stand_ins.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run([str(REPO_ROOT / "scripts" / "setup"), *args], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)  # quiet: 1 s
    assert result.returncode == 0, result.stderr
    words = record.read_text().split() if record.exists() else []
    return {w for w in words if not w.startswith("-") and w != "install"}


def test_the_demo_installs_only_what_it_needs(tmp_path):
    demo = asked_for(tmp_path, "demo")
    assert BUILDING <= demo, demo
    assert not demo & TESTS_ONLY, demo
    assert "scripts/setup demo\n" in (REPO_ROOT / "scripts" / "demo").read_text()


def test_the_tests_install_everything(tmp_path):
    everything = asked_for(tmp_path, "packages")
    assert BUILDING | TESTS_ONLY <= everything, everything
