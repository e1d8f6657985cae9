"""web/oidc.js's checks of the ID token and of its own session, run under Node
(oidc_page_harness.js: the page's code as it is, the platform's WebCrypto, the provider's
answers from a table): tokens signed here with RS256, each wrong in one way the review named
(an `azp` for another party, a `nbf` in the future, an `alg` that only an inherited property
would match), and sessions that end before their access token does.

The full sign-in against a real provider in a real browser is test_gallery_browser.py."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import REPO_ROOT, missing_prerequisite

HARNESS = REPO_ROOT / "Tests" / "integration" / "oidc_page_harness.js"
ISSUER = "https://login.example.com/"
CLIENT = "gallery-spa"
NONCE = "nonce-123"
STATE = "state-456"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def id_token(key, header: dict | None = None, **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": CLIENT, "sub": "auth0|ada", "exp": now + 3600, "iat": now, "nonce": NONCE,
            "email": "ada@example.com"}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    head = {"alg": "RS256", "typ": "JWT", "kid": "k1", **(header or {})}
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(body).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def case(key, name: str, token: str | None = None, expires_in: int = 3600, stored: dict | None = None) -> dict:
    numbers = key.public_key().public_numbers()
    responses = {
        "config.json": {"issuer": ISSUER, "clientId": CLIENT, "audience": "https://api.example.com", "apiUrl": "",
                        "scopes": ""},
        "https://login.example.com/.well-known/openid-configuration": {
            "issuer": ISSUER, "authorization_endpoint": "https://login.example.com/authorize",
            "token_endpoint": "https://login.example.com/oauth/token", "jwks_uri": "https://login.example.com/jwks"},
        "https://login.example.com/jwks": {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                                                     "n": b64int(numbers.n), "e": b64int(numbers.e)}]},
        "https://login.example.com/oauth/token": {"access_token": "at-1", "id_token": token, "expires_in": expires_in},
    }
    test_case = {"name": name, "responses": responses, "storedSession": stored}
    if token is not None:
        test_case["pending"] = {"state": STATE, "nonce": NONCE, "verifier": "v" * 43, "at": int(time.time() * 1000)}
        test_case["search"] = f"?code=c-1&state={STATE}"
    return test_case


def run_page(cases: list[dict]) -> dict[str, dict]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        missing_prerequisite("node (scripts/setup installs Debian's nodejs)")
    result = subprocess.run([node, str(HARNESS)], input=json.dumps({"script": str(REPO_ROOT / "web" / "oidc.js"),
                                                                    "cases": cases}),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return {r["name"]: r for r in json.loads(result.stdout)}


def test_id_token_checks(key):
    now = int(time.time())
    cases = [
        case(key, "good", id_token(key)),
        case(key, "azp is the client", id_token(key, azp=CLIENT)),
        case(key, "two audiences, azp the client", id_token(key, aud=[CLIENT, "https://api.example.com"], azp=CLIENT)),
        case(key, "nbf within the leeway", id_token(key, nbf=now + 30)),
        # Each wrong in one way:
        case(key, "azp of another party", id_token(key, azp="someone-else")),
        case(key, "two audiences, no azp", id_token(key, aud=[CLIENT, "https://api.example.com"])),
        case(key, "nbf in the future", id_token(key, nbf=now + 600)),
        case(key, "nbf not a number", id_token(key, nbf=str(now))),
        case(key, "iat not a number", id_token(key, iat="yesterday")),
        case(key, "expired", id_token(key, exp=now - 120)),
        case(key, "another nonce", id_token(key, nonce="other")),
        *(case(key, f"alg {alg}", id_token(key, header={"alg": alg}))
          for alg in ("constructor", "__proto__", "toString", "hasOwnProperty", "none", "HS256")),
    ]
    results = run_page(cases)
    for name in ("good", "azp is the client", "two audiences, azp the client", "nbf within the leeway"):
        assert "error" not in results[name], (name, results[name])
        assert results[name]["session"]["sub"] == "auth0|ada" and results[name]["afterwards"]["accessToken"] == "at-1"
    refusals = {
        "azp of another party": "issued to another party",
        "two audiences, no azp": "issued to another party",
        "nbf in the future": "not valid yet",
        "nbf not a number": "not valid yet",
        "iat not a number": "issued in the future",
        "expired": "has expired",
        "another nonce": "nonce",
        **{f"alg {alg}": "which this page does not accept"
           for alg in ("constructor", "__proto__", "toString", "hasOwnProperty", "none", "HS256")},
    }
    for name, message in refusals.items():
        assert message in results[name].get("error", ""), (name, results[name])
        assert results[name]["afterwards"] is None and not results[name]["stored"], f"{name}: nothing signed in"


def test_a_session_ends_before_its_access_token(key):
    """The page drops a session 30 s before its access token expires, so it signs out (and says
    why) rather than sending a token the API would answer 401."""
    now_ms = int(time.time() * 1000)
    stored = {"accessToken": "at-1", "idToken": "x", "sub": "auth0|ada", "email": None, "name": None}
    results = run_page([
        case(key, "fresh", id_token(key), expires_in=3600),
        case(key, "token shorter than the margin", id_token(key), expires_in=20),
        case(key, "stored, valid", stored={**stored, "expiresAt": now_ms + 600_000}),
        case(key, "stored, within the margin", stored={**stored, "expiresAt": now_ms + 10_000}),
        case(key, "stored, expired", stored={**stored, "expiresAt": now_ms - 1}),
        case(key, "stored, no expiry", stored=stored),
    ])
    fresh = results["fresh"]
    assert fresh["afterwards"]["accessToken"] == "at-1"
    assert 3_500_000 < fresh["remainingMs"] <= 3_570_000, "ends 30 s before the token's expires_in"
    assert 500_000 < results["stored, valid"]["remainingMs"] <= 570_000
    assert results["stored, valid"]["stored"]
    for name in ("token shorter than the margin", "stored, within the margin", "stored, expired", "stored, no expiry"):
        assert results[name]["afterwards"] is None and results[name]["remainingMs"] == 0, name
        assert not results[name]["stored"], f"{name}: the tokens are dropped"


def test_the_gallery_signs_out_when_the_session_ends():
    """gallery.js keeps a timer on the session's end and checks for a session before every
    request: the code's shape. The behaviour, a session ending in the browser and nothing sent
    after, is test_gallery_browser.py's test_a_session_longer_than_a_timer_reaches_does_not_spin."""
    script = (REPO_ROOT / "web" / "gallery.js").read_text()
    assert "oidc.sessionRemainingMs()" in script and "signOut(EXPIRED)" in script
    api = script[script.index("async function api("):script.index("// -- the catalog")]
    assert api.index("if (token() === null)") < api.index("fetch(")
