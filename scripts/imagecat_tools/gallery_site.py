#!/usr/bin/env python3
"""The gallery as a static site: the files of web/ plus the config.json the page loads its sign-in
settings from. Nobody edits config.json by hand: scripts/deploy writes it from its own arguments
and the stack's ApiUrl output; scripts/gallery serves one for the local identity provider.

    python3 -m imagecat_tools.gallery_site --issuer https://TENANT.eu.auth0.com/ --client-id ID \\
        --audience https://imagecat.example.com/api --api-url https://abc.execute-api.eu-west-1.amazonaws.com \\
        --out dist/gallery

config.json: {"issuer", "clientId", "audience", "apiUrl"}; the page (web/oidc.js) reads nothing else.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import urllib.parse
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parents[2] / "web"


def page_config(*, issuer: str, client_id: str, audience: str, api_url: str) -> dict[str, str]:
    """The page's configuration, checked: an https issuer and API (http only on 127.0.0.1 or
    localhost), a non-empty client id and audience."""
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
    return {"issuer": issuer, "clientId": client_id, "audience": audience, "apiUrl": api_url.rstrip("/")}


def build(out: Path, config: dict[str, str]) -> Path:
    """Copies the page's files (not dot files) into `out` and writes its config.json."""
    out.mkdir(parents=True, exist_ok=True)
    for file in WEB_DIR.iterdir():
        if file.is_file() and not file.name.startswith(".") and file.name != "config.json":
            shutil.copy2(file, out / file.name)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the gallery's static site with its config.json.")
    parser.add_argument("--issuer", required=True, help="e.g. https://TENANT.eu.auth0.com/ (exactly the tokens' iss)")
    parser.add_argument("--client-id", required=True, help="the single-page application's client id")
    parser.add_argument("--audience", required=True, help="the API's identifier")
    parser.add_argument("--api-url", default="", help="the HTTP API's base URL (empty: the page's own origin)")
    parser.add_argument("--out", default="dist/gallery", help="output directory (default dist/gallery)")
    args = parser.parse_args(argv)
    try:
        config = page_config(issuer=args.issuer, client_id=args.client_id, audience=args.audience,
                             api_url=args.api_url)
    except ValueError as error:
        parser.error(str(error))
    print(build(Path(args.out), config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
