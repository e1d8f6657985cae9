"""SVG viewing URLs against the real local S3 server (SeaweedFS) and the real bootstrap
(_HANDLER=api): an SVG's viewing URL answers `Content-Disposition: attachment`, so opened
directly it is downloaded and its script never runs on the bucket's origin; every viewing URL
serves the catalog's sniffed type, whatever Content-Type the object was stored with; and the
overrides are signed (stripped or changed, S3 refuses the URL)."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from conftest import REPO_ROOT

from imagecat_tools import mint_token
from imagecat_tools.local_api import JWTVerifier, LocalAPI

IMAGES = REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images"
PNG = (IMAGES / "rgb8.png").read_bytes()
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.domain)</script></svg>')


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return mint_token.LocalKeys.ensure(tmp_path_factory.mktemp("svg-auth"))


@pytest.fixture
def api(s3_server, bootstrap_path, keys, bucket):
    local = LocalAPI(bootstrap_path, env=s3_server.child_env({"CATALOG_BUCKET": bucket}),
                     verifier=JWTVerifier(keys.jwks, mint_token.DEFAULT_ISSUER, mint_token.DEFAULT_AUDIENCE)).start()
    yield local
    local.stop()


def fetch(url: str, method: str = "GET", headers: dict | None = None):
    """The URL sent exactly as given, on a fresh connection (import here: test_presign's helper)."""
    import http.client
    split = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:
        connection.request(method, split.path + "?" + split.query, headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def view_urls(api, keys, s3, bucket, catalog) -> dict[str, str]:
    s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps(catalog).encode(), ContentType="application/json")
    bearer = mint_token.mint(keys, scope="read:images")
    status, _, body = fetch(api.url + "/images?urls=1", headers={"Authorization": f"Bearer {bearer}"})
    assert status == 200, body
    return {entry["name"]: entry["url"] for entry in json.loads(body)["images"]}


def without_param(url: str, name: str) -> str:
    split = urllib.parse.urlsplit(url)
    kept = [pair for pair in split.query.split("&") if pair.split("=", 1)[0] != name]
    return urllib.parse.urlunsplit(split._replace(query="&".join(kept)))


def test_svg_viewing_url_is_an_attachment(api, keys, s3, bucket):
    # Stored with the type an upload URL signs for SVG: a browser would render it and run it.
    s3.put_object(Bucket=bucket, Key="images/uploads/ab/evil.svg", Body=SVG, ContentType="image/svg+xml")
    urls = view_urls(api, keys, s3, bucket,
                     [{"name": "images/uploads/ab/evil.svg", "type": "svg", "size": len(SVG)}])
    url = urls["images/uploads/ab/evil.svg"]
    status, headers, body = fetch(url)
    assert status == 200, body
    assert body == SVG
    assert headers.get("content-disposition") == "attachment", headers
    assert headers.get("content-type") == "image/svg+xml", headers

    # The disposition is signed: removing it (to render the SVG inline) breaks the signature.
    stripped = without_param(url, "response-content-disposition")
    assert "response-content-disposition" not in stripped
    assert fetch(stripped)[0] == 403


def test_stored_content_type_does_not_decide(api, keys, s3, bucket):
    """A PNG-looking object stored as text/html (a polyglot written by another client) is served
    as the image type the catalog sniffed, never as HTML."""
    s3.put_object(Bucket=bucket, Key="images/poly.png", Body=PNG, ContentType="text/html")
    urls = view_urls(api, keys, s3, bucket,
                     [{"name": "images/poly.png", "type": "png", "size": len(PNG), "width": 50, "height": 40}])
    status, headers, body = fetch(urls["images/poly.png"])
    assert status == 200 and body == PNG
    assert headers.get("content-type") == "image/png", headers
    assert "content-disposition" not in headers, "ordinary images stay viewable inline"
    changed = urls["images/poly.png"].replace("response-content-type=image%2Fpng", "response-content-type=text%2Fhtml")
    assert changed != urls["images/poly.png"]
    assert fetch(changed)[0] == 403, "the content type override is signed"
