"""Presigned URLs made by our own SigV4 signer, checked by the real local S3 server (SeaweedFS):
POST /uploads through the local API and the real bootstrap (_HANDLER=api) hands out a PUT URL
that S3 accepts for exactly its key, content type, size and time window, and refuses (403)
otherwise; GET /images?urls=1 hands out viewing URLs that work the same way; the bucket itself
stays private. The last test follows an upload into the catalog (local_uploads.CatalogFeeder →
_HANDLER=catalog)."""

from __future__ import annotations

import datetime
import http.client
import json
import time
import urllib.parse

import pytest

from conftest import REPO_ROOT

from imagecat_tools import mint_token
from imagecat_tools.local_api import JWTVerifier, LocalAPI
from imagecat_tools.local_uploads import LocalGallery

IMAGES = REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images"
PNG = (IMAGES / "rgb8.png").read_bytes()  # 50 × 40
ISSUER = mint_token.DEFAULT_ISSUER
AUDIENCE = mint_token.DEFAULT_AUDIENCE


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return mint_token.LocalKeys.ensure(tmp_path_factory.mktemp("presign-auth"))


@pytest.fixture(scope="module")
def bearer(keys):
    return mint_token.mint(keys, scope="read:images")


def start_api(s3_server, bootstrap_path, keys, bucket, **env) -> LocalAPI:
    variables = {"CATALOG_BUCKET": bucket, **env}
    return LocalAPI(bootstrap_path, env=s3_server.child_env(variables),
                    verifier=JWTVerifier(keys.jwks, ISSUER, AUDIENCE)).start()


@pytest.fixture
def api(s3_server, bootstrap_path, keys, bucket):
    local = start_api(s3_server, bootstrap_path, keys, bucket)
    yield local
    local.stop()


