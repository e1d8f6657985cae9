"""The HTTP API end to end: real HTTP into imagecat_tools.local_api (JWT checks like API Gateway's
authorizer), payload 2.0 events through the local Runtime API into the real bootstrap
(_HANDLER=api), which reads the real local S3 server (SeaweedFS by default)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import urllib.parse
import uuid

import pytest

from conftest import run_tool, user_record_key
from imagecat_tools import mint_token
from imagecat_tools.local_api import JWTVerifier, LocalAPI, LocalAPIError

ISSUER = "https://imagecat-test.eu.auth0.com/"
AUDIENCE = "https://imagecat.example.com/api"
SUB = "auth0|5f7c8ec7c33c6c004bbafe82"
CATALOG = [
    {"name": "images/cats/tabby.png", "type": "image/png", "size": 48213, "width": 640, "height": 480},
    {"name": "images/dogs/rex.jpg", "type": "image/jpeg", "size": 91822},
    {"name": "images/new folder/ünïcode + plus.png", "type": "image/png", "size": 7},
]
RECORD = {"sub": SUB, "displayName": "Ada", "favourites": ["images/cats/tabby.png"]}
VICTIM_SECRET = "victim-secret-7f3a"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return mint_token.LocalKeys.ensure(tmp_path_factory.mktemp("auth"))


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory):
    """A key the API does not trust."""
    return mint_token.LocalKeys.ensure(tmp_path_factory.mktemp("other-auth"))


@pytest.fixture
def seeded(s3, bucket):
    body = "[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in CATALOG) + "\n]\n"
    s3.put_object(Bucket=bucket, Key="images.json", Body=body.encode(), ContentType="application/json")
    s3.put_object(Bucket=bucket, Key=user_record_key(SUB), Body=json.dumps(RECORD).encode(),
                  ContentType="application/json")
    s3.put_object(Bucket=bucket, Key="users/auth0|victim.json",
                  Body=json.dumps({"secret": VICTIM_SECRET}).encode(), ContentType="application/json")
    return bucket


def start_api(s3_server, bootstrap_path, keys, bucket, **env) -> LocalAPI:
    variables = {"CATALOG_BUCKET": bucket, **env}
    verifier = JWTVerifier(keys.jwks, ISSUER, AUDIENCE)
    return LocalAPI(bootstrap_path, env=s3_server.child_env(variables), verifier=verifier).start()


@pytest.fixture
def api(s3_server, bootstrap_path, keys, seeded):
    local = start_api(s3_server, bootstrap_path, keys, seeded)
    yield local
    local.stop()


def token(keys, **overrides) -> str:
    args = {"sub": SUB, "audience": AUDIENCE, "issuer": ISSUER, "scope": "read:images"}
    args.update(overrides)
    return mint_token.mint(keys, **args)


def call(api: LocalAPI, path: str, bearer: str | None = None, method: str = "GET",
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request with the path sent exactly as given (no client-side normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    try:
        sent = dict(headers or {})
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        connection.request(method, path, headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def quoted(name: str) -> str:
    return urllib.parse.quote(name, safe="/")


# -- 200 and 304 --------------------------------------------------------------------------------

def test_images_and_me_with_a_minted_token(api, keys):
    bearer = token(keys)
    status, headers, body = call(api, "/images", bearer)
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    assert headers["etag"].startswith('"')
    listing = json.loads(body)
    assert [e["name"] for e in listing["images"]] == sorted(e["name"] for e in CATALOG)
    assert listing["images"][0] == CATALOG[0]
    assert listing["nextCursor"] is None

    status, _, body = call(api, "/images?type=png&limit=1", bearer)
    page = json.loads(body)
    assert status == 200 and [e["name"] for e in page["images"]] == ["images/cats/tabby.png"]
    status, _, body = call(api, "/images?type=png&limit=1&cursor=" + page["nextCursor"], bearer)
    assert [e["name"] for e in json.loads(body)["images"]] == ["images/new folder/ünïcode + plus.png"]
    assert json.loads(body)["nextCursor"] is None

    status, _, body = call(api, "/images/" + quoted(CATALOG[2]["name"]), bearer)
    assert status == 200 and json.loads(body) == CATALOG[2]

    status, headers, body = call(api, "/me", bearer)
    assert status == 200 and json.loads(body) == RECORD
    assert "etag" in headers


def test_if_none_match_gives_304_until_the_object_changes(api, keys, s3, seeded):
    bearer = token(keys)
    for path in ("/images?limit=2", "/images/images/cats/tabby.png", "/me"):
        status, headers, _ = call(api, path, bearer)
        assert status == 200
        status, again, body = call(api, path, bearer, headers={"If-None-Match": headers["etag"]})
        assert (status, body) == (304, b""), path
        assert again["etag"] == headers["etag"]

    _, headers, _ = call(api, "/images", bearer)
    s3.put_object(Bucket=seeded, Key="images.json", Body=json.dumps(CATALOG[:1]).encode())
    status, changed, body = call(api, "/images", bearer, headers={"If-None-Match": headers["etag"]})
    assert status == 200 and changed["etag"] != headers["etag"]
    assert [e["name"] for e in json.loads(body)["images"]] == [CATALOG[0]["name"]]


def test_a_fresh_function_revalidates_from_the_clients_etag(s3_server, bootstrap_path, keys, seeded):
    """A new execution environment has no cached catalog: the client's ETag alone gets a 304
    (the handler asks S3 with If-None-Match and never needs the body)."""
    bearer = token(keys)
    first = start_api(s3_server, bootstrap_path, keys, seeded)
    try:
        _, headers, _ = call(first, "/images/images/dogs/rex.jpg", bearer)
    finally:
        first.stop()
    second = start_api(s3_server, bootstrap_path, keys, seeded)
    try:
        status, _, body = call(second, "/images/images/dogs/rex.jpg", bearer, headers={"If-None-Match": headers["etag"]})
        assert (status, body) == (304, b"")
    finally:
        second.stop()


def test_small_clock_skew_is_tolerated(api, keys):
    assert call(api, "/me", token(keys, expires_in=-5))[0] == 200


# -- 401 from the gateway ----------------------------------------------------------------------

def forged(header: dict, claims: dict, signer=None) -> str:
    encode = mint_token.b64url
    signing_input = encode(json.dumps(header).encode()) + "." + encode(json.dumps(claims).encode())
    signature = signer(signing_input.encode()) if signer else b""
    return signing_input + "." + encode(signature)


def valid_claims() -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "sub": SUB, "aud": AUDIENCE, "iat": now, "exp": now + 600}


REFUSALS = {
    "no token": lambda keys, other: None,
    "expired": lambda keys, other: token(keys, expires_in=-3600),
    "wrong audience": lambda keys, other: token(keys, audience="https://someone-else.example.com/api"),
    "wrong issuer": lambda keys, other: token(keys, issuer="https://evil.eu.auth0.com/"),
    "not yet valid": lambda keys, other: token(keys, not_before=int(time.time()) + 3600),
    "signed by another key with our kid": lambda keys, other: token(other, kid=keys.kid),
    "unknown kid": lambda keys, other: token(other),
    "alg none": lambda keys, other: forged({"alg": "none", "typ": "JWT", "kid": keys.kid}, valid_claims()),
    "alg none, signature kept": lambda keys, other: ".".join(
        forged({"alg": "none", "kid": keys.kid}, valid_claims()).split(".")[:2] + [token(keys).split(".")[2]]),
    # The classic confusion: HMAC keyed with the (public) RSA key material.
    "HS256 with the public key": lambda keys, other: forged(
        {"alg": "HS256", "typ": "JWT", "kid": keys.kid}, valid_claims(),
        lambda data: hmac.new(json.dumps(keys.jwk).encode(), data, hashlib.sha256).digest()),
    "no exp": lambda keys, other: mint_token.encode_jwt(
        {"alg": "RS256", "kid": keys.kid}, {k: v for k, v in valid_claims().items() if k != "exp"}, keys.private_key),
    "tampered payload": lambda keys, other: (lambda t: ".".join(
        [t.split(".")[0], mint_token.b64url(json.dumps({**valid_claims(), "sub": "auth0|victim"}).encode()),
         t.split(".")[2]]))(token(keys)),
    "garbage": lambda keys, other: "not.a.jwt",
}


@pytest.mark.parametrize("case", REFUSALS)
def test_bad_tokens_get_401_from_the_gateway(api, keys, other_keys, case):
    bearer = REFUSALS[case](keys, other_keys)
    invocations = len(api.runtime.results)
    status, headers, body = call(api, "/me", bearer)
    assert status == 401, (case, body)
    assert json.loads(body) == {"message": "Unauthorized"}
    assert headers["www-authenticate"].startswith("Bearer ")
    assert "error_description=" in headers["www-authenticate"]
    assert len(api.runtime.results) == invocations, "a refused request reached the function"


def test_reasons_name_the_problem(api, keys, other_keys):
    def reason(bearer):
        return call(api, "/me", bearer)[1]["www-authenticate"]
    assert "expired" in reason(token(keys, expires_in=-3600))
    assert "audience" in reason(token(keys, audience="x"))
    assert "issuer" in reason(token(keys, issuer="https://x/"))
    assert "signature" in reason(token(other_keys, kid=keys.kid))
    assert "alg" in reason(forged({"alg": "none", "kid": keys.kid}, valid_claims()))
    assert "no bearer token" in reason(None)


# -- the function's own checks -------------------------------------------------------------------

def test_function_refuses_a_token_without_usable_sub(api, keys):
    status, _, body = call(api, "/me", token(keys, sub=None))
    assert status == 401 and json.loads(body)["error"] == "unauthorized"
    # A sub with a path in it is a caller of its own (its record's key is a digest): it never
    # reaches another user's record.
    status, _, body = call(api, "/me", token(keys, sub="../users/auth0|victim"))
    assert status == 404 and VICTIM_SECRET.encode() not in body
    status, _, body = call(api, "/me", token(keys, sub="a\u0001b"))
    assert status == 403 and json.loads(body)["error"] == "invalid_subject"


def test_missing_record_and_image_are_404(api, keys):
    status, _, body = call(api, "/me", token(keys, sub="auth0|nobody"))
    assert status == 404 and json.loads(body)["error"] == "not_found"
    status, _, body = call(api, "/images/images/cats/missing.png", token(keys))
    assert status == 404 and json.loads(body)["error"] == "not_found"
    status, _, body = call(api, "/users/auth0%7Cvictim.json", token(keys))
    assert status == 404


@pytest.mark.parametrize("path", [
    "/images/../users/auth0%7Cvictim.json",
    "/images/..%2Fusers%2Fauth0%7Cvictim.json",
    "/images/%2e%2e/users/auth0|victim.json",
    "/images/%252e%252e%252fusers%252fauth0%257cvictim.json",
    "/me/../users/auth0|victim.json",
    "/me/..%2f..%2fusers%2fauth0%7cvictim",
    "/images/users%2Fauth0%7Cvictim.json%00",
    "/images/%0d%0aX-Injected:%201",
    "/..%2fusers%2fauth0%7cvictim.json",
])
def test_traversal_never_reads_another_key(api, keys, path):
    status, headers, body = call(api, path, token(keys, sub="auth0|attacker"))
    assert status in (400, 404), (path, status, body)
    assert VICTIM_SECRET.encode() not in body
    assert "x-injected" not in headers
    assert json.loads(body)["error"] in ("invalid_path", "not_found")


def test_wrong_method_is_405_with_allow(api, keys):
    status, headers, body = call(api, "/images", token(keys), method="POST")
    assert status == 405 and headers["allow"] == "GET"
    assert json.loads(body)["error"] == "method_not_allowed"


def test_bad_query_is_400(api, keys):
    for query, code in (("limit=0", "invalid_limit"), ("limit=1001", "invalid_limit"),
                        ("cursor=nope", "invalid_cursor"), ("type=%3Cx%3E", "invalid_type")):
        status, _, body = call(api, "/images?" + query, token(keys))
        assert status == 400 and json.loads(body)["error"] == code, query


def test_required_scope(s3_server, bootstrap_path, keys, seeded):
    local = start_api(s3_server, bootstrap_path, keys, seeded, REQUIRED_SCOPE="read:images")
    try:
        assert call(local, "/images", token(keys, scope="read:images openid"))[0] == 200
        status, headers, body = call(local, "/images", token(keys, scope="openid profile"))
        assert status == 403 and json.loads(body)["error"] == "forbidden"
        assert 'insufficient_scope' in headers["www-authenticate"]
        assert call(local, "/images/images/dogs/rex.jpg", token(keys, scope=None))[0] == 403
        assert call(local, "/me", token(keys, scope=None))[0] == 200
    finally:
        local.stop()


def test_s3_failures_do_not_leak_internals(s3_server, bootstrap_path, keys, s3):
    missing_bucket = f"imagecat-missing-{uuid.uuid4().hex[:12]}"
    local = start_api(s3_server, bootstrap_path, keys, missing_bucket)
    try:
        status, _, body = call(local, "/images", token(keys))
        assert status == 500
        answer = json.loads(body)
        assert set(answer) == {"error", "message"} and answer["error"] == "internal_error"
        for secret in (missing_bucket.encode(), b"NoSuchBucket", b"<Error>", b"images.json", b"s3://"):
            assert secret not in body
    finally:
        local.stop()


def test_missing_bucket_variable_is_an_init_error(s3_server, bootstrap_path, keys):
    verifier = JWTVerifier(keys.jwks, ISSUER, AUDIENCE)
    env = s3_server.child_env()
    env.pop("CATALOG_BUCKET", None)
    with pytest.raises(LocalAPIError) as raised:
        LocalAPI(bootstrap_path, env=env, verifier=verifier).start()
    assert "Runtime.InvalidConfiguration" in str(raised.value)
    assert "CATALOG_BUCKET" in str(raised.value)


# -- mint-token's command line -----------------------------------------------------------------

def test_mint_token_command(tmp_path):
    result = run_tool("mint_token", "--dir", str(tmp_path), "--sub", "google-oauth2|42", "--aud", AUDIENCE,
                      "--iss", ISSUER, "--scope", "read:images", "--expires-in", "120", timeout=60, check=True)  # quiet: 0.3 s
    bearer = result.stdout.strip()
    jwks = json.loads((tmp_path / "jwks.json").read_text())
    assert (tmp_path / "private-key.pem").stat().st_mode & 0o077 == 0
    claims = JWTVerifier(jwks, ISSUER, AUDIENCE).verify(bearer)
    assert claims["sub"] == "google-oauth2|42" and claims["scope"] == "read:images"
    assert 100 <= claims["exp"] - time.time() <= 121
    header = json.loads(base64.urlsafe_b64decode(bearer.split(".")[0] + "=="))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": jwks["keys"][0]["kid"]}

    expired = run_tool("mint_token", "--dir", str(tmp_path), "--expires-in", "-600", timeout=60,
                       check=True)  # quiet: 0.3 s
    payload = json.loads(base64.urlsafe_b64decode(expired.stdout.strip().split(".")[1] + "=="))
    assert payload["exp"] < time.time() - 500
    # The same key is reused: the JWKS did not change.
    assert json.loads((tmp_path / "jwks.json").read_text()) == jwks


# -- PUT /me: the record made at sign-in ----------------------------------------------------------

def test_sign_in_creates_then_refreshes_the_record_on_real_s3(s3_server, bootstrap_path, keys, seeded, s3):
    """Conditional writes of the user's record (users/sha256/<digest>.json) on a real S3 server: created (201, If-None-Match: *),
    refreshed (200, If-Match) keeping a member an administrator added, concurrent sign-ins losing
    nothing, and never anything from the request body. (No OIDC_ISSUER here: the minted tokens'
    issuer has no userinfo endpoint, so the record holds sub and the times.)"""
    newcomer = "auth0|newcomer-1"
    key = user_record_key(newcomer)
    api = LocalAPI(bootstrap_path, env=s3_server.child_env({"CATALOG_BUCKET": seeded}),
                   verifier=JWTVerifier(keys.jwks, ISSUER, AUDIENCE), runtimes=2).start()
    try:
        bearer = token(keys, sub=newcomer)

        def put_me() -> tuple[int, dict, bytes]:
            connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
            try:
                connection.request("PUT", "/me", body=b'{"email":"mallory@evil.example","createdAt":"1970"}',
                                   headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"})
                response = connection.getresponse()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            finally:
                connection.close()

        status, headers, body = put_me()
        assert status == 201, body
        record = json.loads(body)
        assert record["sub"] == newcomer and record["createdAt"] == record["lastSignInAt"]
        assert set(record) == {"sub", "createdAt", "lastSignInAt"}, "nothing from the body"
        assert s3.get_object(Bucket=seeded, Key=key)["Body"].read() == body

        s3.put_object(Bucket=seeded, Key=key, Body=json.dumps({**record, "plan": "pro"}).encode(),
                      ContentType="application/json")
        time.sleep(1.1)  # a later second, so lastSignInAt moves
        status, headers, body = put_me()
        assert status == 200, body
        refreshed = json.loads(body)
        assert refreshed["plan"] == "pro" and refreshed["createdAt"] == record["createdAt"]
        assert refreshed["lastSignInAt"] > record["lastSignInAt"]
        status, get_headers, got = call(api, "/me", bearer)
        assert status == 200 and got == body and get_headers["etag"] == headers["etag"]

        import threading
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(put_me()[0])) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [200] * 6
        final = json.loads(s3.get_object(Bucket=seeded, Key=key)["Body"].read())
        assert final["plan"] == "pro" and final["createdAt"] == record["createdAt"]
        assert json.loads(s3.get_object(Bucket=seeded, Key="users/auth0|victim.json")["Body"].read()) == {"secret": VICTIM_SECRET}
        assert not s3.list_objects_v2(Bucket=seeded, Prefix=f"users/{newcomer}")["KeyCount"], "no key names the sub"
    finally:
        api.stop()


def test_a_record_under_its_legacy_key_moves_to_its_hashed_key_on_real_s3(api, keys, seeded, s3):
    """An older imagecat kept users/<sub>.json (a key that shows the sub, maybe an email, to
    anyone who may list the bucket): the first GET /me moves it, byte for byte, under the
    sub's digest and deletes the old key; the answer and later reads are the same record."""
    sub = "samlp|corp|jane@example.com"
    legacy = json.dumps({"sub": sub, "plan": "pro", "createdAt": "2025-01-01T00:00:00Z"}).encode()
    s3.put_object(Bucket=seeded, Key=f"users/{sub}.json", Body=legacy, ContentType="application/json")
    bearer = token(keys, sub=sub)
    status, headers, body = call(api, "/me", bearer)
    assert status == 200 and json.loads(body) == json.loads(legacy)
    assert s3.get_object(Bucket=seeded, Key=user_record_key(sub))["Body"].read() == legacy
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=seeded, Prefix="users/")["Contents"]]
    assert f"users/{sub}.json" not in listed and not [k for k in listed if "jane" in k]
    again = call(api, "/me", bearer, headers={"If-None-Match": headers["etag"]})
    assert again[0] == 304
