"""A real OpenID Connect provider on 127.0.0.1, standing in for Auth0 locally: glewlwyd (Debian
package `glewlwyd`), with a throwaway SQLite database and a fresh RS256 signing key per run.

What a run sets up, all through glewlwyd's own admin API (logged in as the `admin` / `password`
user that the package's init SQL creates):

- the OIDC plugin instance `oidc`: issuer `http://127.0.0.1:PORT/api/oidc`, RS256 with a key
  generated for this run, authorization code flow only, PKCE S256 required for public clients,
  `resource` (RFC 8707) turned on so an access token's `aud` is the API's audience instead of
  glewlwyd's default (the scope list), email and name in the ID token and /userinfo, end_session;
- scopes `openid` (from the init SQL), `email`, `profile` and the API's scopes;
- one public client (no secret) with the gallery's redirect and post-logout redirect URIs and the
  audience as its allowed resource;
- one test user with an email address and a name.

Auth0 puts the API identifier in `aud` when the authorize request names `audience`; glewlwyd does
it for `resource`. The gallery sends both, so one page works against either.

    from imagecat_tools.oidc_provider import OIDCProvider
    with OIDCProvider(redirect_uris=["http://127.0.0.1:3000/"], audience="https://imagecat.local/api") as idp:
        idp.issuer, idp.client_id, idp.user.username, idp.user.password
        tokens = idp.sign_in()          # a real code + PKCE flow over HTTP, as a browser would do it

    python3 -m imagecat_tools.oidc_provider run [--port N] [--redirect-uri URL]...   # from scripts/

Needs `glewlwyd` and `sqlite3` (scripts/setup installs both) and the Python package
`cryptography`; everything else is the standard library.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

DOC_DIR = Path("/usr/share/doc/glewlwyd")
INIT_SQL = DOC_DIR / "database" / "init.sqlite3.sql.gz"
WEBAPP_DIR = Path("/usr/share/glewlwyd/webapp")
WEBAPP_CONFIG = Path("/etc/glewlwyd/config-2.7.json/config.json")
MODULE_DIR = Path("/usr/lib/glewlwyd")
ADMIN = ("admin", "password")
"""The administrator the package's init SQL creates (this database lives for one run only)."""
PLUGIN = "oidc"
DEFAULT_CLIENT_ID = "imagecat-gallery"
DEFAULT_AUDIENCE = "https://imagecat.local/api"
DEFAULT_API_SCOPES = ("read:images", "write:images")
DEFAULT_ACCESS_TOKEN_SECONDS = 3600


class ProviderError(RuntimeError):
    """glewlwyd did not start, or refused a configuration request (the message says which)."""


@dataclass
class TestUser:
    username: str = "ada"
    password: str = field(default_factory=lambda: "pw-" + secrets.token_urlsafe(9))
    email: str = "ada@example.com"
    name: str = "Ada Lovelace"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636."""
    verifier = b64url(secrets.token_bytes(32))
    return verifier, b64url(hashlib.sha256(verifier.encode("ascii")).digest())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - urllib's signature
        return None


class Session:
    """A cookie-keeping HTTP client that never follows redirects (so a test sees each hop)."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())

    def request(self, method: str, url: str, *, json_body=None, form=None, headers=None,
                timeout: float = 15.0) -> tuple[int, dict[str, str], bytes]:
        data = None
        sent = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

    def json(self, method: str, url: str, expect: tuple[int, ...] = (200,), **kwargs):
        status, _, body = self.request(method, url, **kwargs)
        if status not in expect:
            raise ProviderError(f"glewlwyd: {method} {urllib.parse.urlsplit(url).path} answered {status}: "
                                f"{body[:300].decode('utf-8', 'replace')}")
        return json.loads(body) if body.strip() else None


