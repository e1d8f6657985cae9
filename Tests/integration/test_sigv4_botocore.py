"""Differential test of the SigV4 signer: thousands of requests generated from a fixed seed are
signed by the product's own SigV4 code (the `sigv4-sign` tool, Sources/sigv4-sign, which calls
`SigV4Signer.signHeaders` / `presign` as S3Client does) and by botocore, written independently
and pinned in scripts/setup so that this oracle cannot drift. Four forms, one botocore signer each:

    s3-header       S3SigV4Auth       S3Client's requests: the path encoded once and never
                                      normalised, x-amz-content-sha256 signed (hash or UNSIGNED)
    s3-query        S3SigV4QueryAuth  S3Client.presignedURL: UNSIGNED-PAYLOAD, 1 s to 7 days
    generic-header  SigV4Auth         the generic form (option normalize_path): dot segments and
                                      repeated slashes removed, the path encoded twice
    generic-query   SigV4QueryAuth    the same, presigned

For each request the canonical request, the string to sign, the signature and the signed request
(the Authorization header and every header sent, or every parameter of the presigned URL, and the
encoded path) must be equal byte for byte.

Where botocore's inputs differ from ours on purpose, the generator models it (each place says
why); it never generates what botocore cannot express:
  - Generic SigV4 encodes the path twice (AWS's rule for every service but S3): botocore quotes
    the URL's already encoded path again, while our signer signs the path it is given; so the
    tool gets the URL's path as its unencoded `path` and encodes it once more itself.
  - botocore never signs hop-by-hop headers, `user-agent`, `expect` and `x-amzn-trace-id`; S3Client
    never hands such headers to the signer, so none are generated.
  - botocore signs a `Date` header instead of X-Amz-Date when there is one: not generated for
    header signing (our signer always adds X-Amz-Date).
  - botocore upper-cases the method; ours signs the method as sent (S3Client's are constants,
    all upper case): methods are generated in upper case.
  - botocore's presigners keep one value per query name (a dict) and move a generic request's
    body into the query: presigned requests get distinct names, generic ones no body.
  - HTTP field values hold visible characters, spaces and tabs (RFC 9110, 5.5); Python's
    str.split(), which botocore folds whitespace with, also splits at \\v, \\f, \\x1c-\\x1f and
    Unicode spaces, so generated values contain none of those.
  - Our options botocore has no switch for are given to botocore as the request they amount to:
    `sign_session_token: false` signs as if there were no token (the token is then added
    unsigned, which is checked), and `add_content_sha256_header` in the generic form is the
    X-Amz-Content-SHA256 header in botocore's request (botocore then signs it as the payload hash).
"""

from __future__ import annotations

import base64
import datetime
import difflib
import hashlib
import json
import random
import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from unittest import mock
from urllib.parse import quote, urlsplit

import botocore
import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from conftest import REPO_ROOT

SEED = 20240516
COUNTS = {"s3-header": 2500, "s3-query": 1500, "generic-header": 1000, "generic-query": 700}
"""Requests per form (5,700 in all, a few seconds): every feature in EXPECTED_FEATURES appears
dozens of times or more in each form (the test checks that it does)."""

# -- what requests are made of -------------------------------------------------------------------

KEY_PIECES = [
    "a", "Z", "0", "9", "photo", "IMG_0001", "x.y", "-", "_", ".", "~", " ", "  ", "+", "%", "%20",
    "%2F", "%%41", "=", "&", "?", "#", "$", "@", ":", ";", ",", "!", "*", "'", "(", ")", "[", "]",
    "{", "}", "|", "^", "`", '"', "<", ">", "\\", "é", "ü", "ß", "ሴ", "日本語", "😀", "\u00a0",
    "\u200b", "e\u0301",
]
"""Object-key material: reserved and unreserved characters, what looks already encoded,
spaces, `+`, `%`, and UTF-8 of 2, 3 and 4 bytes (and one combining sequence)."""

QUERY_NAMES = ["prefix", "delimiter", "max-keys", "list-type", "continuation-token", "start-after",
               "uploads", "uploadId", "partNumber", "versionId", "tagging", "acl", "x-id",
               "response-content-disposition", "response-content-type", "encoding-type",
               "fetch-owner", "Prefix", "a", "b c", "ключ", "x+y", "%", "=", "", "name/with/slash"]

