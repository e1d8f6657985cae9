"""The gallery's static site and its config.json: built by scripts/imagecat_tools/gallery_site.py,
which scripts/deploy runs with the stack's ApiUrl (never edited by hand)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from template_model import Stack

from imagecat_tools import gallery, gallery_site

ISSUER = "https://imagecat-test.eu.auth0.com/"
AUDIENCE = "https://imagecat.example.com/api"


def test_the_site_is_web_plus_its_config(tmp_path):
    result = subprocess.run([sys.executable, "-m", "imagecat_tools.gallery_site", "--issuer", ISSUER,
                             "--client-id", "spa123", "--audience", AUDIENCE,
                             "--api-url", "https://abc.execute-api.eu-west-1.amazonaws.com/", "--out", str(tmp_path / "site")],
                            cwd=REPO_ROOT / "scripts", capture_output=True, text=True, timeout=60, check=True)  # quiet: 0.13 s
    site = tmp_path / "site"
    assert result.stdout.strip() == str(site)
    assert sorted(p.name for p in site.iterdir()) == sorted(
        ["config.json", *(p.name for p in (REPO_ROOT / "web").iterdir() if p.is_file() and p.name != "config.json")])
    assert json.loads((site / "config.json").read_text()) == {
        "issuer": ISSUER, "clientId": "spa123", "audience": AUDIENCE,
        "apiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com", "scopes": "read:images write:images",
        "uploadPrefix": "images/uploads/"}
    assert (site / "oidc.js").read_bytes() == (REPO_ROOT / "web" / "oidc.js").read_bytes()


def csp_of(index_html: str) -> dict[str, list[str]]:
    """The directives of the page's one Content-Security-Policy <meta>."""
    found = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', index_html)
    assert len(found) == 1, index_html
    directives = {}
    for directive in found[0].split(";"):
        name, *values = directive.split()
        assert name not in directives, name
        directives[name] = values
    return directives


def test_the_built_page_carries_a_content_security_policy(tmp_path):
    """A static host adds no headers: the page's own <meta> limits it to its files, the identity
    provider, the API and S3 in the API's region, before any script runs."""
    config = gallery_site.page_config(issuer="https://tenant.eu.auth0.com/", client_id="spa", audience=AUDIENCE,
                                      api_url="https://abc123.execute-api.eu-west-1.amazonaws.com")
    site = gallery_site.build(tmp_path / "site", config)
    html = (site / "index.html").read_text()
    policy = csp_of(html)
    s3 = ["https://*.s3.eu-west-1.amazonaws.com", "https://s3.eu-west-1.amazonaws.com"]
    assert policy == {
        "default-src": ["'none'"], "script-src": ["'self'"], "style-src": ["'self'"],
        "img-src": ["'self'", *s3],
        "connect-src": ["'self'", "https://tenant.eu.auth0.com", "https://abc123.execute-api.eu-west-1.amazonaws.com", *s3],
        "base-uri": ["'none'"], "form-action": ["'none'"]}
    assert html.index("Content-Security-Policy") < html.index("<script"), "the policy must precede the scripts"
    # Everything else is web/index.html as it is.
    original = (REPO_ROOT / "web" / "index.html").read_text()
    assert re.sub(r'\n  <meta http-equiv="Content-Security-Policy"[^>]*>', "", html) == original
    assert "Content-Security-Policy" not in original

    # An API URL that names no region (a custom domain): any AWS host, and the page's origin API.
    same_origin = gallery_site.build(tmp_path / "same", gallery_site.page_config(
        issuer="https://login.example.com/", client_id="spa", audience=AUDIENCE, api_url=""))
    policy = csp_of((same_origin / "index.html").read_text())
    assert policy["connect-src"] == ["'self'", "https://login.example.com", "https://*.amazonaws.com"]
    assert policy["img-src"] == ["'self'", "https://*.amazonaws.com"]


