"""The README's "credentials and payloads never reach the logs", checked on the running
program: `bootstrap` runs against the real local S3 server (SeaweedFS) with recognisable
credentials, fails S3 calls, catalogs a non-image, hands out presigned URLs, and none of the
secret key, the session token, a URL's signature, the bearer token or an object's bytes appears
in anything it writes to stdout or stderr (log lines and metric documents, in both log formats
at the most verbose level), nor in the errors it reports (the X-Ray error cause included)."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

from imagecat_tools import mint_token
from imagecat_tools import s3_events
from imagecat_tools.local_api import JWTVerifier, LocalAPI
from imagecat_tools.local_runtime_api import LocalRuntimeAPI

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/SECRETMARKERbPxRfiCYEXAMPLEKEY"
# Both log formats, everything written: a secret must not hide in a field or a debug line.
FORMATS = {"text": {"AWS_LAMBDA_LOG_FORMAT": "Text", "AWS_LAMBDA_LOG_LEVEL": "TRACE"},
           "json": {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "TRACE"}}


def assert_format(printed: str, log_format: str) -> None:
    """The output is in the format asked for, so the test looked at the right thing."""
    lines = [line for line in printed.splitlines() if line.strip()]
    assert lines, "the function wrote something"
    if log_format == "json":
        assert all(line.startswith("{") and json.loads(line) for line in lines), printed
    else:
        assert any(line.count("\t") == 3 for line in lines), printed
SESSION_TOKEN = "IQoJb3JpZ2luX2VjSESSIONTOKENMARKER/Ab+cd=="
PAYLOAD = b"PAYLOADMARKER-this-text-file-is-not-an-image"


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """Which secrets appear in `text`, whole or by a 12-character piece (a truncated or
    re-encoded secret still counts)."""
    found = []
    for name, secret in secrets.items():
        variants = {secret, urllib.parse.quote(secret, safe=""), secret[:12], secret[-12:]}
        if any(v and v in text for v in variants):
            found.append(name)
    return found


def run_catalog(s3_server, bootstrap_path, tmp_path, env: dict, events: list[dict]):
    """`events` through one catalog process; returns (results, everything it printed)."""
    out = tmp_path / "catalog.out"
    with open(out, "wb") as sink:
        api = LocalRuntimeAPI(function_timeout=30.0).start()
        try:
            api.spawn([str(bootstrap_path)], env={**s3_server.child_env(), "_HANDLER": "catalog", **env},
                      stdout=sink, stderr=sink)
            results = api.wait_for([api.enqueue(e) for e in events], timeout=60)
        finally:
            api.stop()
    for result in results:
        result.text = result.body.decode("utf-8", "replace") if isinstance(result.body, bytes) else result.body
    return results, out.read_text(errors="replace")


@pytest.mark.parametrize("log_format", FORMATS)
def test_catalog_failures_and_skips_do_not_log_secrets_or_payloads(s3_server, s3, bucket, bootstrap_path, tmp_path, log_format):
    s3.put_object(Bucket=bucket, Key="notes.png", Body=PAYLOAD)
    head = s3.head_object(Bucket=bucket, Key="notes.png")
    record = s3_events.record(bucket, "notes.png", size=len(PAYLOAD), etag=head["ETag"].strip('"'))

    # 1. A failing S3 call: SeaweedFS refuses every request that carries a session token (403),
    #    and these credentials are not its own anyway.
    failing = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
               "AWS_SESSION_TOKEN": SESSION_TOKEN, "AWS_LAMBDA_FUNCTION_NAME": "imagecat-secrets", **FORMATS[log_format]}
    (result,), printed = run_catalog(s3_server, bootstrap_path, tmp_path, failing, [s3_events.event(record)])
    assert result.kind == "error", result.body
    assert json.loads(result.body)["errorType"] == "Function.StorageError", result.body
    assert "403" in result.text, "the failure is reported (so the test saw a real failing call)"
    assert printed.strip(), "the runtime logs the failed invocation"
    assert_format(printed, log_format)
    assert "_aws" in printed, "the failed invocation's metrics were written, so they were checked"
    secrets = {"secret key": SECRET_KEY, "session token": SESSION_TOKEN}
    assert leaks(printed, secrets) == [], printed
    assert leaks(result.text, secrets) == [], result.text
    assert result.xray_cause and leaks(result.xray_cause, secrets) == [], result.xray_cause

    # 2. The server's own credentials: the text file is read (sniffed) and skipped as not an
    #    image; its bytes are named, never printed.
    (result,), printed = run_catalog(s3_server, bootstrap_path, tmp_path, FORMATS[log_format], [s3_events.event(record)])
    assert result.kind == "response", result.body
    assert_format(printed, log_format)
    assert [s["key"] for s in json.loads(result.body)["skipped"]] == ["notes.png"]
    assert "notes.png" in printed, "the skip is logged, so its line was checked"
    assert leaks(printed + result.text, {"payload": PAYLOAD.decode(), "server secret": s3_server.secret_key}) == [], printed


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return mint_token.LocalKeys.ensure(tmp_path_factory.mktemp("secrets-auth"))


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    split = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:
        connection.request(method, split.path + ("?" + split.query if split.query else ""), body=body,
                           headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("log_format", FORMATS)
def test_api_does_not_log_tokens_keys_or_presigned_urls(s3_server, s3, bucket, bootstrap_path, keys, capfd, log_format):
    """The API process inherits the test's stdout/stderr (captured by `capfd` at the file
    descriptor level, so the child's writes are included)."""
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    s3.put_object(Bucket=bucket, Key="images/a.png", Body=png, ContentType="image/png")
    s3.put_object(Bucket=bucket, Key="images.json", ContentType="application/json",
                  Body=json.dumps([{"name": "images/a.png", "type": "png", "size": len(png)}]).encode())
    api = LocalAPI(bootstrap_path, env=s3_server.child_env({"CATALOG_BUCKET": bucket, **FORMATS[log_format]}),
                   verifier=JWTVerifier(keys.jwks, mint_token.DEFAULT_ISSUER, mint_token.DEFAULT_AUDIENCE)).start()
    bearer = mint_token.mint(keys, scope="read:images")
    auth = {"Authorization": f"Bearer {bearer}"}
    try:
        status, body = call(api.url + "/uploads", "POST", json.dumps(
            {"name": "cat.png", "contentType": "image/png", "size": 100}).encode(), {**auth, "Content-Type": "application/json"})
        assert status == 200, body
        upload = json.loads(body)["url"]
        status, body = call(api.url + "/images?urls=1", headers=auth)
        assert status == 200, body
        view = json.loads(body)["images"][0]["url"]
        # A failing S3 call in the API too: the catalog is replaced by something corrupt.
        s3.put_object(Bucket=bucket, Key="images.json", Body=b"{not json", ContentType="application/json")
        status, body = call(api.url + "/images?urls=1", headers={**auth, "If-None-Match": '"nope"'})
        assert status >= 500, body
    finally:
        api.stop()
    captured = capfd.readouterr()
    printed = captured.out + captured.err
    assert "cannot be served" in printed, f"the corrupt catalog is logged, so the output was seen: {printed!r}"
    if log_format == "json":
        assert any('"level":"ERROR"' in line and '"requestId"' in line for line in printed.splitlines()), printed
    signatures = {f"{name} signature": urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
                  for name, url in (("upload", upload), ("view", view))}
    assert leaks(printed, {"server secret": s3_server.secret_key, "bearer token": bearer.split(".")[-1],
                           **signatures}) == [], printed
    assert "X-Amz-Signature" not in printed and "X-Amz-Credential" not in printed, printed
