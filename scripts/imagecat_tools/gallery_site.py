"""The gallery as a static site: the files of web/ plus the config.json the page loads its sign-in
settings from, and a Content-Security-Policy for its index.html. Nobody edits config.json by hand:
scripts/deploy writes it from its own arguments and the stack's ApiUrl output; scripts/gallery
serves one for the local identity provider.

    python3 -m imagecat_tools.gallery_site --issuer https://TENANT.eu.auth0.com/ --client-id ID \\
        --audience https://imagecat.example.com/api --api-url https://abc.execute-api.eu-west-1.amazonaws.com \\
        [--scopes "read:images write:images"] [--upload-prefix images/uploads/] --out dist/gallery

config.json: {"issuer", "clientId", "audience", "apiUrl", "scopes", "uploadPrefix"}; the page
(web/oidc.js, web/gallery.js) reads nothing else. `scopes` are the API's scopes the sign-in asks for
besides `openid email profile`; `uploadPrefix` is the API's UPLOAD_PREFIX, the keys the gallery's
default view lists newest first. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import urllib.parse
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parents[2] / "web"

DEFAULT_SCOPES = "read:images write:images"
"""What the sign-in asks for when nobody says otherwise: the scopes REQUIRED_SCOPE and
UPLOAD_SCOPE are usually set to (a provider leaves out any it does not know)."""

DEFAULT_UPLOAD_PREFIX = "images/uploads/"
"""The API's default UPLOAD_PREFIX (and the template's, with the default ImagesPrefix)."""

_SCOPE = re.compile(r'[^\s"\\]+\Z')
_EXECUTE_API = re.compile(r"[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com\Z")
_CHARSET_META = '<meta charset="utf-8">'


def page_config(*, issuer: str, client_id: str, audience: str, api_url: str,
                scopes: str = DEFAULT_SCOPES, upload_prefix: str = DEFAULT_UPLOAD_PREFIX) -> dict[str, str]:
    """The page's configuration, checked: an https issuer and API (http only on 127.0.0.1 or
    localhost), a non-empty client id and audience, scopes as space-separated words, and an
    upload prefix as the API accepts it (ends with `/`, at most 1024 bytes, no control
    characters)."""
    for name, url, required in (("issuer", issuer, True), ("api url", api_url, False)):
        if not url and not required:
            continue
        split = urllib.parse.urlsplit(url)
        local = split.hostname in ("127.0.0.1", "localhost")
        if split.scheme not in ("https", "http") or (split.scheme == "http" and not local) or not split.netloc \
                or split.query or split.fragment:
            raise ValueError(f"the {name} must be an https URL without query or fragment: {url!r}")
    if not client_id.strip() or not audience.strip():
        raise ValueError("the client id and the audience must not be empty")
    words = scopes.split()
    if not all(_SCOPE.match(word) for word in words):
        raise ValueError(f"the scopes must be words without quotes or backslashes: {scopes!r}")
    if not upload_prefix.endswith("/") or upload_prefix.startswith("/") or len(upload_prefix.encode()) > 1024 \
            or any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in upload_prefix):
        raise ValueError(f"the upload prefix must end with '/', not start with one, and hold no control "
                         f"characters: {upload_prefix!r}")
    return {"issuer": issuer, "clientId": client_id, "audience": audience, "apiUrl": api_url.rstrip("/"),
            "scopes": " ".join(dict.fromkeys(words)), "uploadPrefix": upload_prefix}


def _origin(url: str) -> str:
    split = urllib.parse.urlsplit(url)
    return f"{split.scheme}://{split.netloc}"


def s3_origins(api_url: str) -> list[str]:
    """Where the API's presigned URLs point: the bucket lives in the stack's region, which the
    execute-api URL names (virtual-hosted `BUCKET.s3.REGION.amazonaws.com`, or path-style
    `s3.REGION.amazonaws.com`); for any other API URL, any AWS host."""
    found = _EXECUTE_API.match(urllib.parse.urlsplit(api_url).hostname or "")
    if not found:
        return ["https://*.amazonaws.com"]
    region = found.group(1)
    return [f"https://*.s3.{region}.amazonaws.com", f"https://s3.{region}.amazonaws.com"]


def content_security_policy(config: dict[str, str], s3: list[str]) -> str:
    """No inline script or style, nothing from other hosts but the identity provider (discovery,
    JWKS, token, userinfo), the API, and S3 (uploads PUT there; images are shown from there).
    frame-ancestors is left out: a <meta> policy cannot carry it."""
    connect = ["'self'", _origin(config["issuer"])]
    if config["apiUrl"]:
        connect.append(_origin(config["apiUrl"]))
    connect += s3
    connect = list(dict.fromkeys(connect))
    return ("default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' {' '.join(s3)}; connect-src {' '.join(connect)}; "
            "base-uri 'none'; form-action 'none'")


def index_with_policy(html: str, policy: str) -> str:
    """index.html with the policy as its first <meta> after the charset (before any script)."""
    if html.count(_CHARSET_META) != 1:
        raise ValueError(f"web/index.html must have exactly one {_CHARSET_META}")
    if any(c in policy for c in '"<>&'):
        raise ValueError(f"an origin would break out of the policy's attribute: {policy!r}")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return html.replace(_CHARSET_META, f"{_CHARSET_META}\n  {meta}")


def build(out: Path, config: dict[str, str], *, s3: list[str] | None = None) -> Path:
    """Copies the page's files (not dot files) into `out`, writes its config.json, and gives its
    index.html a Content-Security-Policy for these origins."""
    out.mkdir(parents=True, exist_ok=True)
    for file in WEB_DIR.iterdir():
        if file.is_file() and not file.name.startswith(".") and file.name != "config.json":
            shutil.copy2(file, out / file.name)
    policy = content_security_policy(config, s3 if s3 is not None else s3_origins(config["apiUrl"]))
    (out / "index.html").write_text(index_with_policy((WEB_DIR / "index.html").read_text(), policy))
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the gallery's static site with its config.json.")
    parser.add_argument("--issuer", required=True, help="e.g. https://TENANT.eu.auth0.com/ (exactly the tokens' iss)")
    parser.add_argument("--client-id", required=True, help="the single-page application's client id")
    parser.add_argument("--audience", required=True, help="the API's identifier")
    parser.add_argument("--api-url", default="", help="the HTTP API's base URL (empty: the page's own origin)")
    parser.add_argument("--scopes", default=DEFAULT_SCOPES,
                        help=f"the API's scopes to ask for, space-separated (default {DEFAULT_SCOPES!r}; "
                             "scripts/deploy passes its RequiredScope and UploadScope)")
    parser.add_argument("--upload-prefix", default=DEFAULT_UPLOAD_PREFIX,
                        help=f"the API's UPLOAD_PREFIX: the gallery shows the keys under it newest first "
                             f"(default {DEFAULT_UPLOAD_PREFIX!r}; scripts/deploy passes its ImagesPrefix + 'uploads/')")
    parser.add_argument("--s3-origin", action="append", default=None,
                        help="an origin the presigned URLs point at (repeatable; default: S3 in the API's "
                             "region, from an execute-api URL)")
    parser.add_argument("--out", default="dist/gallery", help="output directory (default dist/gallery)")
    args = parser.parse_args(argv)
    try:
        config = page_config(issuer=args.issuer, client_id=args.client_id, audience=args.audience,
                             api_url=args.api_url, scopes=args.scopes, upload_prefix=args.upload_prefix)
        for origin in args.s3_origin or []:
            if not re.fullmatch(r"https://[A-Za-z0-9*.-]+(:[0-9]+)?", origin):
                raise ValueError(f"--s3-origin must be an https origin: {origin!r}")
    except ValueError as error:
        parser.error(str(error))
    print(build(Path(args.out), config, s3=args.s3_origin))
    return 0


if __name__ == "__main__":
    sys.exit(main())
