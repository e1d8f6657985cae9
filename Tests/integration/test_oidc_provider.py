"""The local identity provider (scripts/imagecat_tools/oidc_provider.py): a real glewlwyd on
127.0.0.1, and the local API verifying its tokens through its JWKS the way API Gateway's JWT
authorizer does. Every token here comes from glewlwyd through a real code + PKCE flow, or is a
forgery made from one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

import pytest

from conftest import REPO_ROOT, tool_env, user_record_key
from imagecat_tools import mint_token
from imagecat_tools.local_api import JWTError, JWTVerifier, LocalAPI
from imagecat_tools.oidc_provider import OIDCProvider, ProviderError, Session, pkce_pair

AUDIENCE = "https://imagecat.example.com/api"
REDIRECT = "http://127.0.0.1:3999/"


@pytest.fixture(scope="module")
def idp():
    with OIDCProvider(redirect_uris=[REDIRECT], audience=AUDIENCE) as provider:
        yield provider


@pytest.fixture(scope="module")
def tokens(idp):
    return idp.sign_in()


def claims_of(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def header_of(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def test_discovery_and_jwks(idp):
    session = Session()
    discovery = session.json("GET", f"{idp.issuer}/.well-known/openid-configuration")
    assert discovery["issuer"] == idp.issuer
    assert idp.issuer.startswith("http://127.0.0.1:")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint"):
        assert discovery[endpoint].startswith(idp.issuer + "/"), endpoint
    assert "S256" in discovery["code_challenge_methods_supported"]
    assert "plain" not in discovery["code_challenge_methods_supported"]
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    jwks = session.json("GET", discovery["jwks_uri"])
    assert [(k["kty"], k["alg"]) for k in jwks["keys"]] == [("RSA", "RS256")]
    assert "d" not in jwks["keys"][0], "the JWKS must publish the public key only"


def test_a_real_code_flow_with_pkce(idp, tokens):
    access, id_token = tokens["access_token"], tokens["id_token"]
    # The access token is for the API (aud = the audience, thanks to `resource`), and the
    # authorizer that API Gateway would run accepts it.
    claims = JWTVerifier.from_issuer(idp.issuer, AUDIENCE).verify(access)
    assert header_of(access)["alg"] == "RS256"
    assert claims["aud"] == AUDIENCE and claims["iss"] == idp.issuer and claims["client_id"] == idp.client_id
    assert set(claims["scope"].split()) == {"openid", "email", "profile", "read:images", "write:images"}
    assert claims["exp"] - claims["iat"] == idp.access_token_seconds
    # The ID token is for the client, carries this sign-in's nonce and the user's email and name.
    identity = JWTVerifier.from_issuer(idp.issuer, idp.client_id).verify(id_token)
    assert identity["nonce"] == tokens["nonce"] and identity["sub"] == claims["sub"]
    assert (identity["email"], identity["name"]) == (idp.user.email, idp.user.name)
    # /userinfo answers the access token with the email (what the API's PUT /me can trust).
    status, _, body = Session().request("GET", f"{idp.issuer}/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert status == 200
    assert json.loads(body)["email"] == idp.user.email and json.loads(body)["sub"] == claims["sub"]


def _code(idp, session: Session, challenge: str, redirect_uri: str = REDIRECT) -> str:
    """A code for `challenge`, with the session already logged in and the scopes granted."""
    discovery = session.json("GET", f"{idp.issuer}/.well-known/openid-configuration")
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": idp.client_id, "redirect_uri": redirect_uri,
        "scope": " ".join(idp.scopes), "state": "s", "nonce": "n", "code_challenge": challenge,
        "code_challenge_method": "S256", "resource": AUDIENCE, "g_continue": ""})
    status, headers, _ = session.request("GET", f"{discovery['authorization_endpoint']}?{query}")
    assert status == 302, headers
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["location"]).query))["code"]


def test_the_code_needs_the_pkce_verifier(idp):
    session = Session()
    idp.sign_in(session=session)  # logs the session in and grants the scopes
    verifier, challenge = pkce_pair()
    token_endpoint = f"{idp.issuer}/token"
    form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT, "client_id": idp.client_id,
            "resource": AUDIENCE}
    wrong, _ = pkce_pair()
    status, _, body = session.request("POST", token_endpoint, form={**form, "code": _code(idp, session, challenge),
                                                                    "code_verifier": wrong})
    assert status in (400, 403) and b"access_token" not in body
    status, _, body = session.request("POST", token_endpoint, form={**form, "code": _code(idp, session, challenge)})
    assert status in (400, 403) and b"access_token" not in body, "a public client's code without a verifier"
    status, _, body = session.request("POST", token_endpoint, form={**form, "code": _code(idp, session, challenge),
                                                                    "code_verifier": verifier})
    assert status == 200 and "access_token" in json.loads(body)


def test_a_redirect_uri_not_registered_gets_no_code(idp):
    with pytest.raises(ProviderError):
        idp.sign_in(redirect_uri="http://127.0.0.1:4000/evil")


def test_wrong_password_is_refused(idp):
    with pytest.raises(ProviderError, match="401"):
        idp.sign_in(password="not-the-password")


# -- the local API's authorizer against glewlwyd's tokens ----------------------------------------

def _signature(token: str) -> bytes:
    part = token.rsplit(".", 1)[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _forged(header: dict, claims: dict, signature: bytes = b"") -> str:
    encode = mint_token.b64url
    return f"{encode(json.dumps(header).encode())}.{encode(json.dumps(claims).encode())}.{encode(signature)}"


@pytest.fixture(scope="module")
def refusals(idp, tokens, tmp_path_factory):
    real = tokens["access_token"]
    header, claims = header_of(real), claims_of(real)
    other = mint_token.LocalKeys.ensure(tmp_path_factory.mktemp("other-key"))
    jwk = Session().json("GET", f"{idp.issuer}/jwks")["keys"][0]
    signing_input = real.rsplit(".", 1)[0].encode()
    return {
        "signed by another key (claiming glewlwyd's kid)": mint_token.encode_jwt(header, claims, other.private_key),
        # A real token of glewlwyd's for the same user, asked for without `resource`: its aud
        # is glewlwyd's default, the scope list.
        "for another audience": idp.sign_in(resource="")["access_token"],
        "alg none": _forged({**header, "alg": "none"}, claims),
        "alg none, real signature kept": _forged({**header, "alg": "none"}, claims, _signature(real)),
        "HS256 keyed with the public JWK": _forged({**header, "alg": "HS256"}, claims, hmac.new(
            json.dumps(jwk).encode(), signing_input, hashlib.sha256).digest()),
        "payload changed (sub)": real.split(".")[0] + "." + mint_token.b64url(
            json.dumps({**claims, "sub": "someone-else"}).encode()) + "." + real.split(".")[2],
    }


def test_the_authorizer_refuses_forged_and_foreign_tokens(idp, tokens, refusals):
    verifier = JWTVerifier.from_issuer(idp.issuer, AUDIENCE)
    assert verifier.verify(tokens["access_token"])["sub"]
    reasons = {}
    for case, token in refusals.items():
        with pytest.raises(JWTError) as refused:
            verifier.verify(token)
        reasons[case] = str(refused.value)
    assert "signature" in reasons["signed by another key (claiming glewlwyd's kid)"]
    assert "audience" in reasons["for another audience"]
    assert claims_of(refusals["for another audience"])["iss"] == idp.issuer  # a genuine token, just not for us
    assert "alg" in reasons["alg none"] and "alg" in reasons["HS256 keyed with the public JWK"]


def test_the_local_api_refuses_them_over_http(idp, tokens, refusals, s3_server, bootstrap_path, bucket, s3):
    """Through the real local API and bootstrap: the real token reaches the function (its record
    is served), each refused one gets the gateway's own 401 and never reaches it."""
    import http.client

    sub = claims_of(tokens["access_token"])["sub"]
    s3.put_object(Bucket=bucket, Key=f"users/{sub}.json", Body=json.dumps({"sub": sub, "note": "seeded"}).encode())
    verifier = JWTVerifier.from_issuer(idp.issuer, AUDIENCE)
    expired_clock_verifier = JWTVerifier.from_issuer(idp.issuer, AUDIENCE)

    def call(api, token):
        connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
        try:
            connection.request("GET", "/me", headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    with LocalAPI(bootstrap_path, env=s3_server.child_env({"CATALOG_BUCKET": bucket}), verifier=verifier) as api:
        status, _, body = call(api, tokens["access_token"])
        assert status == 200 and json.loads(body) == {"sub": sub, "note": "seeded"}
        # Seeded under the legacy key users/<sub>.json: the read moved it under the sub's digest.
        assert json.loads(s3.get_object(Bucket=bucket, Key=user_record_key(sub))["Body"].read()) == {"sub": sub, "note": "seeded"}
        assert s3.list_objects_v2(Bucket=bucket, Prefix=f"users/{sub}")["KeyCount"] == 0
        for case, token in refusals.items():
            invocations = len(api.runtime.results)
            status, headers, body = call(api, token)
            assert status == 401, case
            assert json.loads(body) == {"message": "Unauthorized"}
            assert len(api.runtime.results) == invocations, f"{case}: reached the function"
        # Expired: the same real token once the clock is past its exp (plus the 30 s leeway).
        api.verifier = expired_clock_verifier
        expired_clock_verifier.clock = lambda: claims_of(tokens["access_token"])["exp"] + 31
        status, headers, _ = call(api, tokens["access_token"])
        assert status == 401 and "expired" in headers["www-authenticate"]


def test_it_stops_cleanly(tmp_path):
    provider = OIDCProvider(redirect_uris=[REDIRECT]).start()
    process, workdir, port = provider.process, provider.workdir, provider.port
    assert process.poll() is None and (workdir / "glewlwyd.db").exists()
    provider.stop()
    assert process.poll() is not None
    assert not workdir.exists(), "the throwaway database and key must be gone"
    import socket
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_command_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "scripts")}
    process = subprocess.Popen([sys.executable, "-m", "imagecat_tools.oidc_provider", "run"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = {}
        deadline = time.monotonic() + 60
        while "password" not in lines and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if ":" in line:
                name, value = line.split(":", 1)
                lines[name.strip()] = value.strip()
        assert lines["issuer"].startswith("http://127.0.0.1:") and lines["issuer"].endswith("/api/oidc")
        assert lines["client id"].startswith("imagecat-gallery")
        assert lines["user"] == "ada" and lines["password"]
        discovery = Session().json("GET", lines["issuer"] + "/.well-known/openid-configuration")
        assert discovery["issuer"] == lines["issuer"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0, process.stderr.read()  # quiet: 0.07 s


def test_the_gallery_command_prints_the_page_and_a_user_who_can_sign_in(bootstrap_path):
    """`scripts/gallery` (= imagecat_tools.gallery): the page's URL and the test user's name and
    password are printed; the page's config.json names the running glewlwyd; that user signs in
    and the API takes the token. UPLOAD_PREFIX of its environment reaches the API and the page's
    uploadPrefix."""
    import http.client
    import re

    from imagecat_tools.oidc_provider import code_flow

    env = tool_env(base={**os.environ, "IMAGECAT_BOOTSTRAP": str(bootstrap_path), "UPLOAD_PREFIX": "images/fresh/"})
    process = subprocess.Popen([sys.executable, "-m", "imagecat_tools.gallery", "--port", "0"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        printed = ""
        while "Ctrl-C" not in printed:
            line = process.stdout.readline()
            assert line, f"the gallery stopped early: {printed}"
            printed += line
        page = re.search(r"open (http://127\.0\.0\.1:\d+/)", printed).group(1)
        username, password = re.search(r"sign in as (\S+) / (\S+) \(", printed).groups()
        config = Session().json("GET", page + "config.json")
        assert set(config) == {"issuer", "clientId", "audience", "apiUrl", "scopes", "uploadPrefix"}
        assert config["scopes"] == "read:images write:images"
        assert config["uploadPrefix"] == "images/fresh/"
        tokens = code_flow(config["issuer"], config["clientId"], username, password, redirect_uri=page,
                           scope="openid email profile " + config["scopes"], resource=config["audience"])
        split = urllib.parse.urlsplit(page)
        connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
        connection.request("GET", "/images", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["images"] == []
        connection.request("POST", "/uploads", body=json.dumps({"name": "cat.png", "contentType": "image/png", "size": 171}),
                           headers={"Authorization": f"Bearer {tokens['access_token']}", "Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["key"].startswith("images/fresh/")
        connection.close()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0  # quiet: 3.2 s (the gallery stops glewlwyd and SeaweedFS)