HEADER_NAMES = ["Content-Type", "Content-MD5", "Content-Disposition", "Content-Encoding",
                "Content-Language", "Cache-Control", "Range", "If-Match", "If-None-Match",
                "If-Modified-Since", "x-amz-meta-author", "X-Amz-Meta-Title", "x-amz-meta-a_b",
                "x-amz-storage-class", "x-amz-acl", "x-amz-tagging", "x-amz-server-side-encryption",
                "X-Amz-Copy-Source", "x-amz-checksum-crc32", "x-amz-request-payer", "X-Custom",
                "x-amz-expected-bucket-owner", "Content-Length", "x-amz-meta-odd!#$&'*+.^_`|~"]
"""Headers S3Client or a browser using a presigned URL may send (signed), plus a name with every
token character; never a hop-by-hop header, User-Agent, Expect, X-Amzn-Trace-Id or Date."""

VALUE_PIECES = ["text/plain", "bytes=0-9", '"etag"', "*", "a", "b", "1", "image/png; charset=x",
                "attachment; filename=\"a b.png\"", "é", "ü", "日本", "😀", "=", "+", "/", ",", ";",
                "%20", "\\", "AES256"]
"""Header-value material: visible ASCII and non-ASCII characters that are not whitespace in
Python (see the module doc); whitespace is added separately."""

WHITESPACE = [" ", "  ", "\t", " \t ", "   "]

REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2", "cn-north-1",
           "us-gov-west-1", "me-south-1"]
SERVICES = ["service", "sts", "execute-api", "iam", "sqs", "lambda", "dynamodb", "es"]
HOSTS = ["examplebucket.s3.amazonaws.com", "s3.us-west-2.amazonaws.com", "127.0.0.1:8333",
         "localhost:9000", "[::1]:8333", "example.amazonaws.com"]
BUCKETS = ["examplebucket", "imagecat-test-0a1b2c", "my.dotted.bucket", "abc"]
BASE64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Hop-by-hop and other headers botocore never signs (botocore.auth.SIGNED_HEADERS_BLACKLIST).
UNSIGNED_BY_BOTOCORE = set(botocore.auth.SIGNED_HEADERS_BLACKLIST)


@dataclass
class Case:
    """One generated request: the line for sigv4-sign and what botocore needs for the same."""
    form: str
    tool: dict
    url: str
    params: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    token: str | None
    sign_token: bool
    context: dict = field(default_factory=dict)
    features: set[str] = field(default_factory=set)


def text(rng: random.Random, pieces: list[str], low: int, high: int) -> str:
    return "".join(rng.choice(pieces) for _ in range(rng.randint(low, high)))


def raw_path(rng: random.Random, features: set[str]) -> str:
    """An unencoded path as S3Addressing builds it (/bucket/key or /key), with repeated slashes,
    `.` and `..` segments and a trailing slash now and then."""
    segments = []
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        special = "" if roll < 0.08 else "." if roll < 0.14 else ".." if roll < 0.2 else None
        if special is None:
            segments.append(text(rng, KEY_PIECES, 1, 6))
        else:
            segments.append(special)
            features.add({"": "empty segment (//)", ".": "dot segment", "..": "dot-dot segment"}[special])
    key = "/".join(segments) + ("/" if rng.random() < 0.1 else "")
    if any(ord(c) > 127 for c in key):
        features.add("non-ASCII path")
    if "+" in key or "%" in key or " " in key:
        features.add("path with + % or space")
    style = rng.random()
    if style < 0.05:
        return "/"
    if style < 0.5:
        return "/" + key
    return "/" + rng.choice(BUCKETS) + "/" + key


def query_pairs(rng: random.Random, features: set[str], distinct: bool) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 4, 5])):
        name = rng.choice(QUERY_NAMES) if rng.random() < 0.8 else text(rng, KEY_PIECES, 1, 4)
        if distinct and any(name == n for n, _ in pairs):
            continue
        value = "" if rng.random() < 0.2 else text(rng, KEY_PIECES, 1, 5)
        pairs.append((name, value))
        if not distinct and rng.random() < 0.2:
            pairs.append((name, rng.choice(["", value, text(rng, KEY_PIECES, 1, 3)])))
            features.add("repeated query name")
    if any(v == "" for _, v in pairs):
        features.add("empty query value")
    if any(any(c in n + v for c in "+%/ =&") or any(ord(c) > 127 for c in n + v) for n, v in pairs):
        features.add("query needing encoding")
    return pairs


