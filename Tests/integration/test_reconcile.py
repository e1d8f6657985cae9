"""The reconcile against the real local S3 server: a catalog that drifted from the bucket
(lost notifications, deleted and changed objects) is repaired exactly."""

from __future__ import annotations

import json
import subprocess

from conftest import REPO_ROOT, run_tool

SAMPLES = REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images"


def reconcile(s3_server, bootstrap_path, bucket):
    env = {**s3_server.child_env(), "CATALOG_BUCKET": bucket}
    return run_tool("invoke", "--bootstrap", str(bootstrap_path), "--handler", "reconcile",
                    str(REPO_ROOT / "events" / "scheduled.json"), env=env, timeout=120)  # quiet: 1.5 s


def test_repairs_a_drifted_catalog(s3, s3_server, bucket, bootstrap_path):
    for key, sample in [("kept.jpg", "baseline.jpg"), ("changed.png", "rgb8.png"), ("new.gif", "still.gif"),
                        ("new dir/ü+.webp", "lossy.webp"), ("notes.txt", "notes.txt")]:
        s3.put_object(Bucket=bucket, Key=key, Body=(SAMPLES / sample).read_bytes(), ContentType="application/octet-stream")
    kept_etag = s3.head_object(Bucket=bucket, Key="kept.jpg")["ETag"].strip('"')
    drifted = [
        {"name": "kept.jpg", "type": "jpg", "size": (SAMPLES / "baseline.jpg").stat().st_size, "etag": kept_etag, "caption": "mine"},
        {"name": "changed.png", "type": "png", "size": 1, "etag": "stale"},
        {"name": "deleted.bmp", "type": "bmp", "size": 9},
    ]
    s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps(drifted).encode(), ContentType="application/json")

    run = reconcile(s3_server, bootstrap_path, bucket)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout)
    assert (summary["added"], summary["updated"], summary["removed"], summary["unchanged"]) == (2, 1, 1, 1)
    assert [s["key"] for s in summary["skipped"]] == ["notes.txt"]

    catalog = {e["name"]: e for e in json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())}
    assert set(catalog) == {"kept.jpg", "changed.png", "new.gif", "new dir/ü+.webp"}
    assert catalog["kept.jpg"]["caption"] == "mine"          # untouched entries keep what users added
    assert catalog["changed.png"]["size"] == (SAMPLES / "rgb8.png").stat().st_size
    assert catalog["new dir/ü+.webp"]["type"] == "webp"

    again = reconcile(s3_server, bootstrap_path, bucket)
    assert json.loads(again.stdout)["catalogWrites"] == 0


def test_misuse_of_the_local_command_prints_usage():
    run = subprocess.run([str(REPO_ROOT / "scripts" / "reconcile")], capture_output=True, text=True, timeout=30)  # quiet: 0.02 s
    assert run.returncode == 2 and run.stderr.startswith("usage: scripts/reconcile BUCKET")