def test_s3_origin_can_be_given(tmp_path):
    subprocess.run([sys.executable, "-m", "imagecat_tools.gallery_site", "--issuer", ISSUER, "--client-id", "spa",
                    "--audience", AUDIENCE, "--s3-origin", "https://my-bucket.s3.eu-central-1.amazonaws.com",
                    "--out", str(tmp_path / "site")],
                   cwd=REPO_ROOT / "scripts", capture_output=True, text=True, timeout=60, check=True)  # quiet: 0.13 s
    policy = csp_of((tmp_path / "site" / "index.html").read_text())
    assert policy["img-src"] == ["'self'", "https://my-bucket.s3.eu-central-1.amazonaws.com"]
    bad = subprocess.run([sys.executable, "-m", "imagecat_tools.gallery_site", "--issuer", ISSUER, "--client-id", "spa",
                          "--audience", AUDIENCE, "--s3-origin", 'https://x" onload="y', "--out", str(tmp_path / "bad")],
                         cwd=REPO_ROOT / "scripts", capture_output=True, text=True, timeout=60)  # quiet: 0.12 s
    assert bad.returncode != 0 and "--s3-origin" in bad.stderr and not (tmp_path / "bad").exists()


@pytest.mark.parametrize("scopes, expected", [
    ("read:images write:images", "read:images write:images"),
    ("", ""),                                   # an API that checks no scope
    ("  read:images   read:images ", "read:images"),
])
def test_scopes_go_to_the_config(scopes, expected):
    config = gallery_site.page_config(issuer=ISSUER, client_id="spa", audience=AUDIENCE, api_url="", scopes=scopes)
    assert config["scopes"] == expected


def test_scopes_default_and_bad_scopes():
    assert gallery_site.page_config(issuer=ISSUER, client_id="spa", audience=AUDIENCE, api_url="")["scopes"] == \
        "read:images write:images"
    for bad in ('read:"images', "read:images\\"):
        with pytest.raises(ValueError, match="scopes"):
            gallery_site.page_config(issuer=ISSUER, client_id="spa", audience=AUDIENCE, api_url="", scopes=bad)


def test_the_page_takes_its_scopes_from_the_config():
    """web/oidc.js asks for openid email profile plus config.json's scopes, and hard-codes none."""
    script = (REPO_ROOT / "web" / "oidc.js").read_text()
    assert "read:images" not in script and "write:images" not in script
    assert "scope: `${OIDC_SCOPE} ${config.scopes}`.trim()" in script


@pytest.mark.parametrize("issuer, api_url, client_id", [
    ("http://tenant.auth0.com/", "", "spa"),                 # an issuer without TLS
    ("https://tenant.auth0.com/?x=1", "", "spa"),            # query
    (ISSUER, "http://api.example.com", "spa"),               # an API without TLS
    (ISSUER, "", " "),                                       # no client id
])
def test_bad_settings_are_refused(issuer, api_url, client_id):
    with pytest.raises(ValueError):
        gallery_site.page_config(issuer=issuer, client_id=client_id, audience=AUDIENCE, api_url=api_url)


def test_local_http_is_allowed():
    config = gallery_site.page_config(issuer="http://127.0.0.1:4593/api/oidc", client_id="c", audience=AUDIENCE,
                                      api_url="")
    assert config["apiUrl"] == ""


def output(name: str) -> str:
    return ("\"$(aws cloudformation describe-stacks --stack-name imagecat --region eu-west-1 "
            f"--query 'Stacks[0].Outputs[?OutputKey==`{name}`].OutputValue' --output text)\"")


