"""The README's commands as a user runs them: scripts/invoke with the sample events, and the
demo's end-to-end run (SeaweedFS + local Runtime API + bootstrap → printed catalog)."""

from __future__ import annotations

import json
import re
import subprocess

from conftest import REPO_ROOT, run_tool


def invoke(bootstrap_path, *args):
    return run_tool("invoke", "--bootstrap", str(bootstrap_path), *args, timeout=120)  # quiet: ≤ 4.8 s


def test_sum_event(bootstrap_path):
    run = invoke(bootstrap_path, "--handler", "sum", "events/sum.json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"statusCode": 200, "body": 3}


def test_wrong_event_for_sum_is_a_clear_function_error(bootstrap_path):
    run = invoke(bootstrap_path, "--handler", "sum", "events/s3-put.json")
    assert run.returncode == 1
    answer = json.loads(run.stdout)
    assert answer["errorType"] == "Function.InvalidEvent"
    assert answer["errorMessage"] == 'sum needs "key1" and "key2": "key1" is missing'


def test_console_s3_put_template_against_a_local_s3(bootstrap_path):
    run = invoke(bootstrap_path, "--local-s3", "events/s3-put.json")
    assert run.returncode == 0, run.stderr
    # The template's object does not exist in the fresh bucket: S3's truth wins, nothing is added.
    assert json.loads(run.stdout)["added"] == 0


def test_unknown_handler_is_an_init_error(bootstrap_path):
    run = invoke(bootstrap_path, "--handler", "nope", "events/sum.json")
    assert run.returncode == 1
    assert '"error_type": "Runtime.InvalidHandler"' in run.stderr


def test_misuse_prints_usage():
    run = subprocess.run([str(REPO_ROOT / "scripts" / "invoke")], capture_output=True, text=True, timeout=30)  # quiet: 0.02 s
    assert run.returncode == 2
    assert run.stderr.startswith("usage: scripts/invoke")


def test_demo_prints_the_catalog(bootstrap_path):
    run = run_tool("demo", "--bootstrap", str(bootstrap_path), timeout=300)  # quiet: 5.3 s
    assert run.returncode == 0, run.stderr[-3000:]
    catalog = json.loads(run.stdout)
    assert sorted(e["name"] for e in catalog) == ["icons/a+b.gif", "photos/cat.jpg", "photos/dog one.png"]
    assert {e["name"]: e["type"] for e in catalog}["photos/cat.jpg"] == "jpg"
    assert "skipped" in run.stderr and "docs/notes.txt" in run.stderr
    # The metrics an operator would see, read back from the function's EMF documents: three
    # invocations, four entries added, one removed, one non-image, every document valid.
    operator = run.stderr.split("what an operator would see", 1)[1]
    assert "EMF documents: 4 (1 cold start, 3 catalog); invalid: 0" in operator, operator
    for metric, figure in [("EntriesAdded", "sum 4"), ("EntriesRemoved", "sum 1"), ("KeysSkippedNotImage", "sum 1"),
                           ("RecordsReceived", "sum 7"), ("FailedBuckets", "sum 0")]:
        assert re.search(rf"catalog\s+{metric}\s+{figure}\n", operator), (metric, operator)
    assert re.search(r"CatalogLag\s+p50 [\d,.]+ ms", operator), operator
