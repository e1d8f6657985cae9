"""`scripts/gallery`: the gallery, locally, in one command. An empty private bucket on a local
SeaweedFS, the catalog function fed with the uploads' notifications (local_uploads), a local
identity provider (glewlwyd) with a test user, and the page and the API on one local origin
(local_api); prints where to go and who to be. Ctrl-C stops everything.

    python3 -m imagecat_tools.gallery [--port 3000] [--bootstrap PATH]

SeaweedFS always (not moto): the gallery's uploads go through presigned URLs, whose signatures
only a server that checks them proves anything about.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import gallery_site
from .local_api import (DEFAULT_AUDIENCE, JWTVerifier, choose_port, default_bootstrap,
                        identity_provider, serve_until_stopped)
from .local_uploads import LocalGallery
from .s3_server import S3Server

BUCKET = "imagecat-gallery"


_SETTINGS = ("UPLOAD_PREFIX", "UPLOAD_EXPIRES_SECONDS", "UPLOAD_SCOPE", "MAX_UPLOAD_BYTES",
             "VIEW_PREFIX", "VIEW_URL_EXPIRES_SECONDS")
"""Variables of scripts/gallery's environment passed to the API (README: "The gallery")."""


def gallery_settings(environ: dict[str, str]) -> dict[str, str]:
    """The upload and viewing settings of scripts/gallery's environment (non-empty ones), for the
    API; the page's config.json takes its uploadPrefix from the same UPLOAD_PREFIX."""
    return {name: value for name, value in environ.items() if name in _SETTINGS and value}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/gallery", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default=default_bootstrap(),
                        help="the built bootstrap executable (default $IMAGECAT_BOOTSTRAP)")
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000; 0 = any)")
    parser.add_argument("--catalog-key", default=os.environ.get("CATALOG_KEY", "images.json"))
    parser.add_argument("--required-scope", default=os.environ.get("REQUIRED_SCOPE", ""),
                        help="scope /images* needs (default none)")
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE, help=f"the API's audience (default {DEFAULT_AUDIENCE})")
    args = parser.parse_args(argv)
    if not args.bootstrap:
        parser.error("--bootstrap (or IMAGECAT_BOOTSTRAP) is required; scripts/gallery builds it")

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def quiet(line: str) -> None:
        # The page revalidates the catalog every couple of seconds; unchanged answers are noise.
        if " /images 304 " not in line and "(static)" not in line:
            say(line)

    port = choose_port(args.port)
    with identity_provider(port, args.audience, say) as idp, S3Server("seaweedfs") as server:
        server.boto3_client().create_bucket(Bucket=BUCKET)
        # The upload and viewing settings of the environment reach the API (and the page learns
        # the upload prefix, which its default view lists newest first).
        settings = gallery_settings(os.environ)
        # What a deploy writes for the page, with the default scopes (the provider knows them).
        page_config = gallery_site.page_config(
            issuer=idp.issuer, client_id=idp.client_id, audience=args.audience, api_url="",
            upload_prefix=settings.get("UPLOAD_PREFIX", gallery_site.DEFAULT_UPLOAD_PREFIX))
        try:
            gallery = LocalGallery(args.bootstrap, server=server, bucket=BUCKET,
                                   verifier=JWTVerifier.from_issuer(idp.issuer, args.audience), port=port,
                                   catalog_key=args.catalog_key,
                                   env={**settings, "REQUIRED_SCOPE": args.required_scope, "OIDC_ISSUER": idp.issuer},
                                   log=quiet, page_config=page_config).start()
        except OSError as error:
            say(f"gallery: could not listen on 127.0.0.1:{port}: {error} (try --port 0 or another port)")
            return 1
        try:
            print(f"""
gallery: open {gallery.url}
and sign in as {idp.user.username} / {idp.user.password} ({idp.user.email}) on the local identity provider
(glewlwyd, {idp.issuer}; its database lives only as long as this run).

Uploads go to s3://{BUCKET}/ on a local SeaweedFS ({server.endpoint}) through presigned URLs;
the bucket has no public access. Ctrl-C stops everything.
""", flush=True)
            serve_until_stopped(gallery.api)
        finally:
            gallery.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
