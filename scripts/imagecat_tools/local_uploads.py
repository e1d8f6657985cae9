"""Browser uploads, locally, end to end: the gallery page, the API handing out presigned URLs,
and the catalog function fed with the S3 notifications of what gets uploaded.

On AWS, S3 itself notifies the catalog function when an object is created. The local S3 server
(SeaweedFS) sends no Lambda notifications, so `CatalogFeeder` stands in for S3's notification
system, for uploads only:

    POST /uploads answered 200 with key K, valid for E seconds
      → the local API calls CatalogFeeder.watch(K, E)
      → the feeder HEADs K every 0.5 s (a SigV4-signed request) until E + 60 s have passed
      → whenever K exists with an ETag not seen before, it enqueues an `ObjectCreated:Put`
        record for K (built by s3_events) to its own local Runtime API, where
        `bootstrap` runs with _HANDLER=catalog and rebuilds K's catalog entry from the bytes.

`LocalGallery` puts the pieces together for `scripts/gallery` and the browser test: a bucket
whose CORS rules let the gallery's origin PUT and GET (and nothing else), the catalog feeder,
and the local API serving web/ without a token and the API with one.

    from imagecat_tools.local_uploads import LocalGallery
    with LocalGallery(bootstrap, server=s3_server, bucket="b", verifier=verifier) as gallery:
        print(gallery.url)

Python 3.11 standard library; boto3 only for the bucket's CORS rules (`allow_origins`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable

from . import s3_events
from .local_api import JWTVerifier, LocalAPI
from .local_runtime_api import LocalRuntimeAPI, Result
from .paths import WEB

WEB_DIR = WEB
POLL_INTERVAL = 0.5
"""Seconds between two HEADs of a watched key (the delay an upload waits for its event)."""
WATCH_GRACE = 60.0
"""Seconds a key stays watched after its URL expired: a PUT started just before the expiry
may still be sending its body."""


# -- a signed HEAD, standard library only ----------------------------------------------------

def s3_head(endpoint: str, region: str, access_key: str, secret_key: str, bucket: str, key: str,
            *, session_token: str | None = None, timeout: float = 5.0) -> tuple[int, dict[str, str]]:
    """HEAD of `bucket/key` on a path-style endpoint, SigV4-signed; returns the status and the
    lower-cased headers. S3 encodes every byte of the key but unreserved ones and `/`."""
    url = urllib.parse.urlsplit(endpoint)
    path = "/" + urllib.parse.quote(bucket, safe="") + "/" + urllib.parse.quote(key, safe="/-_.~")
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    payload_hash = hashlib.sha256(b"").hexdigest()
    headers = {"host": url.netloc, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    if session_token:
        headers["x-amz-security-token"] = session_token
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["HEAD", path, "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                           signed, payload_hash])
    scope = f"{day}/{region}/s3/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical.encode()).hexdigest()])
    signing_key = ("AWS4" + secret_key).encode()
    for part in (day, region, "s3", "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    headers["connection"] = "close"  # see S3Server.boto3_client: no kept-alive surprises
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        connection.request("HEAD", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


# -- uploads → S3 notifications → the catalog function ---------------------------------------

class CatalogFeeder:
    """A local Runtime API running `bootstrap` with _HANDLER=catalog, and a thread that turns
    new or changed objects at watched keys into `ObjectCreated:Put` notifications for it."""

    def __init__(self, bootstrap: str | Path, *, env: dict[str, str], bucket: str,
                 poll_interval: float = POLL_INTERVAL, grace: float = WATCH_GRACE,
                 log: Callable[[str], None] | None = None):
        self.bootstrap = str(bootstrap)
        self.env = dict(env)
        self.env["_HANDLER"] = "catalog"
        self.bucket = bucket
        self.poll_interval = poll_interval
        self.grace = grace
        self.log = log
        self.runtime: LocalRuntimeAPI | None = None
        self.delivered: list[dict[str, Any]] = []
        """One {"key", "etag", "size", "request_id"} per notification sent, in order."""
        self.held = threading.Event()
        """While set, no notification is sent (a test lands an upload's entry when it chooses)."""
        self._watched: dict[str, float] = {}
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "CatalogFeeder":
        self.runtime = LocalRuntimeAPI(function_timeout=30.0, on_result=self._on_result).start()
        try:
            self.runtime.spawn([self.bootstrap], env=self.env)
            self.runtime.wait_for_waiting(1, timeout=15.0)
        except BaseException:
            self.runtime.stop()
            self.runtime = None
            raise
        self._thread = threading.Thread(target=self._run, name="catalog-feeder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None

    def __enter__(self) -> "CatalogFeeder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def watch(self, key: str, expires_in: float) -> None:
        """Watch `key` until its upload URL has expired (plus the grace period)."""
        with self._lock:
            self._watched[key] = max(self._watched.get(key, 0.0), time.time() + expires_in + self.grace)

    @property
    def watched(self) -> list[str]:
        with self._lock:
            return sorted(self._watched)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            with self._lock:
                now = time.time()
                for key in [k for k, until in self._watched.items() if until < now]:
                    del self._watched[key]
                keys = list(self._watched)
            if self.held.is_set():
                continue
            for key in keys:
                try:
                    self._check(key)
                except OSError as error:
                    self._say(f"catalog feeder: HEAD {key}: {error}")

    def _check(self, key: str) -> None:
        env = self.env
        status, headers = s3_head(env["AWS_ENDPOINT_URL_S3"], env.get("AWS_REGION", "us-east-1"),
                                  env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], self.bucket, key,
                                  session_token=env.get("AWS_SESSION_TOKEN"))
        if status != 200:
            if status not in (403, 404):
                self._say(f"catalog feeder: HEAD {key}: HTTP {status}")
            return
        etag = headers.get("etag", "").strip('"')
        if self._seen.get(key) == etag:
            return
        self._seen[key] = etag
        size = int(headers.get("content-length", "0"))
        assert self.runtime is not None
        request_id = self.runtime.enqueue(s3_events.event(s3_events.record(self.bucket, key, size=size, etag=etag)))
        self.delivered.append({"key": key, "etag": etag, "size": size, "request_id": request_id})
        self._say(f"catalog feeder: {key} uploaded ({size} bytes): ObjectCreated:Put → catalog function")

    def _on_result(self, result: Result) -> None:
        if result.kind == "response":
            self._say(f"catalog function: {result.body.decode('utf-8', 'replace')}")
        else:
            self._say(f"catalog function failed: {result.error_type}: {result.body.decode('utf-8', 'replace')}")

    def _say(self, line: str) -> None:
        if self.log:
            self.log(line)


# -- the whole local setup ---------------------------------------------------------------------

def allow_origins(s3: Any, bucket: str, origins: list[str], max_age: int = 600) -> None:
    """The bucket's CORS rules: these origins may GET/HEAD objects and PUT them with the signed
    headers; nothing else. Local setup only: on AWS the template owns the bucket's CORS."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": origins,
        "AllowedMethods": ["GET", "HEAD", "PUT"],
        "AllowedHeaders": ["content-type"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": max_age,
    }]})


class LocalGallery:
    """Bucket CORS + catalog feeder + local API serving web/ (see the module doc)."""

    def __init__(self, bootstrap: str | Path, *, server: Any, bucket: str, verifier: JWTVerifier,
                 port: int = 0, catalog_key: str = "images.json", env: dict[str, str] | None = None,
                 log: Callable[[str], None] | None = None, page_config: dict | None = None):
        """`page_config`: the page's /config.json (issuer, clientId, audience, apiUrl)."""
        self.bootstrap = bootstrap
        self.server = server
        self.bucket = bucket
        self.verifier = verifier
        self.port = port
        self.catalog_key = catalog_key
        self.extra_env = dict(env or {})
        self.log = log
        self.page_config = page_config
        self.feeder: CatalogFeeder | None = None
        self.api: LocalAPI | None = None

    @property
    def url(self) -> str:
        assert self.api is not None
        return self.api.url + "/"

    def start(self) -> "LocalGallery":
        base = {"CATALOG_BUCKET": self.bucket, "CATALOG_KEY": self.catalog_key, **self.extra_env}
        try:
            self.feeder = CatalogFeeder(self.bootstrap, env=self.server.child_env(base), bucket=self.bucket,
                                        log=self.log).start()
            self.api = LocalAPI(self.bootstrap, env=self.server.child_env(base), verifier=self.verifier,
                                port=self.port, log=self.log, static_dir=WEB_DIR,
                                on_upload=self.feeder.watch, page_config=self.page_config).start()
            origins = [self.api.url, f"http://localhost:{self.api.port}"]
            allow_origins(self.server.boto3_client(), self.bucket, origins)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.feeder is not None:
            self.feeder.stop()
            self.feeder = None

    def __enter__(self) -> "LocalGallery":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