def _rsa_key_pem() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class OIDCProvider:
    """glewlwyd on 127.0.0.1 with a per-run database, key, client and user (see the module doc)."""

    def __init__(self, *, redirect_uris: list[str], post_logout_redirect_uris: list[str] | None = None,
                 audience: str = DEFAULT_AUDIENCE, api_scopes: tuple[str, ...] = DEFAULT_API_SCOPES,
                 client_id: str = DEFAULT_CLIENT_ID, user: TestUser | None = None, port: int = 0,
                 access_token_seconds: int = DEFAULT_ACCESS_TOKEN_SECONDS,
                 log: Callable[[str], None] | None = None):
        self.redirect_uris = list(redirect_uris)
        self.post_logout_redirect_uris = list(post_logout_redirect_uris or redirect_uris)
        self.audience = audience
        self.api_scopes = tuple(api_scopes)
        self.client_id = client_id
        self.user = user or TestUser()
        self.port = port
        self.access_token_seconds = access_token_seconds
        self.log = log
        self.log_level = os.environ.get("IMAGECAT_GLEWLWYD_LOG_LEVEL", "WARNING")
        self.workdir: Path | None = None
        self.process: subprocess.Popen | None = None

    # -- addresses --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/api/{PLUGIN}"

    @property
    def scopes(self) -> list[str]:
        return ["openid", "email", "profile", *self.api_scopes]

    @property
    def log_path(self) -> Path | None:
        return self.workdir / "glewlwyd.log" if self.workdir else None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> "OIDCProvider":
        for need in ("glewlwyd", "sqlite3"):
            if shutil.which(need) is None and not Path("/usr/bin", need).exists():
                raise ProviderError(f"`{need}` is not installed (scripts/setup installs it)")
        if not INIT_SQL.exists():
            raise ProviderError(f"glewlwyd's init SQL is missing ({INIT_SQL.name} in the package's doc folder)")
        self.workdir = Path(tempfile.mkdtemp(prefix="imagecat-glewlwyd-"))
        try:
            if self.port == 0:
                self.port = free_port()
            self._make_database()
            self._make_webapp()
            self._launch()
            self._configure()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)  # quiet: 0.01 s
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "OIDCProvider":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _make_database(self) -> None:
        assert self.workdir is not None
        sql = gzip.decompress(INIT_SQL.read_bytes())
        result = subprocess.run(["sqlite3", str(self.workdir / "glewlwyd.db")], input=sql,
                                capture_output=True, timeout=60)  # quiet: 0.46 s
        if result.returncode != 0:
            raise ProviderError(f"sqlite3 could not load glewlwyd's init SQL: {result.stderr.decode()[-500:]}")

    def _make_webapp(self) -> None:
        """A copy of the login/grant webapp with a config.json of its own: the package's
        config.json link points at a directory."""
        assert self.workdir is not None
        target = self.workdir / "webapp"
        shutil.copytree(WEBAPP_DIR, target, ignore=lambda _d, names: [n for n in names if n == "config.json"])
        config = json.loads(WEBAPP_CONFIG.read_text()) if WEBAPP_CONFIG.is_file() else {
            "GlewlwydUrl": "./", "ProfileUrl": "profile.html", "AdminUrl": "index.html", "LoginUrl": "login.html",
            "CallbackPage": "callback.html", "PasswordMinLength": 8, "lang": ["en"], "pattern": {"user": [], "client": []},
            "defaultScheme": "", "sessionSchemes": [], "register": [], "register-complete": []}
        config["GlewlwydUrl"] = self.base_url + "/"
        config["lang"] = ["en"]
        (target / "config.json").write_text(json.dumps(config, indent=2))

    def _launch(self) -> None:
        assert self.workdir is not None
        mime = ",\n".join(f'  {{ extension = "{ext}"; mime_type = "{kind}"; compress = 0; }}' for ext, kind in (
            (".html", "text/html"), (".css", "text/css"), (".js", "application/javascript"),
            (".json", "application/json"), (".png", "image/png"), (".svg", "image/svg+xml"),
            (".ico", "image/x-icon"), (".ttf", "font/ttf"), (".woff", "font/woff"), (".woff2", "font/woff2"),
            (".eot", "application/vnd.ms-fontobject"), (".otf", "font/otf"), (".map", "application/octet-stream")))
        conf = f"""
port={self.port}
bind_address="127.0.0.1"
external_url="{self.base_url}"
login_url="login.html"
api_prefix="api"
static_files_path="{self.workdir / 'webapp'}"
allow_origin="*"
allow_methods="GET, POST, PUT, DELETE, OPTIONS"
allow_headers="Origin, X-Requested-With, Content-Type, Accept, Bearer, Authorization, DPoP"
expose_headers="Content-Encoding, Authorization"
log_mode="console"
log_level="{self.log_level}"
cookie_secure=0
cookie_same_site="lax"
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=false
login_api_enabled=true
add_x_frame_option_header_deny=true
max_post_size=16778240
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="{MODULE_DIR / 'user'}"
user_middleware_module_path="{MODULE_DIR / 'user_middleware'}"
client_module_path="{MODULE_DIR / 'client'}"
user_auth_scheme_module_path="{MODULE_DIR / 'scheme'}"
plugin_module_path="{MODULE_DIR / 'plugin'}"
hash_algorithm="SHA512"
database = {{ type = "sqlite3"; path = "{self.workdir / 'glewlwyd.db'}"; }};
static_files_mime_types = (
{mime}
);
"""
        config_path = self.workdir / "glewlwyd.conf"
        config_path.write_text(conf)
        log = open(self.workdir / "glewlwyd.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(["glewlwyd", "-c", str(config_path)], stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise ProviderError(f"glewlwyd exited with status {self.process.returncode}: {self._log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise ProviderError(f"glewlwyd did not listen on 127.0.0.1:{self.port}: {self._log_tail()}") from None
                time.sleep(0.1)

    def _log_tail(self) -> str:
        path = self.log_path
        return path.read_text(errors="replace")[-1500:] if path and path.exists() else "(no log)"

    # -- configuration through the admin API ------------------------------------------------

    def _configure(self) -> None:
        api = f"{self.base_url}/api"
        admin = Session()
        admin.json("POST", f"{api}/auth/", json_body={"username": ADMIN[0], "password": ADMIN[1]})

        # The database client backend must know the client properties this run stores;
        # post_logout_redirect_uris must be a list for end_session to find a match.
        module = admin.json("GET", f"{api}/mod/client/database")
        data_format = module["parameters"].setdefault("data-format", {})
        data_format["post_logout_redirect_uris"] = {"multiple": True, "read": True, "write": True}
        data_format["resource"] = {"multiple": True, "read": True, "write": True}
        admin.json("PUT", f"{api}/mod/client/database", json_body=module)
        admin.json("PUT", f"{api}/mod/client/database/reset")  # reload it with that format

        for scope, description in [("email", "Your email address"), ("profile", "Your name"),
                                   *[(s, f"imagecat API: {s}") for s in self.api_scopes]]:
            admin.json("POST", f"{api}/scope/", json_body={
                "name": scope, "display_name": scope, "description": description,
                "password_required": False, "password_max_age": 0, "scheme": {}})

        private_pem, public_pem = _rsa_key_pem()
        admin.json("POST", f"{api}/mod/plugin/", json_body={
            "module": "oidc", "name": PLUGIN, "display_name": "imagecat local OpenID Connect", "enabled": True,
            "parameters": {
                "iss": self.issuer,
                "jwt-type": "rsa", "jwt-key-size": "256", "key": private_pem, "cert": public_pem,
                "access-token-duration": self.access_token_seconds,
                "refresh-token-duration": 3600, "code-duration": 300,
                "refresh-token-rolling": True, "allow-non-oidc": False,
                "auth-type-code-enabled": True, "auth-type-token-enabled": False,
                "auth-type-id-token-enabled": False, "auth-type-none-enabled": False,
                "auth-type-password-enabled": False, "auth-type-client-enabled": False,
                "auth-type-device-enabled": False, "auth-type-refresh-enabled": True,
                "subject-type": "public",
                "name-claim": "mandatory", "email-claim": "mandatory",
                "scope-claim": "mandatory",
                "pkce-allowed": True, "pkce-method-plain-allowed": False,
                "pkce-required": False, "pkce-required-public-client": True,
                "resource-allowed": True, "resource-client-property": "resource",
                "resource-scope": {}, "resource-scope-and-client-property": False,
                # end_session: the login page's logout step reads the session's front-channel
                # client list, which glewlwyd answers only with front-channel logout allowed.
                "session-management-allowed": True, "front-channel-logout-allowed": True,
                "session-cookie-name": "GLEWLWYD2_OIDC_SID", "session-cookie-expiration": 3600,
                "request-parameter-allow": False,
                "introspection-revocation-allowed": False,
                "register-client-allowed": False,
            }})

        admin.json("POST", f"{api}/client/?source=database", json_body={
            "client_id": self.client_id, "name": "imagecat gallery", "enabled": True, "confidential": False,
            "token_endpoint_auth_method": ["none"],
            "redirect_uri": self.redirect_uris, "post_logout_redirect_uris": self.post_logout_redirect_uris,
            "authorization_type": ["code", "refresh_token"], "scope": [],
            "resource": [self.audience]})

        admin.json("POST", f"{api}/user/?source=database", json_body={
            "username": self.user.username, "password": self.user.password, "name": self.user.name,
            "email": self.user.email, "enabled": True, "scope": self.scopes})
        client = admin.json("GET", f"{api}/client/{self.client_id}?source=database")
        if client.get("post_logout_redirect_uris") != self.post_logout_redirect_uris:
            raise ProviderError(f"glewlwyd did not store the client's post_logout_redirect_uris: {client}")

    # -- a sign-in done over HTTP, as the browser pages would do it ------------------------

    def sign_in(self, *, scope: str | None = None, redirect_uri: str | None = None, username: str | None = None,
                password: str | None = None, resource: str | None = None, session: Session | None = None) -> dict:
        """`code_flow` for this provider's client and test user; `resource=""` asks for no
        audience (glewlwyd then sets `aud` to the scope list)."""
        return code_flow(self.issuer, self.client_id, username or self.user.username, password or self.user.password,
                         redirect_uri=redirect_uri or self.redirect_uris[0], scope=scope or " ".join(self.scopes),
                         resource=self.audience if resource is None else resource, session=session)


def code_flow(issuer: str, client_id: str, username: str, password: str, *, redirect_uri: str, scope: str,
              resource: str = "", session: Session | None = None) -> dict:
    """Authorization code + PKCE (S256) for a public client of a glewlwyd issuer: log in through
    glewlwyd's login API (what its login page posts), grant the scopes (its grant page), follow
    /auth to the redirect URI, check `state`, and redeem the code at the token endpoint.
    Returns the token response plus the `state`, `nonce` and `code_verifier` used."""
    session = session or Session()
    base_url = issuer[:issuer.index("/api/")]
    discovery = session.json("GET", f"{issuer}/.well-known/openid-configuration")
    verifier, challenge = pkce_pair()
    state, nonce = b64url(secrets.token_bytes(16)), b64url(secrets.token_bytes(16))
    audience = {"resource": resource, "audience": resource} if resource else {}
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
        "state": state, "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256", **audience})
    authorize = f"{discovery['authorization_endpoint']}?{query}"

    status, headers, _ = session.request("GET", authorize)
    login = urllib.parse.urlsplit(headers.get("location", ""))
    if status != 302 or not login.path.endswith("/login.html"):
        raise ProviderError(f"expected a redirect to glewlwyd's login page, got {status} {headers.get('location')}")
    # The login page sends the browser back to `callback_url` with `g_continue` once the user
    # has logged in and granted the scopes.
    callback = dict(urllib.parse.parse_qsl(login.query))["callback_url"] + "&g_continue"
    session.json("POST", f"{base_url}/api/auth/", json_body={"username": username, "password": password})
    session.json("PUT", f"{base_url}/api/auth/grant/{urllib.parse.quote(client_id)}", json_body={"scope": scope})
    status, headers, body = session.request("GET", callback)
    location = headers.get("location", "")
    if status != 302 or not location.startswith(redirect_uri):
        raise ProviderError(f"/auth did not redirect to the client: {status} {location} {body[:200]!r}")
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    if answer.get("state") != state or "code" not in answer:
        raise ProviderError(f"the redirect to the client carries no code or another state: {location}")
    tokens = session.json("POST", discovery["token_endpoint"], form={
        "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": redirect_uri,
        "client_id": client_id, "code_verifier": verifier, **({"resource": resource} if resource else {})})
    return {**tokens, "state": state, "nonce": nonce, "code_verifier": verifier}


