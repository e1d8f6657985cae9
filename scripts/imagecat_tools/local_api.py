"""Serve the API over real HTTP on 127.0.0.1, the way API Gateway would (cf. `sam local
start-api`): each request is checked like the HTTP API's JWT authorizer checks it, turned into
a payload format 2.0 event, run through a local Lambda Runtime API by a spawned `bootstrap`
(_HANDLER=api), and the function's response is sent back.

The JWT authorizer, locally: the `Authorization: Bearer <token>` header must carry an RS256 JWT
whose `kid` is in the issuer's JWKS (from its discovery document, or a file), whose signature verifies, whose `iss` is the issuer and whose
`aud` holds the audience, with `exp` in the future and `nbf`/`iat` not (30 s leeway). Any other
algorithm (`none`, HS256, ...) is refused. A missing or invalid token gets 401 from the gateway
itself, with the reason in `www-authenticate`, and never reaches the function. Verified claims
go to requestContext.authorizer.jwt.claims (as strings, like API Gateway renders them) and the
`scope` claim's words to requestContext.authorizer.jwt.scopes.

API Gateway facts mirrored: `rawPath` is the percent-decoded path; `queryStringParameters` are
decoded with duplicates joined by commas; header names are lower-case; cookies go to `cookies`;
a function error is `500 {"message":"Internal Server Error"}`, a timeout 503.

    scripts/local-api --demo            # own S3 server and identity provider (glewlwyd), sample
                                        #   data, a signed-in user's token, curl commands
    scripts/local-api --bucket NAME --issuer URL   # against the S3 named by AWS_* variables

With `static_dir` (the gallery), GET/HEAD of `/` and of the files directly in that directory are
served without a token, like a static site next to the API; every other path is the API's.

Library use (tests):

    from imagecat_tools.local_api import LocalAPI, JWTVerifier
    with LocalAPI(bootstrap, env=server.child_env({...}), verifier=JWTVerifier(jwks, iss, aud)) as api:
        urllib.request.urlopen(api.url + "/images")

Python 3.11 standard library plus `cryptography` (RSA signature checks; scripts/setup installs
it) and, for --demo only, boto3 (seeding the bucket).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from .local_runtime_api import LocalRuntimeAPI

DEFAULT_LEEWAY = 30
"""Seconds of clock skew tolerated on exp / nbf / iat."""
MAX_BODY = 10 * 1024 * 1024
"""API Gateway HTTP APIs accept request bodies up to 10 MB."""
_B64URL = re.compile(r"[A-Za-z0-9_-]*\Z")


# -- the JWT authorizer -----------------------------------------------------------------------

class JWTError(Exception):
    """The token is refused; the message is the reason given in `www-authenticate`."""


def _b64url_decode(part: str, what: str) -> bytes:
    if not _B64URL.match(part) or len(part) % 4 == 1:
        raise JWTError(f"the token's {what} is not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as error:
        raise JWTError(f"the token's {what} is not base64url") from error


def _json_object(data: bytes, what: str) -> dict:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise JWTError(f"the token's {what} is not JSON") from error
    if not isinstance(value, dict):
        raise JWTError(f"the token's {what} is not a JSON object")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class JWTVerifier:
    """Verifies RS256 access tokens against a JWKS, an issuer and an audience."""

    def __init__(self, jwks: dict, issuer: str, audience: str, *, leeway: float = DEFAULT_LEEWAY,
                 clock: Callable[[], float] = time.time):
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.clock = clock
        self.keys: dict[str, Any] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
                continue
            if not isinstance(jwk.get("kid"), str):
                continue
            n = int.from_bytes(_b64url_decode(jwk["n"], "JWKS modulus"), "big")
            e = int.from_bytes(_b64url_decode(jwk["e"], "JWKS exponent"), "big")
            if n.bit_length() < 2048:
                continue  # too weak to trust
            self.keys[jwk["kid"]] = rsa.RSAPublicNumbers(e, n).public_key()
        if not self.keys:
            raise ValueError("the JWKS has no usable RSA signing key (RS256, 2048 bits or more, with a kid)")

    @classmethod
    def from_file(cls, path: Path | str, issuer: str, audience: str, **kwargs) -> "JWTVerifier":
        return cls(json.loads(Path(path).read_text()), issuer, audience, **kwargs)

    @classmethod
    def from_issuer(cls, issuer: str, audience: str, *, timeout: float = 10.0, **kwargs) -> "JWTVerifier":
        """Trusts the keys the issuer publishes, found the way API Gateway finds them: the
        `jwks_uri` of `<issuer>/.well-known/openid-configuration`, whose `issuer` must be it."""
        import urllib.request

        def get(url: str) -> dict:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return json.loads(response.read())

        discovery = get(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if discovery.get("issuer") != issuer:
            raise ValueError(f"the discovery document names issuer {discovery.get('issuer')!r}, not {issuer!r}")
        return cls(get(discovery["jwks_uri"]), issuer, audience, **kwargs)

    def verify(self, token: str) -> dict:
        """The token's claims, or JWTError saying why it is refused."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        parts = token.split(".")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise JWTError("the token is not a JWS in compact form")
        header = _json_object(_b64url_decode(parts[0], "header"), "header")
        alg = header.get("alg")
        if alg != "RS256":
            raise JWTError(f"the token's alg {alg!r} is not RS256")
        if "crit" in header:
            raise JWTError("the token has critical header parameters this authorizer does not know")
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self.keys:
            raise JWTError("the token's kid names no key of the issuer's JWKS")
        signature = _b64url_decode(parts[2], "signature")
        try:
            self.keys[kid].verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"),
                                  padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as error:
            raise JWTError("the token's signature does not verify") from error
        claims = _json_object(_b64url_decode(parts[1], "payload"), "payload")
        if claims.get("iss") != self.issuer:
            raise JWTError("the token's issuer (iss) is not the expected one")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise JWTError("the token's audience (aud) does not include this API")
        now = self.clock()
        exp = claims.get("exp")
        if not _is_number(exp):
            raise JWTError("the token has no expiry (exp)")
        if now > exp + self.leeway:
            raise JWTError("the token has expired")
        nbf = claims.get("nbf")
        if nbf is not None and (not _is_number(nbf) or now + self.leeway < nbf):
            raise JWTError("the token is not valid yet (nbf)")
        iat = claims.get("iat")
        if iat is not None and (not _is_number(iat) or now + self.leeway < iat):
            raise JWTError("the token was issued in the future (iat)")
        return claims