def header_value(rng: random.Random, features: set[str]) -> str:
    words = [text(rng, VALUE_PIECES, 1, 3) for _ in range(rng.randint(0, 3))]
    value = ""
    for i, word in enumerate(words):
        value += (rng.choice(WHITESPACE) if i and rng.random() < 0.4 else (" " if i else "")) + word
    if rng.random() < 0.25:
        value = rng.choice(WHITESPACE) + value + rng.choice(WHITESPACE)
        features.add("header value with extra whitespace")
    if rng.random() < 0.03 and value:
        value = value + "\r\n " + "continued"  # an obsolete line fold: both fold it to one space
        features.add("folded header value")
    return value


def header_list(rng: random.Random, host: str, features: set[str], *, also: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Host (any case) first, then 0-5 headers, now and then one name twice (in another case),
    and now and then each of `also`."""
    headers = [(rng.choice(["Host", "host", "HOST"]), host)]
    for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
        name = rng.choice(HEADER_NAMES)
        if rng.random() < 0.2:
            name = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)
        headers.append((name, header_value(rng, features)))
        if rng.random() < 0.15:
            headers.append((name.lower() if rng.random() < 0.5 else name, header_value(rng, features)))
            features.add("repeated header")
    for name in also:
        if rng.random() < 0.1:
            headers.append((name, header_value(rng, features)))
    assert not {n.lower() for n, _ in headers} & UNSIGNED_BY_BOTOCORE
    return headers


def credentials(rng: random.Random, features: set[str], token_odds: float) -> tuple[dict, str | None]:
    creds = {"access_key_id": rng.choice(["AKIA", "ASIA"]) + text(rng, list("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 16, 16),
             "secret_access_key": text(rng, list(BASE64_CHARS), 40, 40)}
    token = None
    if rng.random() < token_odds:
        token = text(rng, list(BASE64_CHARS), 40, 400) + rng.choice(["", "=", "=="])
        creds["session_token"] = token
        features.add("session token")
    return creds, token


def expires(rng: random.Random) -> int:
    return rng.choice([1, 604800, 3600, 86400, rng.randint(1, 604800), rng.randint(1, 120)])


def generate(form: str, rng: random.Random) -> Case:
    features: set[str] = set()
    s3 = form.startswith("s3")
    query_mode = form.endswith("query")
    method = rng.choice(["GET", "GET", "PUT", "HEAD", "DELETE", "POST"])
    host = rng.choice(HOSTS)
    path = raw_path(rng, features)
    params = query_pairs(rng, features, distinct=query_mode)
    # A presigned URL may sign X-Amz-Date as a header too (its user sends it); header signing
    # adds its own, so there it is not generated.
    headers = header_list(rng, host, features, also=("X-Amz-Date", "X-Amz-Meta-Date") if query_mode else ())
    creds, token = credentials(rng, features, 0.3)
    sign_token = True
    if token and not s3 and rng.random() < 0.3:
        sign_token = False  # the few services that add the token after signing (STS-style)
        features.add("session token not signed")
    signing_time = rng.randint(946_684_800, 4_102_444_799)  # 2000-01-01 .. 2099-12-31
    tool = {"method": method, "query": [list(p) for p in params], "headers": [list(h) for h in headers],
            "credentials": creds, "region": rng.choice(REGIONS), "service": "s3" if s3 else rng.choice(SERVICES),
            "time": signing_time}
    context: dict = {}
    body = b""
    options: dict = {}

    if s3:
        wire_path = quote(path, safe="/~")  # an encoder independent of ours: urllib's
        tool["path"] = path
    else:
        # Generic SigV4 encodes the path twice (see the module doc): botocore gets the encoded
        # path in its URL; the tool gets that same text as its unencoded path.
        wire_path = quote(path, safe="/~")
        tool["path"] = wire_path
        options["normalize_path"] = True

    if query_mode:
        tool["mode"] = "query"
        tool["expires"] = expires(rng)
        features.add(f"expires {tool['expires']}" if tool["expires"] in (1, 604800) else "expires other")
        # S3 presigned URLs never sign the payload; a generic presigner has no body (see doc).
        tool["payload_hash" if s3 else "body_base64"] = "UNSIGNED-PAYLOAD" if s3 else ""
    else:
        tool["mode"] = "header"
        if not s3:
            options["add_content_sha256_header"] = rng.random() < 0.5
        if rng.random() < 0.2 and (s3 or options["add_content_sha256_header"]):
            tool["payload_hash"] = "UNSIGNED-PAYLOAD"
            features.add("unsigned payload")
            if s3:
                context["client_config"] = Config(s3={"payload_signing_enabled": False})
            else:
                context["payload_signing_enabled"] = False
        else:
            body = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 1, 21, 200])))
            tool["body_base64"] = base64.b64encode(body).decode()
            features.add("signed payload" if body else "empty payload")
            if not s3 and options["add_content_sha256_header"]:
                headers = headers + [("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())]
    if not sign_token:
        options["sign_session_token"] = False
    if options:
        tool["options"] = options
    return Case(form=form, tool=tool, url=f"https://{host}{wire_path}", params=params, headers=headers,
                body=body, token=token, sign_token=sign_token, context=context, features=features)


# -- botocore's side -------------------------------------------------------------------------------

SIGNERS = {"s3-header": S3SigV4Auth, "s3-query": S3SigV4QueryAuth,
           "generic-header": SigV4Auth, "generic-query": SigV4QueryAuth}


def botocore_sign(case: Case, clock: list) -> dict:
    """Signs `case` with botocore's signer for its form; records the three steps as add_auth
    computes them (calling them again afterwards would see the Authorization header)."""
    tool = case.tool
    creds = Credentials(tool["credentials"]["access_key_id"], tool["credentials"]["secret_access_key"],
                        case.token if case.sign_token else None)
    signer_class = SIGNERS[case.form]
    if tool["mode"] == "query":
        auth = signer_class(creds, tool["service"], tool["region"], expires=tool["expires"])
    else:
        auth = signer_class(creds, tool["service"], tool["region"])
    request = AWSRequest(method=tool["method"], url=case.url, data=case.body, params=list(case.params))
    for name, value in case.headers:
        request.headers[name] = value  # appends: repeated names stay repeated
    request.context.update(case.context)

    seen: dict = {}
    for step in ("canonical_request", "string_to_sign", "signature"):
        def record(*args, _step=step, _original=getattr(auth, step)):
            seen[_step] = _original(*args)
            return seen[_step]
        setattr(auth, step, record)
    clock[0] = datetime.datetime.fromtimestamp(tool["time"], datetime.timezone.utc).replace(tzinfo=None)
    auth.add_auth(request)

    if case.form.startswith("s3"):  # the path as sent (the generic forms sign a second encoding of it)
        seen["path"] = urlsplit(request.url).path
    # `sign_session_token: false` (see the module doc): botocore signed without the token, which
    # then travels unsigned: expected as a header or URL parameter all the same.
    unsigned_token = [] if case.sign_token else [("X-Amz-Security-Token", case.token)]
    if tool["mode"] == "query":
        seen["query"] = sorted(urlsplit(request.url).query.split("&")
                               + [f"{n}={quote(v, safe='-_.~')}" for n, v in unsigned_token])
    else:
        seen["authorization"] = request.headers["Authorization"]
        seen["headers"] = sorted((n.lower(), v) for n, v in list(request.headers.items()) + unsigned_token)
    return seen


def ours_as_botocore_sees_it(case: Case, ours: dict) -> dict:
    """Our tool's output in the shape of `botocore_sign`'s: the signed request as it would go out."""
    view = {step: ours[step] for step in ("canonical_request", "string_to_sign", "signature")}
    if case.tool["mode"] == "query":
        view["query"] = sorted(ours["query_string"].split("&"))
    else:
        view["authorization"] = ours["authorization"]
        sent = [tuple(h) for h in case.tool["headers"]] + [tuple(h) for h in ours["added_headers"]]
        view["headers"] = sorted((n.lower(), v) for n, v in sent)
    if case.form.startswith("s3"):
        view["path"] = ours["encoded_path"]
    return view


def describe_mismatch(case: Case, ours: dict, theirs: dict, fields: list[str]) -> str:
    """The request and both canonical requests, whole, as a diff (escapes make tabs and line
    breaks inside values visible), then every other field that differs."""
    def visible(text: str) -> list[str]:
        return [repr(line)[1:-1] for line in text.split("\n")]
    diff = "\n".join(difflib.unified_diff(visible(theirs["canonical_request"]), visible(ours["canonical_request"]),
                                          "botocore", "sigv4-sign", n=100, lineterm=""))
    extra = "".join(f"\n  {f}:\n    botocore:   {theirs.get(f)!r}\n    sigv4-sign: {ours.get(f)!r}"
                    for f in fields if f != "canonical_request")
    return (f"{case.form}: {', '.join(fields)} differ\n  request (sigv4-sign input): {json.dumps(case.tool, ensure_ascii=False)}\n"
            f"  canonical request diff (botocore → ours):\n{diff or '    (equal)'}{extra}")


# -- the test --------------------------------------------------------------------------------------

def run_tool(tool_path, lines: list[str]) -> list[dict]:
    run = subprocess.run([str(tool_path)], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"sigv4-sign failed ({run.returncode}): {run.stderr[-2000:]}"
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(out) == len(lines), f"sigv4-sign answered {len(out)} lines for {len(lines)} requests"
    return out


# Every form must exercise these, many times over (the generator could otherwise lose one silently).
EXPECTED_FEATURES = {
    "s3-header": {"session token", "unsigned payload", "signed payload", "empty payload", "repeated header",
                  "repeated query name", "empty query value", "query needing encoding", "non-ASCII path",
                  "path with + % or space", "empty segment (//)", "dot segment", "dot-dot segment",
                  "header value with extra whitespace", "folded header value"},
    "s3-query": {"session token", "expires 1", "expires 604800", "expires other", "repeated header",
                 "empty query value", "query needing encoding", "non-ASCII path", "path with + % or space",
                 "empty segment (//)", "dot segment", "dot-dot segment", "header value with extra whitespace"},
    "generic-header": {"session token", "session token not signed", "unsigned payload", "signed payload",
                       "repeated query name", "empty segment (//)", "dot segment", "dot-dot segment",
                       "non-ASCII path", "header value with extra whitespace"},
    "generic-query": {"session token", "session token not signed", "expires 604800", "empty segment (//)",
                      "dot segment", "dot-dot segment", "non-ASCII path", "query needing encoding"},
}


@pytest.mark.parametrize("form", list(COUNTS))
def test_signer_matches_botocore(form, sigv4_sign_path):
    started = time.monotonic()
    rng = random.Random(f"{SEED}-{form}")
    cases = [generate(form, rng) for _ in range(COUNTS[form])]
    ours = run_tool(sigv4_sign_path, [json.dumps(c.tool, ensure_ascii=False) for c in cases])

    clock = [None]
    mismatches = []
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *args, **kwargs: clock[0]):
        for case, out in zip(cases, ours):
            theirs = botocore_sign(case, clock)
            view = ours_as_botocore_sees_it(case, out)
            fields = [k for k in ("canonical_request", "string_to_sign", "signature", "authorization",
                                  "headers", "query", "path") if view.get(k) != theirs.get(k)]
            if fields:
                mismatches.append(describe_mismatch(case, view, theirs, fields))

    features = Counter(f for c in cases for f in c.features)
    print(f"\n{form}: {len(cases)} requests compared with botocore {botocore.__version__}, "
          f"{len(mismatches)} mismatches, {time.monotonic() - started:.1f} s; features: {dict(sorted(features.items()))}")
    if mismatches:
        pytest.fail(f"{len(mismatches)} of {len(cases)} {form} requests differ from botocore; the first:\n"
                    + "\n\n".join(mismatches[:3]), pytrace=False)
    rare = {f: features[f] for f in EXPECTED_FEATURES[form] if features[f] < 5}
    assert not rare, f"the generator made too few {form} requests with {rare}"


def test_sign_tool_names_the_bad_line_and_field(sigv4_sign_path):
    good = {"method": "GET", "path": "/", "headers": [["Host", "h"]], "payload_hash": "UNSIGNED-PAYLOAD",
            "credentials": {"access_key_id": "AK", "secret_access_key": "SK"}, "region": "us-east-1",
            "service": "s3", "time": 0, "mode": "header"}
    assert len(run_tool(sigv4_sign_path, [json.dumps(good)])) == 1
    for broken, message in [({**good, "expires": 5}, "line 2: expires: only for mode query"),
                            ({**good, "mode": "query"}, "line 2: expires: missing"),
                            ({**good, "pth": "/"}, "line 2: pth: unknown field"),
                            ({**good, "body_base64": "AA=="}, "line 2: body_base64: give exactly one"),
                            ({**good, "options": {"normalise": True}}, "line 2: options.normalise: unknown option")]:
        run = subprocess.run([str(sigv4_sign_path)], input=json.dumps(good) + "\n" + json.dumps(broken) + "\n",
                             capture_output=True, text=True, timeout=30)
        assert run.returncode == 1 and message in run.stderr, (broken, run.returncode, run.stderr)
        assert len(run.stdout.splitlines()) == 1, "the good line before the bad one was answered"


def test_botocore_is_the_version_scripts_setup_pins():
    """The oracle is the botocore scripts/setup installs; any other could compare differently."""
    pinned = re.search(r"^boto_version=(\S+)$", (REPO_ROOT / "scripts" / "setup").read_text(), re.M)
    assert pinned, "scripts/setup no longer pins boto_version"
    assert botocore.__version__ == pinned.group(1), (
        f"botocore {botocore.__version__} is installed, scripts/setup pins {pinned.group(1)}: run scripts/setup")