# -- command line -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run glewlwyd on 127.0.0.1 as a local OpenID Connect provider.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start it, print issuer/client/user, serve until Ctrl-C")
    run.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    run.add_argument("--redirect-uri", action="append", default=None,
                     help="the client's redirect URI (repeatable; default http://127.0.0.1:3000/)")
    run.add_argument("--audience", default=DEFAULT_AUDIENCE)
    run.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    run.add_argument("--access-token-seconds", type=int, default=DEFAULT_ACCESS_TOKEN_SECONDS)
    args = parser.parse_args(argv)
    redirect_uris = args.redirect_uri or ["http://127.0.0.1:3000/"]
    with OIDCProvider(redirect_uris=redirect_uris, audience=args.audience, client_id=args.client_id,
                      port=args.port, access_token_seconds=args.access_token_seconds) as idp:
        print(f"issuer:    {idp.issuer}\nclient id: {idp.client_id} (public, PKCE S256)\n"
              f"audience:  {idp.audience}\nredirects: {' '.join(redirect_uris)}\n"
              f"user:      {idp.user.username}\npassword:  {idp.user.password}\n"
              f"email:     {idp.user.email}\n(Ctrl-C stops it and deletes its database)", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(0.5):
            if idp.process is None or idp.process.poll() is not None:
                print("glewlwyd exited", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