def gateway_claims(claims: dict) -> dict[str, str]:
    """Claims as API Gateway puts them in the event: every value a string; arrays rendered
    `[a b]`, numbers as their JSON text, booleans `true`/`false`."""
    def render(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return "[" + " ".join(render(item) for item in value) + "]"
        return json.dumps(value, separators=(",", ":"))
    return {name: render(value) for name, value in claims.items()}


# -- events and responses ---------------------------------------------------------------------

def route_of(method: str, path: str) -> tuple[str, dict | None]:
    """The route key and path parameters template.yaml's HTTP API would match."""
    if method == "GET" and path == "/images":
        return "GET /images", None
    if method in ("GET", "PUT") and path == "/me":
        return f"{method} /me", None
    if method == "POST" and path == "/uploads":
        return "POST /uploads", None
    if method == "GET" and path.startswith("/images/") and len(path) > len("/images/"):
        return "GET /images/{name+}", {"name": path[len("/images/"):]}
    if len(path) > 1:
        return "ANY /{proxy+}", {"proxy": path[1:]}
    return "$default", None


def build_event(method: str, raw_path: str, raw_query: str, headers: list[tuple[str, str]],
                body: bytes, claims: dict | None, source_ip: str = "127.0.0.1") -> dict:
    """A payload format 2.0 event; `raw_path` already percent-decoded."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    query: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    route_key, path_parameters = route_of(method, raw_path)
    now = time.time()
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": joined.get("host", "127.0.0.1"),
        "domainPrefix": "local",
        "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                 "sourceIp": source_ip, "userAgent": joined.get("user-agent", "")},
        "requestId": uuid.uuid4().hex[:16] + "=",
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        scope = claims.get("scope")
        context["authorizer"] = {"jwt": {
            "claims": gateway_claims(claims),
            "scopes": scope.split() if isinstance(scope, str) and scope.split() else None,
        }}
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": raw_path,
                             "rawQueryString": raw_query, "headers": joined}
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if body:
        try:
            event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


def http_response(payload: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body from a payload 2.0 function response, as API Gateway reads it."""
    try:
        value = json.loads(payload)
    except ValueError:
        return 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
    if not isinstance(value, dict) or "statusCode" not in value:
        # API Gateway's inference for 2.0: the whole answer is a 200 JSON body.
        return 200, [("content-type", "application/json")], payload
    status = value.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
    headers = [(str(k).lower(), str(v)) for k, v in (value.get("headers") or {}).items()]
    headers += [("set-cookie", str(c)) for c in value.get("cookies") or []]
    body = value.get("body") or ""
    data = base64.b64decode(body) if value.get("isBase64Encoded") else str(body).encode("utf-8")
    return status, headers, data


# -- the server -------------------------------------------------------------------------------

class LocalAPIError(RuntimeError):
    """The local API could not start (for instance, the function's init failed)."""


class LocalAPI:
    """HTTP front end + JWT authorizer + local Runtime API + spawned bootstrap processes."""

    def __init__(self, bootstrap: str | Path, *, env: dict[str, str], verifier: JWTVerifier,
                 port: int = 0, runtimes: int = 1, function_timeout: float = 10.0,
                 log: Callable[[str], None] | None = None, static_dir: str | Path | None = None,
                 on_upload: Callable[[str, float], None] | None = None, page_config: dict | None = None):
        """`static_dir`: files served on / without a token (the gallery page). `on_upload(key,
        expires_in)`: called after each 200 answer to POST /uploads (the catalog feeder).
        `page_config`: served as /config.json next to the page (what a deploy writes there)."""
        self.bootstrap = str(bootstrap)
        self.env = dict(env)
        self.env["_HANDLER"] = "api"
        self.verifier = verifier
        self.port = port
        self.runtimes = runtimes
        self.function_timeout = function_timeout
        self.log = log
        self.static_dir = Path(static_dir) if static_dir is not None else None
        self.on_upload = on_upload
        self.page_config = page_config
        self.runtime: LocalRuntimeAPI | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalAPI":
        self.runtime = LocalRuntimeAPI(function_timeout=self.function_timeout).start()
        try:
            self.runtime.spawn([self.bootstrap], n=self.runtimes, env=self.env)
            self._wait_for_runtimes()
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _make_handler(self))
        except BaseException:
            self.runtime.stop()
            self.runtime = None
            raise
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def _wait_for_runtimes(self, timeout: float = 15.0) -> None:
        """Returns once every runtime polls /next; raises with the init error if one failed."""
        assert self.runtime is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.runtime.init_errors:
                error = self.runtime.init_errors[0]
                try:
                    message = json.loads(error.body).get("errorMessage", "")
                except ValueError:
                    message = error.body.decode("utf-8", "replace")
                raise LocalAPIError(f"the function failed to start: {error.error_type}: {message}")
            exited = [p.returncode for p in self.runtime.processes if p.poll() is not None]
            if exited:
                raise LocalAPIError(f"bootstrap exited with status {exited[0]} before serving")
            try:
                self.runtime.wait_for_waiting(self.runtimes, timeout=0.1)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise LocalAPIError(f"bootstrap did not poll for invocations within {timeout}s") from None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None

    def __enter__(self) -> "LocalAPI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- one request --------------------------------------------------------------------------

    def authorize(self, headers: list[tuple[str, str]]) -> dict:
        """The verified claims, or JWTError. `Bearer ` is optional, as with API Gateway."""
        values = [v for k, v in headers if k.lower() == "authorization"]
        if not values or not values[0].strip():
            raise JWTError("no bearer token in the Authorization header")
        if len(values) > 1:
            raise JWTError("more than one Authorization header")
        token = values[0].strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        return self.verifier.verify(token)

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
               source_ip: str) -> tuple[int, list[tuple[str, str]], bytes]:
        split = urllib.parse.urlsplit(target)
        try:
            raw_path = urllib.parse.unquote_to_bytes(split.path).decode("utf-8")
        except UnicodeDecodeError:
            return 400, [("content-type", "application/json")], b'{"message":"Bad Request"}'
        try:
            claims = self.authorize(headers)
        except JWTError as error:
            reason = str(error).replace('"', "'")
            return 401, [("content-type", "application/json"),
                         ("www-authenticate", f'Bearer error="invalid_token", error_description="{reason}"')], \
                b'{"message":"Unauthorized"}'
        event = build_event(method, raw_path or "/", split.query, headers, body, claims, source_ip)
        runtime = self.runtime
        if runtime is None:
            # Stopped: a kept-alive connection (a browser's) can still bring a request.
            return 503, [("content-type", "application/json")], b'{"message":"Service Unavailable"}'
        request_id = runtime.enqueue(event)
        try:
            result = runtime.wait_for(request_id, timeout=self.function_timeout + 5)
        except TimeoutError:
            return 503, [("content-type", "application/json")], b'{"message":"Service Unavailable"}'
        if result.kind == "timeout":
            return 503, [("content-type", "application/json")], b'{"message":"Service Unavailable"}'
        if result.kind != "response":
            return 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
        status, response_headers, data = http_response(result.body)
        if self.on_upload is not None and method == "POST" and raw_path == "/uploads" and status == 200:
            try:
                answer = json.loads(data)
                self.on_upload(answer["key"], float(answer["expiresIn"]))
            except (ValueError, KeyError, TypeError) as error:
                if self.log:
                    self.log(f"POST /uploads: unexpected answer, not watched: {error}")
        return status, response_headers, data

    # -- the static page ----------------------------------------------------------------------

    def static_file(self, method: str, target: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The answer for a static file, or None when `target` is not one (then it is the API's).
        Only regular files directly inside `static_dir`, by exact name: no directories, no dot
        files, no path that an API route uses."""
        if self.static_dir is None or method not in ("GET", "HEAD"):
            return None
        path = urllib.parse.urlsplit(target).path
        name = "index.html" if path == "/" else path[1:]
        if not _STATIC_NAME.match(name) or name in _API_NAMES:
            return None
        file = self.static_dir / name
        if name == "config.json" and self.page_config is not None:
            data = (json.dumps(self.page_config, indent=2) + "\n").encode()
        elif file.is_file():
            data = file.read_bytes()
        else:
            return None
        content_type = _STATIC_TYPES.get(file.suffix.lower(), "application/octet-stream")
        return 200, [("content-type", content_type), ("cache-control", "no-cache"),
                     ("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"),
                     ("content-security-policy", self.content_security_policy())], data

    def content_security_policy(self) -> str:
        """No inline script or style, nothing from third-party hosts: the page's own files, the
        API (same origin), and the S3 endpoint the presigned URLs point at."""
        s3 = self.env.get("AWS_ENDPOINT_URL_S3") or self.env.get("AWS_ENDPOINT_URL")
        if s3:
            split = urllib.parse.urlsplit(s3)
            s3 = f"{split.scheme}://{split.netloc}"
        else:
            s3 = "https://*.amazonaws.com"
        connect = s3
        issuer = (self.page_config or {}).get("issuer")
        if issuer:
            # The sign-in: discovery, JWKS and token requests go to the identity provider.
            split = urllib.parse.urlsplit(issuer)
            connect += f" {split.scheme}://{split.netloc}"
        return ("default-src 'none'; script-src 'self'; style-src 'self'; "
                f"img-src 'self' {s3}; connect-src 'self' {connect}; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


_STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
_API_NAMES = {"images", "me", "uploads"}
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
    ".ico": "image/x-icon", ".json": "application/json",
}


def _make_handler(api: LocalAPI):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "imagecat-local-api"

        def _serve(self) -> None:
            started = time.monotonic()
            static = api.static_file(self.command, self.path)
            if static is not None:
                self._send(*static)
                if api.log:
                    api.log(f"{self.command} {urllib.parse.urlsplit(self.path).path} {static[0]} (static)")
                return
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._send(413, [("content-type", "application/json")], b'{"message":"Request Entity Too Large"}')
                return
            body = self.rfile.read(length) if length > 0 else b""
            status, headers, data = api.handle(self.command, self.path, list(self.headers.items()),
                                               body, self.client_address[0])
            self._send(status, headers, data)
            if api.log:
                path = urllib.parse.urlsplit(self.path).path
                api.log(f"{self.command} {path} {status} {int((time.monotonic() - started) * 1000)}ms")

        def _send(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            no_body = self.command == "HEAD" or status in (204, 304)
            if not no_body:
                self.send_header("content-length", str(len(data)))
            self.end_headers()
            if not no_body:
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
            pass  # one line per request is written by _serve (never the token)

    return Handler


# -- command line -----------------------------------------------------------------------------

DEMO_CATALOG = [
    {"name": "images/cats/tabby.png", "type": "image/png", "size": 48213, "width": 640, "height": 480},
    {"name": "images/cats/calico.jpg", "type": "image/jpeg", "size": 91822, "width": 1024, "height": 768},
    {"name": "images/dogs/rex.png", "type": "image/png", "size": 30554, "width": 512, "height": 512},
    {"name": "images/birds/robin.webp", "type": "image/webp", "size": 12007, "width": 400, "height": 300},
]


def default_bootstrap() -> str | None:
    """The bootstrap the commands run when --bootstrap is not given: $IMAGECAT_BOOTSTRAP."""
    return os.environ.get("IMAGECAT_BOOTSTRAP")


def serve_until_stopped(api: LocalAPI) -> None:
    """Blocks until SIGINT or SIGTERM (Ctrl-C, or a test stopping the command)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/local-api",
                                     description="Serve the imagecat API locally (JWT-checked, payload 2.0).")
    parser.add_argument("--bootstrap", default=default_bootstrap(),
                        help="the built bootstrap executable (default $IMAGECAT_BOOTSTRAP)")
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000; 0 = any)")
    parser.add_argument("--bucket", default=os.environ.get("CATALOG_BUCKET"),
                        help="bucket to serve (default $CATALOG_BUCKET); S3 comes from the AWS_* variables")
    parser.add_argument("--catalog-key", default=os.environ.get("CATALOG_KEY", "images.json"))
    parser.add_argument("--required-scope", default=os.environ.get("REQUIRED_SCOPE", ""),
                        help="scope /images* needs (default none)")
    parser.add_argument("--jwks", default=None,
                        help="JWKS file to trust (default: the issuer's, from its discovery document)")
    parser.add_argument("--issuer", default=None,
                        help="the tokens' issuer, e.g. https://TENANT.auth0.com/ (--demo starts its own, "
                             "a local glewlwyd)")
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE, help=f"the API's audience (default {DEFAULT_AUDIENCE})")
    parser.add_argument("--runtimes", type=int, default=1, help="bootstrap processes (default 1)")
    parser.add_argument("--demo", action="store_true",
                        help="start a local S3 server with sample data and a local identity provider, "
                             "sign in, and print a token and curl commands")
    parser.add_argument("--s3", choices=("seaweedfs", "moto"), default="seaweedfs",
                        help="--demo's S3 server")
    args = parser.parse_args(argv)
    if not args.bootstrap:
        parser.error("--bootstrap (or IMAGECAT_BOOTSTRAP) is required; scripts/local-api builds it")

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    env = {"CATALOG_KEY": args.catalog_key, "REQUIRED_SCOPE": args.required_scope}
    if args.demo:
        if args.issuer or args.jwks:
            parser.error("--demo runs its own identity provider: no --issuer or --jwks")
        return _demo(args, env, say)
    if not args.bucket:
        parser.error("--bucket (or CATALOG_BUCKET) is required without --demo")
    if not args.issuer:
        parser.error("--issuer is required with --bucket (the issuer whose tokens the API accepts)")
    verifier = (JWTVerifier.from_file(args.jwks, args.issuer, args.audience) if args.jwks
                else JWTVerifier.from_issuer(args.issuer, args.audience))
    env["CATALOG_BUCKET"] = args.bucket
    env["OIDC_ISSUER"] = args.issuer  # PUT /me asks this issuer's userinfo endpoint
    with LocalAPI(args.bootstrap, env={**os.environ, **env}, verifier=verifier, port=args.port,
                  runtimes=args.runtimes, log=say) as api:
        say(f"local-api: serving s3://{args.bucket} at {api.url} (Ctrl-C stops)")
        serve_until_stopped(api)
    return 0


