"""The gallery's static site and its config.json: built by scripts/imagecat_tools/gallery_site.py,
which scripts/deploy runs with the stack's ApiUrl (never edited by hand)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

from imagecat_tools import gallery_site

ISSUER = "https://imagecat-test.eu.auth0.com/"
AUDIENCE = "https://imagecat.example.com/api"


def test_the_site_is_web_plus_its_config(tmp_path):
    result = subprocess.run([sys.executable, "-m", "imagecat_tools.gallery_site", "--issuer", ISSUER,
                             "--client-id", "spa123", "--audience", AUDIENCE,
                             "--api-url", "https://abc.execute-api.eu-west-1.amazonaws.com/", "--out", str(tmp_path / "site")],
                            cwd=REPO_ROOT / "scripts", capture_output=True, text=True, timeout=60, check=True)
    site = tmp_path / "site"
    assert result.stdout.strip() == str(site)
    assert sorted(p.name for p in site.iterdir()) == sorted(
        ["config.json", *(p.name for p in (REPO_ROOT / "web").iterdir() if p.is_file() and p.name != "config.json")])
    assert json.loads((site / "config.json").read_text()) == {
        "issuer": ISSUER, "clientId": "spa123", "audience": AUDIENCE,
        "apiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com"}
    assert (site / "oidc.js").read_bytes() == (REPO_ROOT / "web" / "oidc.js").read_bytes()


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


def test_deploy_writes_the_gallery_config_from_the_stack(tmp_path):
    result = subprocess.run([str(REPO_ROOT / "scripts" / "deploy"), "--issuer", ISSUER, "--audience", AUDIENCE,
                             "--client-id", "spa123", "--region", "eu-west-1", "--tool", "aws", "--dry-run"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-2] == ("api_url=\"$(aws cloudformation describe-stacks --stack-name imagecat --region eu-west-1 "
                         "--query 'Stacks[0].Outputs[?OutputKey==`ApiUrl`].OutputValue' --output text)\"")
    assert lines[-1] == (f"PYTHONPATH=scripts python3 -m imagecat_tools.gallery_site --issuer {ISSUER} "
                         f"--client-id spa123 --audience {AUDIENCE} --api-url \"$api_url\" --out dist/gallery")
