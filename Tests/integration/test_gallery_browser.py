"""The gallery page in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium) loads the page from the local API, signs in with a
minted token, uploads two real image files through the file input, and sees both in the grid
with their real type, size and dimensions, their thumbnails loaded through presigned GET URLs;
then a third image arrives by drag and drop.
Behind it: the real bootstrap as the API (_HANDLER=api) and as the catalog function
(_HANDLER=catalog), fed by local_uploads.CatalogFeeder, and a real SeaweedFS.

A screenshot is saved under pytest's temporary directory (its path is printed), or in
$IMAGECAT_ARTIFACTS when that is set. Without a browser the test fails (conftest's
missing_prerequisite); scripts/setup installs one.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import re
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import missing_prerequisite
from imagecat_tools import mint_token
from imagecat_tools.local_api import JWTVerifier
from imagecat_tools.local_uploads import LocalGallery
from imagecat_tools.paths import SAMPLE_IMAGES as IMAGES
# (file, catalog type, bytes, width, height): what ImageSnifferTests knows these files to be.
UPLOADS = [
    ("rgb8.png", "png", 171, 50, 40),
    ("baseline.jpg", "jpg", 337, 40, 30),
]


def _unavailable(reason: str):
    missing_prerequisite(f"headless Chromium is needed for the gallery test: {reason} "
                         f"(scripts/setup installs it)")


@pytest.fixture
def browser(tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("the selenium Python package is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.access("/usr/bin/chromedriver", os.X_OK) else None)
    if not chromium or not driver_path:
        _unavailable("`chromium` and `chromedriver` (Debian: chromium, chromium-driver) are not both on PATH")

    # Selenium must use these binaries, never look for or download others.
    os.environ["SE_OFFLINE"] = "true"
    workdir = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1200,1000", "--no-first-run", "--no-default-browser-check",
                     "--disable-extensions", "--disable-background-networking", "--disable-sync",
                     "--disable-component-update", "--disable-default-apps", "--metrics-recording-only",
                     "--mute-audio", "--force-color-profile=srgb", "--force-prefers-reduced-motion",
                     f"--user-data-dir={workdir / 'profile'}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver_path, log_output=str(workdir / "chromedriver.log"))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except WebDriverException as error:
        log = (workdir / "chromedriver.log").read_text(errors="replace")[-2000:] if (workdir / "chromedriver.log").exists() else ""
        _unavailable(f"Chromium did not start: {error.msg}\n{log}")
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def gallery(s3_server, bootstrap_path, bucket, tmp_path):
    keys = mint_token.LocalKeys.ensure(tmp_path / "auth")
    verifier = JWTVerifier(keys.jwks, mint_token.DEFAULT_ISSUER, mint_token.DEFAULT_AUDIENCE)
    lines: list[str] = []
    with LocalGallery(bootstrap_path, server=s3_server, bucket=bucket, verifier=verifier, log=lines.append) as running:
        running.token = mint_token.mint(keys, scope="read:images")
        running.lines = lines
        yield running


def _wait(driver, what: str, condition, timeout: float = 30.0):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message=what)


def _artifact_dir(tmp_path: Path) -> Path:
    chosen = os.environ.get("IMAGECAT_ARTIFACTS")
    directory = Path(chosen) if chosen else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_sign_in_upload_two_images_and_see_them(gallery, browser, s3, bucket, tmp_path):
    # `gallery` before `browser`: the browser quits before the servers stop.
    from selenium.webdriver.common.by import By

    started = time.monotonic()
    browser.get(gallery.url)
    assert browser.title == "imagecat gallery"
    # Signed out: only the sign-in form, with a real label for the token field.
    assert browser.find_element(By.ID, "sign-in").is_displayed()
    assert not browser.find_element(By.ID, "upload").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "label[for=token]").text == "Access token"

    browser.find_element(By.ID, "token").send_keys(gallery.token)
    browser.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    _wait(browser, "the upload form after sign-in", lambda d: d.find_element(By.ID, "upload").is_displayed())
    _wait(browser, "the empty gallery", lambda d: d.find_element(By.ID, "empty").is_displayed())
    assert browser.find_element(By.ID, "who").text == "Signed in as auth0|local-user"
    assert browser.execute_script("return sessionStorage.getItem('imagecat.token')") == gallery.token

    # Two real files through the file input, in one selection (the input is `multiple`).
    file_input = browser.find_element(By.ID, "files")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=files]").text
    file_input.send_keys("\n".join(str(IMAGES / name) for name, *_ in UPLOADS))

    def cards(driver):
        found = driver.find_elements(By.CSS_SELECTOR, "#grid li.card")
        return found if len(found) == len(UPLOADS) else None

    try:
        _wait(browser, "both uploads in the grid", cards)
        _wait(browser, "both upload rows marked done",
              lambda d: len(d.find_elements(By.CSS_SELECTOR, "#uploads li[data-state=done]")) == len(UPLOADS))
        _wait(browser, "both thumbnails loaded", lambda d: d.execute_script(
            "return [...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth > 0)"))
    finally:
        screenshot = _artifact_dir(tmp_path) / "gallery.png"
        browser.save_screenshot(str(screenshot))
        print(f"\ngallery screenshot: {screenshot}")

    by_file = {card.get_attribute("data-name").rsplit("/", 1)[1]: card for card in cards(browser)}
    assert sorted(by_file) == sorted(name for name, *_ in UPLOADS)
    for name, kind, size, width, height in UPLOADS:
        card = by_file[name]
        key = card.get_attribute("data-name")
        assert key.startswith("images/uploads/"), key
        assert (card.get_attribute("data-type"), card.get_attribute("data-size")) == (kind, str(size))
        assert (card.get_attribute("data-width"), card.get_attribute("data-height")) == (str(width), str(height))
        text = card.text
        assert name in text and kind.upper() in text and f"{size} bytes" in text and f"{width} × {height}" in text, text
        image = card.find_element(By.TAG_NAME, "img")
        assert image.get_attribute("alt") == f"{name}, {kind.upper()}, {width} × {height}"
        # The thumbnail is the image itself, fetched with a presigned GET URL.
        assert browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", image) == [width, height]
        assert "X-Amz-Signature=" in image.get_attribute("src")
        # Stored privately with the signed content type, and cataloged.
        assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == ("image/png" if kind == "png" else "image/jpeg")

    status = browser.find_element(By.ID, "status")
    # One message per catalog refresh: "a.png is in the gallery." or "a.png, b.jpg are in the gallery."
    assert status.get_attribute("aria-live") == "polite" and re.search(r" (is|are) in the gallery\.$", status.text), status.text
    catalog = json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())
    assert sorted((e["type"], e["size"], e["width"], e["height"]) for e in catalog) == sorted(
        (kind, size, width, height) for _, kind, size, width, height in UPLOADS)

    # Drag and drop: a real GIF dropped on the drop zone takes the same way in.
    gif = IMAGES / "still.gif"
    browser.execute_script("""
        const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], arguments[1], {type: "image/gif"}));
        const zone = document.getElementById("drop-zone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    """, base64.b64encode(gif.read_bytes()).decode("ascii"), gif.name)
    dropped = _wait(browser, "the dropped GIF in the grid", lambda d: next(
        (c for c in d.find_elements(By.CSS_SELECTOR, "#grid li.card") if c.get_attribute("data-name").endswith("/still.gif")), None))
    assert (dropped.get_attribute("data-type"), dropped.get_attribute("data-width"), dropped.get_attribute("data-height")) == ("gif", "64", "48")

    # The page keeps polling with If-None-Match: an unchanged catalog is a 304, not a download.
    _wait(browser, "a revalidation answered 304", lambda d: any(" /images 304 " in line for line in gallery.lines), timeout=10)
    # No script error, CSP violation or failed request on the way.
    problems = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert problems == [], problems
    assert time.monotonic() - started < 60


def test_page_is_served_without_a_token_and_the_api_is_not(gallery):
    def get(path: str) -> tuple[int, dict]:
        split = urllib.parse.urlsplit(gallery.url)
        connection = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()

    for path, content_type in [("/", "text/html"), ("/index.html", "text/html"), ("/gallery.js", "text/javascript"),
                               ("/gallery.css", "text/css"), ("/favicon.svg", "image/svg+xml")]:
        status, headers = get(path)
        assert status == 200, path
        assert headers["content-type"].startswith(content_type), (path, headers)
        assert "script-src 'self'" in headers["content-security-policy"]
    for path in ["/images", "/me", "/uploads", "/../README.md", "/%2e%2e/README.md", "/web/index.html", "/.hidden",
                 "/missing.js"]:
        assert get(path)[0] == 401, f"{path} is not a static file: it goes to the API, which needs a token"