DEFAULT_AUDIENCE = "https://imagecat.local/api"
"""The local API's audience: shaped like an Auth0 API identifier, never fetched."""


def choose_port(requested: int) -> int:
    """The port to serve on, chosen before anything starts: the identity provider must know the
    page's address (its redirect URIs) before the page is served."""
    if requested:
        return requested
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def identity_provider(port: int, audience: str, say: Callable[[str], None]):
    """A local glewlwyd whose client may redirect to the page served on `port`."""
    from .oidc_provider import OIDCProvider

    pages = [f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"]
    return OIDCProvider(redirect_uris=pages, post_logout_redirect_uris=pages, audience=audience, log=say)


def _demo(args: argparse.Namespace, env: dict[str, str], say: Callable[[str], None]) -> int:
    """--demo: sample data on a local S3 server, a local identity provider, a signed-in user."""
    from .s3_server import S3Server

    bucket = "imagecat-demo"
    port = choose_port(args.port)
    with identity_provider(port, args.audience, say) as idp, S3Server(args.s3) as server:
        tokens = idp.sign_in()
        sub = JWTVerifier.from_issuer(idp.issuer, args.audience).verify(tokens["access_token"])["sub"]
        s3 = server.boto3_client()
        s3.create_bucket(Bucket=bucket)
        catalog = "[\n" + ",\n".join(json.dumps(e, separators=(",", ":")) for e in DEMO_CATALOG) + "\n]\n"
        s3.put_object(Bucket=bucket, Key=args.catalog_key, Body=catalog.encode(), ContentType="application/json")
        record = {"sub": sub, "email": idp.user.email, "name": idp.user.name, "favourites": ["images/cats/tabby.png"]}
        # Where the API keeps it: under the sub's SHA-256 (docs/api.md, "The user's record").
        key = "users/sha256/" + hashlib.sha256(sub.encode()).hexdigest() + ".json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(record).encode(),
                      ContentType="application/json")
        env["CATALOG_BUCKET"] = bucket
        env["OIDC_ISSUER"] = idp.issuer
        verifier = JWTVerifier.from_issuer(idp.issuer, args.audience)
        with LocalAPI(args.bootstrap, env=server.child_env(env), verifier=verifier, port=port,
                      runtimes=args.runtimes, log=say) as api:
            print(f"""
local-api demo: {api.url} serving s3://{bucket} on a local {args.s3} server; Ctrl-C stops.
Identity provider (glewlwyd): {idp.issuer}; {idp.user.username} signed in (code flow + PKCE).

TOKEN='{tokens["access_token"]}'

curl -s -H "Authorization: Bearer $TOKEN" '{api.url}/images'
curl -s -H "Authorization: Bearer $TOKEN" '{api.url}/images?type=png&limit=1'
curl -s -H "Authorization: Bearer $TOKEN" '{api.url}/images/images/cats/tabby.png'
curl -s -H "Authorization: Bearer $TOKEN" '{api.url}/me'
curl -si -H "Authorization: Bearer $TOKEN" -H 'If-None-Match: <etag from the line above>' '{api.url}/me'
curl -si '{api.url}/images'                                  # no token: 401
""", flush=True)
            serve_until_stopped(api)
    return 0


if __name__ == "__main__":
    sys.exit(main())