def request(url: str, method: str = "GET", body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request on a fresh connection, the URL sent exactly as given."""
    split = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:
        target = split.path + ("?" + split.query if split.query else "")
        connection.request(method, target, body=body, headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def ask_upload(api: LocalAPI, bearer: str | None, body: dict | str) -> tuple[int, dict]:
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {"Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    status, _, answer = request(api.url + "/uploads", "POST", data.encode(), headers)
    return status, json.loads(answer) if answer else {}


def upload_url(api: LocalAPI, bearer: str, name: str = "cat.png", content_type: str = "image/png",
               size: int = len(PNG)) -> dict:
    status, answer = ask_upload(api, bearer, {"name": name, "contentType": content_type, "size": size})
    assert status == 200, answer
    return answer


def with_query(url: str, **changes: str) -> str:
    """`url` with query parameters replaced, keeping their order and the rest byte for byte."""
    split = urllib.parse.urlsplit(url)
    parts = []
    for pair in split.query.split("&"):
        name = pair.split("=", 1)[0]
        parts.append(f"{name}={changes[name]}" if name in changes else pair)
    return urllib.parse.urlunsplit(split._replace(query="&".join(parts)))


def s3_code(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else text[:120]


# -- PUT URLs ----------------------------------------------------------------------------------

def test_put_url_works_for_its_key_type_and_size(api, bearer, s3, bucket):
    answer = upload_url(api, bearer, name="my cat + ünïcode.png")
    assert answer["method"] == "PUT"
    assert answer["headers"] == {"Content-Type": "image/png"}
    assert answer["key"].startswith("images/uploads/") and answer["key"].endswith("/my cat + ünïcode.png")
    assert answer["url"].startswith(s3.meta.endpoint_url + f"/{bucket}/images/uploads/")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer["url"]).query)
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]
    assert query["X-Amz-Expires"] == ["300"]
    # expiresAt is the signing time plus the lifetime, in UTC.
    signed = time.mktime(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
    assert time.mktime(time.strptime(answer["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")) == signed + 300

    status, _, body = request(answer["url"], "PUT", PNG, answer["headers"])
    assert status == 200, body
    stored = s3.get_object(Bucket=bucket, Key=answer["key"])
    assert stored["ContentType"] == "image/png"
    assert stored["Body"].read() == PNG


def test_put_url_refuses_everything_else(api, bearer, s3, bucket):
    answer = upload_url(api, bearer)
    url, headers = answer["url"], answer["headers"]
    split = urllib.parse.urlsplit(url)
    other_key = urllib.parse.urlunsplit(split._replace(path=split.path.rsplit("/", 1)[0] + "/other.png"))
    refused = {
        "another key": (other_key, "PUT", PNG, headers),
        "the catalog": (urllib.parse.urlunsplit(split._replace(path=f"/{bucket}/images.json")), "PUT", PNG, headers),
        "another content type": (url, "PUT", PNG, {"Content-Type": "image/jpeg"}),
        "no content type": (url, "PUT", PNG, {}),
        "a larger body": (url, "PUT", PNG + b"x", headers),
        "a smaller body": (url, "PUT", PNG[:-1], headers),
        "a longer lifetime": (with_query(url, **{"X-Amz-Expires": "3600"}), "PUT", PNG, headers),
        "another signing time": (with_query(url, **{"X-Amz-Date": "20300101T000000Z"}), "PUT", PNG, headers),
        "fewer signed headers": (with_query(url, **{"X-Amz-SignedHeaders": "host"}), "PUT", PNG, headers),
        "a changed signature": (with_query(url, **{"X-Amz-Signature": "0" * 64}), "PUT", PNG, headers),
        "another method": (url, "GET", None, headers),
        "no signature at all": (url.split("?", 1)[0], "PUT", PNG, headers),
    }
    for what, (target, method, body, sent) in refused.items():
        status, _, reply = request(target, method, body, sent)
        assert status == 403, f"{what}: {status} {reply[:200]!r}"
    # Nothing was written by any of them.
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert listed == [], [item["Key"] for item in listed]
    # The genuine request still works afterwards.
    assert request(url, "PUT", PNG, headers)[0] == 200


def signed_window(url: str) -> tuple[float, int]:
    """(X-Amz-Date as a POSIX time, X-Amz-Expires) of a presigned URL."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    return signed_at.timestamp(), int(query["X-Amz-Expires"])


def test_put_url_expires(s3_server, bootstrap_path, keys, bearer, s3, bucket):
    """Expiry tested by time, not by a race: a URL with an hour to go is used, and a 1-second URL
    is used only once the clock is well past its signed date plus its lifetime."""
    for expires, name in ((3600, "now.png"), (1, "late.png")):
        local = start_api(s3_server, bootstrap_path, keys, bucket, UPLOAD_EXPIRES_SECONDS=str(expires))
        try:
            if expires == 3600:
                used_now = upload_url(local, bearer, name=name)
            else:
                used_late = upload_url(local, bearer, name=name)
        finally:
            local.stop()
    assert used_now["expiresIn"] == 3600 and used_late["expiresIn"] == 1
    assert request(used_now["url"], "PUT", PNG, used_now["headers"])[0] == 200
    signed_at, lifetime = signed_window(used_late["url"])
    assert lifetime == 1
    expires_at = datetime.datetime.strptime(used_late["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert expires_at == signed_at + lifetime, used_late
    # Two seconds past the end of its window, whatever the machine's load was until now.
    while time.time() < signed_at + lifetime + 2:
        time.sleep(signed_at + lifetime + 2 - time.time())
    status, _, body = request(used_late["url"], "PUT", PNG, used_late["headers"])
    assert status == 403, body
    assert "expired" in body.decode("utf-8", "replace").lower(), body
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == [used_now["key"]]


def test_upload_requests_are_validated_and_authenticated(api, bearer):
    status, answer = ask_upload(api, None, {"name": "cat.png", "contentType": "image/png", "size": 1})
    assert status == 401
    for body, code in [
        ({"name": "../images.json", "contentType": "image/png", "size": 1}, "invalid_name"),
        ({"name": "/etc/passwd", "contentType": "image/png", "size": 1}, "invalid_name"),
        ({"name": "a\u0000.png", "contentType": "image/png", "size": 1}, "invalid_name"),
        ({"name": "x.html", "contentType": "text/html", "size": 1}, "invalid_content_type"),
        ({"name": "big.png", "contentType": "image/png", "size": 20 * 1024 * 1024 + 1}, "too_large"),
        ({"name": "empty.png", "contentType": "image/png", "size": 0}, "invalid_size"),
        ("not json", "invalid_body"),
    ]:
        status, answer = ask_upload(api, bearer, body)
        assert (status, answer.get("error")) == (400, code), (body, answer)
        assert answer["message"]


# -- GET URLs and a private bucket -------------------------------------------------------------

def test_view_urls_in_the_listing(api, bearer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="images/cats/tabby.png", Body=PNG, ContentType="image/png")
    s3.put_object(Bucket=bucket, Key="users/auth0|victim.json", Body=b'{"secret": 1}', ContentType="application/json")
    catalog = [{"name": "images/cats/tabby.png", "type": "png", "size": len(PNG), "width": 50, "height": 40},
               {"name": "users/auth0|victim.json", "type": "png", "size": 13}]
    s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps(catalog).encode(), ContentType="application/json")

    auth = {"Authorization": f"Bearer {bearer}"}
    status, headers, body = request(api.url + "/images?urls=1", headers=auth)
    assert status == 200, body
    entries = {entry["name"]: entry for entry in json.loads(body)["images"]}
    assert "url" not in entries["users/auth0|victim.json"], "never a URL for a user's record"
    url = entries["images/cats/tabby.png"]["url"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Expires"] == ["600"]
    status, _, image = request(url)
    assert status == 200 and image == PNG

    # Revalidation: same window, same catalog → 304 with an empty body.
    status, _, again = request(api.url + "/images?urls=1", headers={**auth, "If-None-Match": headers["etag"]})
    assert status == 304 and again == b""

    split = urllib.parse.urlsplit(url)
    victim = urllib.parse.urlunsplit(split._replace(path=f"/{bucket}/users/auth0%7Cvictim.json"))
    assert request(victim)[0] == 403, "a viewing URL does not open another key"
    assert request(url, "PUT", PNG, {"Content-Type": "image/png"})[0] == 403, "nor another method"
    assert request(with_query(url, **{"X-Amz-Expires": "86400"}))[0] == 403


def test_bucket_is_not_public(s3_server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="images/cats/tabby.png", Body=PNG, ContentType="image/png")
    base = f"{s3_server.endpoint}/{bucket}"
    assert request(f"{base}/images/cats/tabby.png")[0] == 403
    assert request(f"{base}/images/uploads/x/anonymous.png", "PUT", PNG, {"Content-Type": "image/png"})[0] == 403
    assert request(f"{base}?list-type=2")[0] == 403


# -- an upload reaches the catalog -------------------------------------------------------------

def test_upload_reaches_the_catalog(s3_server, bootstrap_path, keys, bearer, s3, bucket):
    """The local stand-in for S3's notifications: after a presigned PUT, the catalog function
    gets an ObjectCreated record for the key and catalogs it with its real type and size."""
    lines: list[str] = []
    verifier = JWTVerifier(keys.jwks, ISSUER, AUDIENCE)
    with LocalGallery(bootstrap_path, server=s3_server, bucket=bucket, verifier=verifier, log=lines.append) as gallery:
        answer = upload_url(gallery.api, bearer, name="fed.png")
        assert gallery.feeder.watched == [answer["key"]]
        assert request(answer["url"], "PUT", PNG, answer["headers"])[0] == 200
        deadline = time.monotonic() + 20
        entry = None
        while entry is None and time.monotonic() < deadline:
            time.sleep(0.25)
            status, _, body = request(gallery.api.url + "/images", headers={"Authorization": f"Bearer {bearer}"})
            assert status == 200, body
            entry = next((e for e in json.loads(body)["images"] if e["name"] == answer["key"]), None)
        assert entry is not None, "\n".join(lines)
        assert (entry["type"], entry["size"], entry["width"], entry["height"]) == ("png", len(PNG), 50, 40)
        assert [d["key"] for d in gallery.feeder.delivered] == [answer["key"]], "one notification per upload"
        # The bucket's CORS rules name the gallery's own origin only.
        rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
        assert rules[0]["AllowedOrigins"] == [gallery.api.url, f"http://localhost:{gallery.api.port}"]
        assert sorted(rules[0]["AllowedMethods"]) == ["GET", "HEAD", "PUT"]