def test_deploy_writes_the_gallery_config_from_the_stack(tmp_path):
    result = subprocess.run([str(REPO_ROOT / "scripts" / "deploy"), "--issuer", ISSUER, "--audience", AUDIENCE,
                             "--client-id", "spa123", "--region", "eu-west-1", "--tool", "aws", "--dry-run"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)  # quiet: 6.5 s
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-5:] == [
        "api_url=" + output("ApiUrl"),
        # The page's connect-src and img-src name the images bucket's own host.
        "s3_origin=" + output("ImagesBucketOrigin"),
        # The scopes and upload prefix the stack has, also when this deploy left them out.
        "scopes=" + output("GalleryScopes"),
        "upload_prefix=" + output("UploadPrefix"),
        f"PYTHONPATH=scripts python3 -m imagecat_tools.gallery_site --issuer {ISSUER} --client-id spa123 "
        f"--audience {AUDIENCE} --scopes \"$scopes\" --upload-prefix \"$upload_prefix\" --api-url \"$api_url\" "
        "--s3-origin \"$s3_origin\" --out dist/gallery"]
    assert "GalleryHosting" not in result.stdout and "cloudfront" not in result.stdout


def test_deploy_can_host_the_gallery(tmp_path):
    """--gallery-hosting: the stack hosts it (GalleryHosting=CloudFront), and after the stack the
    built site goes to the gallery bucket and CloudFront's cache is invalidated."""
    result = subprocess.run([str(REPO_ROOT / "scripts" / "deploy"), "--issuer", ISSUER, "--audience", AUDIENCE,
                             "--client-id", "spa123", "--region", "eu-west-1", "--tool", "aws", "--dry-run",
                             "--gallery-hosting"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "GalleryHosting=CloudFront" in lines[1]
    assert lines[-5:] == [
        "gallery_bucket=" + output("GalleryBucketName"),
        'aws s3 sync dist/gallery "s3://$gallery_bucket/" --delete --region eu-west-1',
        "aws cloudfront create-invalidation --distribution-id " + output("GalleryDistributionId") + " --paths '/*'",
        "gallery_url=" + output("GalleryUrl"),
        'echo "deploy: the gallery is at $gallery_url (register it with the identity provider)" >&2']
    assert lines[-6].startswith("PYTHONPATH=scripts python3 -m imagecat_tools.gallery_site ")
    for args, complaint in ((["--gallery-hosting"], "--gallery-hosting needs --client-id"),
                            (["--gallery-hosting", "--client-id", "x", "--gallery-origin", "https://g.example.com"],
                             "exclude each other")):
        refused = subprocess.run([str(REPO_ROOT / "scripts" / "deploy"), "--issuer", ISSUER, "--audience", AUDIENCE,
                                  "--tool", "aws", "--dry-run", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                                 timeout=300)
        assert refused.returncode != 0 and complaint in refused.stderr, refused.stderr


def run_gallery_line(tmp_path, deploy_args, stack_parameters) -> dict:
    """The gallery command scripts/deploy prints, run as the deploy would run it, with each
    stack output it reads evaluated from template.yaml for `stack_parameters` (what the stack
    has, whatever this deploy was given). Returns config.json."""
    result = subprocess.run([str(REPO_ROOT / "scripts" / "deploy"), "--issuer", ISSUER, "--audience", AUDIENCE,
                             "--client-id", "spa123", "--tool", "aws", "--dry-run", *deploy_args],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)  # quiet: 6.5 s
    assert result.returncode == 0, result.stderr
    stack = Stack(REPO_ROOT / "template.yaml", **stack_parameters)
    outputs = {name: stack.resolve(spec["Value"]) for name, spec in stack.cfn["Outputs"].items()
               if "Condition" not in spec or stack.condition(spec["Condition"])}
    lines = result.stdout.strip().splitlines()
    script = []
    for line in lines[lines.index(next(x for x in lines if x.startswith("api_url="))):]:
        match = re.match(r"^(\w+)=\"\$\(aws cloudformation describe-stacks .*OutputKey==`(\w+)`.*\)\"$", line)
        script.append(f"{match.group(1)}={shlex.quote(outputs[match.group(2)])}" if match else line)
    (tmp_path / "scripts").symlink_to(REPO_ROOT / "scripts")
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, check=True, timeout=60, capture_output=True,
                   env=dict(os.environ, PYTHONPATH=""))  # quiet: 0.27 s
    return json.loads((tmp_path / "dist" / "gallery" / "config.json").read_text())


@pytest.mark.parametrize("parameters, scopes", [
    ({"RequiredScope": "read:images", "UploadScope": "write:images"}, "read:images write:images"),
    ({"RequiredScope": "read:images"}, "read:images"),          # UploadScope defaults to RequiredScope
    ({"UploadScope": "write:images"}, "write:images"),
    ({"RequiredScope": "read:images", "UploadScope": "read:images"}, "read:images"),
    ({}, ""),
])
def test_deploy_gives_the_page_its_scopes(tmp_path, parameters, scopes):
    """config.json gets the stack's RequiredScope and UploadScope (its GalleryScopes output), also
    on a redeploy that does not name them."""
    config = run_gallery_line(tmp_path, [], parameters)
    assert config["scopes"] == scopes
    assert config["apiUrl"].startswith("https://") and config["apiUrl"].endswith(".execute-api.eu-west-1.amazonaws.com")
    policy = csp_of((tmp_path / "dist" / "gallery" / "index.html").read_text())
    assert policy["img-src"] == ["'self'", "https://imagecat-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com"], \
        "pinned to the images bucket's own host"
    assert config["uploadPrefix"] == "images/uploads/"


def test_deploy_gives_the_page_the_apis_upload_prefix(tmp_path):
    """The page lists the API's UPLOAD_PREFIX (ImagesPrefix + uploads/) newest first, from the
    stack's UploadPrefix output: the stack's value, also when this deploy does not name it."""
    assert run_gallery_line(tmp_path, [], {"ImagesPrefix": "photos/"})["uploadPrefix"] == "photos/uploads/"
    template = (REPO_ROOT / "template.yaml").read_text()
    assert 'UPLOAD_PREFIX: !Sub "${ImagesPrefix}uploads/"' in template
    assert 'Value: !Sub "${ImagesPrefix}uploads/"' in template


def test_upload_prefix_goes_to_the_config(tmp_path):
    config = gallery_site.page_config(issuer=ISSUER, client_id="spa", audience=AUDIENCE, api_url="",
                                      upload_prefix="photos/new/")
    assert config["uploadPrefix"] == "photos/new/"
    subprocess.run([sys.executable, "-m", "imagecat_tools.gallery_site", "--issuer", ISSUER, "--client-id", "spa",
                    "--audience", AUDIENCE, "--upload-prefix", "u/ploads/", "--out", str(tmp_path / "site")],
                   cwd=REPO_ROOT / "scripts", capture_output=True, text=True, timeout=60, check=True)
    assert json.loads((tmp_path / "site" / "config.json").read_text())["uploadPrefix"] == "u/ploads/"
    for bad in ("images/uploads", "/images/", "", "images/\n/", "x" * 1024 + "/"):
        with pytest.raises(ValueError, match="upload prefix"):
            gallery_site.page_config(issuer=ISSUER, client_id="spa", audience=AUDIENCE, api_url="", upload_prefix=bad)


def test_the_page_takes_its_upload_prefix_from_the_config():
    """web/gallery.js lists config.json's uploadPrefix newest first; the default is the API's."""
    script = (REPO_ROOT / "web" / "gallery.js").read_text()
    assert "config.uploadPrefix" in script
    assert f'const DEFAULT_UPLOAD_PREFIX = "{gallery_site.DEFAULT_UPLOAD_PREFIX}";' in script


def test_scripts_gallery_passes_the_upload_and_viewing_settings():
    """scripts/gallery's environment reaches the API (and the page's uploadPrefix); nothing else
    of it does, and empty values count as unset."""
    environ = {"UPLOAD_PREFIX": "photos/new/", "VIEW_URL_EXPIRES_SECONDS": "60", "MAX_UPLOAD_BYTES": "",
               "HOME": "/home/x", "AWS_SECRET_ACCESS_KEY": "secret"}
    assert gallery.gallery_settings(environ) == {"UPLOAD_PREFIX": "photos/new/", "VIEW_URL_EXPIRES_SECONDS": "60"}
