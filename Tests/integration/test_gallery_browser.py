"""The gallery page in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium) loads the page from the local API, signs in on the local
identity provider's own login page (glewlwyd: OpenID Connect code flow with PKCE), uploads two
real image files through the file input, and sees both in the grid with their real type, size
and dimensions, their thumbnails loaded through presigned GET URLs; then a third image arrives by
drag and drop; then it signs out, at the provider too. A callback with a forged `state` is
refused. Twelve files dropped at once go up four at a time (through throttling and an expired
URL), and a 30-day session does not spin the page's expiry timer. A throttled POST /uploads is
asked again after the page's backoff even when its Retry-After says not to wait, and signing
out fails the queued uploads and stops looking for the uploaded ones.
Behind it: glewlwyd, the real bootstrap as the API (_HANDLER=api) and as the catalog function
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
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import missing_prerequisite, user_record_key
from imagecat_tools import gallery_site
from imagecat_tools.local_api import JWTVerifier
from imagecat_tools.local_uploads import LocalGallery
from imagecat_tools.oidc_provider import OIDCProvider, free_port
from imagecat_tools.paths import SAMPLE_IMAGES as IMAGES

AUDIENCE = "https://imagecat.example.com/api"
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
    # "performance": the DevTools network events, which test_gallery_feed counts requests from.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
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
def gallery(request, s3_server, bootstrap_path, bucket):
    """The page and API on 127.0.0.1:PORT, trusting a glewlwyd whose public client may come back
    to exactly that page. The API needs `write:images` for uploads, as deployed. Indirect
    parameters: more of the API's environment (e.g. {"VIEW_URL_EXPIRES_SECONDS": "2"})."""
    extra_env = getattr(request, "param", {})
    port = free_port()
    page = f"http://127.0.0.1:{port}/"
    lines: list[str] = []
    with OIDCProvider(redirect_uris=[page], audience=AUDIENCE) as idp:
        verifier = JWTVerifier.from_issuer(idp.issuer, AUDIENCE)
        config = gallery_site.page_config(
            issuer=idp.issuer, client_id=idp.client_id, audience=AUDIENCE, api_url="",
            upload_prefix=extra_env.get("UPLOAD_PREFIX", gallery_site.DEFAULT_UPLOAD_PREFIX))
        with LocalGallery(bootstrap_path, server=s3_server, bucket=bucket, verifier=verifier, port=port,
                          env={"REQUIRED_SCOPE": "read:images", "UPLOAD_SCOPE": "write:images", "OIDC_ISSUER": idp.issuer,
                               **extra_env},
                          log=lines.append, page_config=config) as running:
            running.idp = idp
            running.verifier = verifier
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


def _session(browser) -> dict | None:
    return browser.execute_script("return JSON.parse(sessionStorage.getItem('imagecat.oidc.session'))")


def _sign_in(browser, gallery, shots: Path | None = None) -> dict:
    """Click "Sign in", log in on glewlwyd's own page, grant the scopes if asked, come back."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "sign-in-button").click()
    _wait(browser, "glewlwyd's login page", lambda d: d.current_url.startswith(gallery.idp.base_url + "/login.html")
          and d.find_elements(By.ID, "username") and d.find_element(By.ID, "username").is_displayed())
    if shots:
        browser.save_screenshot(str(shots / "provider-login.png"))
    browser.find_element(By.ID, "username").send_keys(gallery.idp.user.username)
    browser.find_element(By.ID, "password").send_keys(gallery.idp.user.password)
    browser.find_element(By.ID, "loginbut").click()

    def back(d) -> bool:
        return d.current_url.startswith(gallery.url) and d.find_element(By.ID, "who").is_displayed()

    def back_or_button(d, text: str):
        try:
            if back(d):
                return "back"
            buttons = [b for b in d.find_elements(By.TAG_NAME, "button") if b.is_displayed() and b.text == text]
            return "button" if buttons else None
        except StaleElementReferenceException:  # the page changed under the lookup
            return None

    if _wait(browser, "the grant page or the gallery", lambda d: back_or_button(d, "Grant access")) == "button":
        # glewlwyd's grant page wants each scope ticked before "Grant access".
        for box in browser.find_elements(By.CSS_SELECTOR, "input[type=checkbox][id^=grant-]"):
            if not box.is_selected():
                box.click()
        if shots:
            browser.save_screenshot(str(shots / "provider-grant.png"))
        next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Grant access").click()
        _wait(browser, "the grant saved", lambda d: back_or_button(d, "Grant access") is None)
        # Then its "Connection to imagecat gallery" page: Continue.
        if _wait(browser, "glewlwyd's continue page or the gallery", lambda d: back_or_button(d, "Continue")) != "back":
            next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Continue").click()
            _wait(browser, "the gallery after the grant", back)
    session = _session(browser)
    assert session is not None
    return session


def _call(gallery, method: str, path: str, token: str | None) -> tuple[int, bytes]:
    split = urllib.parse.urlsplit(gallery.url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:
        connection.request(method, path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_sign_in_upload_two_images_see_them_and_sign_out(gallery, browser, s3, bucket, tmp_path):
    # `gallery` before `browser`: the browser quits before the servers stop.
    from selenium.webdriver.common.by import By

    shots = _artifact_dir(tmp_path)
    browser.get(gallery.url)
    assert browser.title == "imagecat gallery"
    # Signed out: only the sign-in button; no field to paste a token into.
    assert browser.find_element(By.ID, "sign-in").is_displayed()
    assert not browser.find_element(By.ID, "upload").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "textarea, input[type=text], input[type=password]") == []

    session = _sign_in(browser, gallery, shots)
    assert browser.current_url == gallery.url, "the code and state must not stay in the address bar"
    _wait(browser, "the upload form after sign-in", lambda d: d.find_element(By.ID, "upload").is_displayed())
    _wait(browser, "the empty gallery", lambda d: d.find_element(By.ID, "empty").is_displayed())
    assert browser.find_element(By.ID, "who").text == f"Signed in as {gallery.idp.user.email}"
    # What the page holds is a real access token from glewlwyd, for this API.
    claims = gallery.verifier.verify(session["accessToken"])
    assert claims["iss"] == gallery.idp.issuer and claims["aud"] == AUDIENCE
    assert set(claims["scope"].split()) >= {"openid", "read:images", "write:images"}
    assert session["sub"] == claims["sub"] and session["email"] == gallery.idp.user.email

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
        screenshot = shots / "gallery.png"
        browser.save_screenshot(str(screenshot))
        print(f"\ngallery screenshots: {shots}")

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
    # No script error, CSP violation or failed request of the gallery's on the way (glewlwyd's
    # own pages log a missing translation file and a 401 probe of their own).
    problems = [entry["message"] for entry in browser.get_log("browser")
                if entry["level"] == "SEVERE" and not entry["message"].startswith(gallery.idp.base_url)]
    assert problems == [], problems

    # Sign out: the tab drops its tokens and the provider's session ends too (end_session with
    # post_logout_redirect_uri and state), and the browser comes back to the page.
    old_token = session["accessToken"]
    browser.find_element(By.ID, "sign-out").click()
    # glewlwyd asks the user to confirm (OpenID Connect RP-initiated logout): "Logout".
    _wait(browser, "glewlwyd's end-session page", lambda d: d.current_url.startswith(gallery.idp.base_url + "/login.html")
          and "prompt=end_session" in d.current_url and any(
              b.is_displayed() and b.text.strip() == "Logout" for b in d.find_elements(By.TAG_NAME, "button")))
    browser.save_screenshot(str(shots / "provider-end-session.png"))
    next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.is_displayed() and b.text.strip() == "Logout").click()
    _wait(browser, "back on the gallery, signed out", lambda d: d.current_url == gallery.url
          and d.find_element(By.ID, "sign-in").is_displayed()
          and d.find_element(By.ID, "status").text == "Signed out, also at the identity provider.")
    browser.save_screenshot(str(shots / "signed-out.png"))
    assert _session(browser) is None
    assert browser.execute_script("return Object.keys(sessionStorage).concat(Object.keys(localStorage))"
                                  ".filter(k => k.startsWith('imagecat.'))") == []
    # The old session's token: a JWT stays valid until it expires, as on API Gateway; once
    # expired (the verifier's clock moved past `exp` plus the leeway) the API refuses it.
    assert _call(gallery, "GET", "/images", old_token)[0] == 200
    gallery.verifier.clock = lambda: claims["exp"] + 31
    status, body = _call(gallery, "GET", "/images", old_token)
    assert status == 401 and json.loads(body) == {"message": "Unauthorized"}
    gallery.verifier.clock = time.time
    # The provider's session is gone: signing in again asks for the password again.
    browser.find_element(By.ID, "sign-in-button").click()
    _wait(browser, "glewlwyd's login page again", lambda d: d.current_url.startswith(gallery.idp.base_url + "/login.html")
          and d.find_elements(By.ID, "password") and d.find_element(By.ID, "password").is_displayed())


def test_a_callback_with_a_wrong_state_is_refused(gallery, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(gallery.url)
    browser.find_element(By.ID, "sign-in-button").click()
    _wait(browser, "glewlwyd's login page", lambda d: d.current_url.startswith(gallery.idp.base_url + "/login.html"))
    # Instead of logging in, someone else's redirect arrives: a code with a state this tab never made.
    browser.get(gallery.url + "?code=forged-code&state=not-the-state-this-tab-sent")
    _wait(browser, "the refusal", lambda d: "wrong state" in d.find_element(By.ID, "status").text)
    browser.save_screenshot(str(_artifact_dir(tmp_path) / "wrong-state.png"))
    assert browser.find_element(By.ID, "status").text.startswith("Sign-in refused:")
    assert browser.find_element(By.ID, "sign-in").is_displayed()
    assert not browser.find_element(By.ID, "upload").is_displayed()
    assert _session(browser) is None
    assert browser.current_url == gallery.url, "the forged code must not stay in the address bar"
    # The state of the abandoned sign-in is used up: replaying the right state later fails too.
    assert browser.execute_script("return sessionStorage.getItem('imagecat.oidc.pending')") is None


def test_first_sign_in_creates_the_users_record(gallery, browser, s3, bucket):
    from selenium.webdriver.common.by import By

    browser.get(gallery.url)
    session = _sign_in(browser, gallery)
    _wait(browser, "the page's PUT /me", lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-user-record"))
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-user-record") == "saved"
    record = json.loads(s3.get_object(Bucket=bucket, Key=user_record_key(session['sub']))["Body"].read())
    assert record["sub"] == session["sub"]
    assert record["email"] == gallery.idp.user.email and record["name"] == gallery.idp.user.name
    assert record["createdAt"] and record["lastSignInAt"]
    status, body = _call(gallery, "GET", "/me", session["accessToken"])
    assert status == 200 and json.loads(body) == record


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
                               ("/oidc.js", "text/javascript"), ("/config.json", "application/json"),
                               ("/gallery.css", "text/css"), ("/favicon.svg", "image/svg+xml")]:
        status, headers = get(path)
        assert status == 200, path
        assert headers["content-type"].startswith(content_type), (path, headers)
        assert "script-src 'self'" in headers["content-security-policy"]
        # The page may talk to the identity provider (discovery, keys, token), and to no other host.
        connect = next(d for d in headers["content-security-policy"].split("; ") if d.startswith("connect-src "))
        assert connect.split()[-1] == gallery.idp.base_url, connect
    for path in ["/images", "/me", "/uploads", "/../README.md", "/%2e%2e/README.md", "/web/index.html", "/.hidden",
                 "/missing.js"]:
        assert get(path)[0] == 401, f"{path} is not a static file: it goes to the API, which needs a token"


UPLOAD_WATCH = """
// Uploads in flight (POST /uploads answers awaited, PUTs sent and not ended) and the largest
// number at once; the first PUT is held 4.5 s before it is sent, so its URL has expired.
const w = window.__uploads = {now: 0, max: 0, posts: 0, puts: []};
const track = (delta) => { w.now += delta; w.max = Math.max(w.max, w.now); };
const fetch0 = window.fetch;
window.fetch = function (url, init) {
  if (String(url).endsWith('/uploads') && init && init.method === 'POST') {
    w.posts += 1;
    track(1);
    return fetch0.apply(this, arguments).finally(() => track(-1));
  }
  return fetch0.apply(this, arguments);
};
const open0 = XMLHttpRequest.prototype.open;
const send0 = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open = function (method) { this.__put = method === 'PUT'; return open0.apply(this, arguments); };
XMLHttpRequest.prototype.send = function (body) {
  if (!this.__put) return send0.apply(this, arguments);
  const record = {status: null};
  w.puts.push(record);
  track(1);
  this.addEventListener('loadend', () => { record.status = this.status; track(-1); });
  if (w.puts.length === 1) setTimeout(() => send0.call(this, body), 4500);
  else send0.call(this, body);
};
"""


def _drop(browser, files: list[tuple[str, bytes, str]]) -> None:
    """Drops `files` ((name, bytes, type)) on the drop zone, as a user's drag and drop does."""
    browser.execute_script("""
        const data = new DataTransfer();
        for (const [name, b64, type] of arguments[0]) {
          data.items.add(new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name, {type}));
        }
        const zone = document.getElementById("drop-zone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    """, [[name, base64.b64encode(body).decode("ascii"), kind] for name, body, kind in files])


@pytest.mark.parametrize("gallery", [{"UPLOAD_EXPIRES_SECONDS": "3"}], indirect=True)
def test_many_files_upload_a_few_at_a_time(gallery, browser, tmp_path):
    """12 files dropped at once: at most 4 uploads in flight (each asks for its URL just before
    its PUT, so URLs valid for 3 s are enough); the API's first two answers are 429 (its burst
    limit), which the page waits out and asks again; one PUT starts after its URL expired
    (storage answers 403), and the page asks for a fresh URL. All 12 end up in the gallery."""
    from selenium.webdriver.common.by import By

    from imagecat_tools import images

    shots = _artifact_dir(tmp_path)
    throttled = _throttle_uploads(gallery, ["1", "1"])
    browser.get(gallery.url)
    _sign_in(browser, gallery)
    _wait(browser, "the empty gallery", lambda d: d.find_element(By.ID, "empty").is_displayed())
    browser.execute_script(UPLOAD_WATCH)
    files = [(f"tile-{i:02d}.png", images.png(50, 40, pixels=True, rgb=(20 * i, 200 - 10 * i, 120)), "image/png")
             for i in range(12)]
    _drop(browser, files)
    _wait(browser, "every upload row done", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#uploads li[data-state=done]")) == 12
          or d.find_elements(By.CSS_SELECTOR, "#uploads li[data-state=failed]"), timeout=90)
    browser.save_screenshot(str(shots / "gallery-twelve-uploads.png"))
    rows = browser.execute_script("return [...document.querySelectorAll('#uploads li')].map(li => li.textContent)")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#uploads li[data-state=done]")) == 12, rows
    watch = browser.execute_script("return window.__uploads")
    statuses = [put["status"] for put in watch["puts"]]
    assert 2 <= watch["max"] <= 4, watch
    assert len(throttled) == 2
    # The held PUT's URL expired; on a busy machine another may too (URLs dated to the second
    # live 2-3 s): each 403 gets a fresh URL, and every file is stored once.
    expired = statuses.count(403)
    assert expired >= 1 and statuses.count(200) == 12, statuses
    # 12 URLs, the two throttled asks again, and a fresh URL for each expired one.
    assert watch["posts"] == 12 + 2 + expired, watch
    _wait(browser, "the 12 cards", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#grid li.card")) == 12, timeout=15)


TIMER_WATCH = """
window.__timers = [];
const setTimeout0 = window.setTimeout;
window.setTimeout = function (callback, delay, ...rest) {
  window.__timers.push(Number(delay) || 0);
  return setTimeout0.call(this, callback, delay, ...rest);
};
"""
"""Records the delay of every setTimeout the page asks for (installed before its scripts run)."""


def test_a_session_longer_than_a_timer_reaches_does_not_spin(gallery, browser):
    """A session that ends in 30 days: further than a browser's timer reaches (2^31 - 1 ms, about
    24.8 days; a longer delay fires at once). The page's expiry timer waits that long at most
    and looks again, instead of firing and re-arming itself in a loop. A session that ends in a
    few seconds signs the page out when it ends, and no request follows."""
    from selenium.webdriver.common.by import By

    browser.get(gallery.url)
    _sign_in(browser, gallery)
    browser.execute_script("const s = JSON.parse(sessionStorage.getItem('imagecat.oidc.session'));"
                           "s.expiresAt = Date.now() + 30 * 86400000;"
                           "sessionStorage.setItem('imagecat.oidc.session', JSON.stringify(s));")
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TIMER_WATCH})
    browser.refresh()
    _wait(browser, "signed in again after the reload", lambda d: d.find_element(By.ID, "who").is_displayed())
    time.sleep(2)
    delays = browser.execute_script("return window.__timers")
    assert max(delays) <= 2**31 - 1, f"a timer the browser runs at once: {max(delays)} ms"
    assert len(delays) < 50, f"{len(delays)} timers in 2 s: {sorted(set(delays))[-5:]}"
    assert any(delay > 20 * 86400000 for delay in delays), "no timer for the session's end"
    assert browser.find_element(By.ID, "who").is_displayed()

    # A session that ends 10 s from now (30 s before its token, the page's margin): the timer
    # on its end signs the page out, which then sends the API nothing more.
    browser.execute_script("const s = JSON.parse(sessionStorage.getItem('imagecat.oidc.session'));"
                           "s.expiresAt = Date.now() + 30000 + 10000;"
                           "sessionStorage.setItem('imagecat.oidc.session', JSON.stringify(s));")
    browser.refresh()
    _wait(browser, "signed in again after the reload", lambda d: d.find_element(By.ID, "who").is_displayed())
    _wait(browser, "signed out when the session ended",
          lambda d: "session has expired" in d.find_element(By.ID, "status").text, timeout=30)

    def api_requests() -> int:
        return len([line for line in gallery.lines if line.split(" ")[1:2] in (["/images"], ["/me"], ["/uploads"])])

    time.sleep(1)                                             # a poll sent just before, answered
    sent = api_requests()
    assert sent > 0, gallery.lines
    time.sleep(4)                                             # polling was every 1.5 s while signed in
    assert api_requests() == sent, gallery.lines[-5:]
    assert not browser.find_element(By.ID, "who").is_displayed()


POST_WATCH = """
// Every POST /uploads the page sends: when (performance.now()), and the answer's status and
// Retry-After as the page reads them.
const posts = window.__posts = [];
const fetch0 = window.fetch;
window.fetch = function (url, init) {
  if (!(String(url).endsWith('/uploads') && init && init.method === 'POST')) return fetch0.apply(this, arguments);
  const record = {at: performance.now(), status: null, retryAfter: null};
  posts.push(record);
  return fetch0.apply(this, arguments).then((response) => {
    record.status = response.status;
    record.retryAfter = response.headers.get('Retry-After');
    return response;
  });
};
"""


def _throttle_uploads(gallery, retry_afters: list[str]) -> list[str]:
    """Makes the local API answer the first POST /uploads with 429, one for each Retry-After
    given; returns the list of those sent so far (the Retry-After of each)."""
    throttled: list[str] = []
    handle = gallery.api.handle

    def throttling(method, target, headers, body, source_ip):
        if method == "POST" and urllib.parse.urlsplit(target).path == "/uploads" and len(throttled) < len(retry_afters):
            throttled.append(retry_afters[len(throttled)])
            return 429, [("content-type", "application/json"), ("retry-after", throttled[-1])], \
                b'{"message":"Too Many Requests"}'
        return handle(method, target, headers, body, source_ip)

    gallery.api.handle = throttling
    return throttled


def test_a_throttled_upload_waits_its_backoff_even_when_told_not_to_wait(gallery, browser):
    """The API's first two answers to POST /uploads are 429 with a Retry-After that asks for no
    wait at all: 0, then a date in the past (what a fast clock makes of one). The page still
    waits its own backoff (1 s, then 2 s, each times 0.5 to 1) before it asks again, instead of
    turning its retries into a burst, and the upload ends in the gallery."""
    from selenium.webdriver.common.by import By

    no_wait = ["0", "Thu, 01 Jan 1970 00:00:00 GMT"]
    _throttle_uploads(gallery, no_wait)
    browser.get(gallery.url)
    _sign_in(browser, gallery)
    _wait(browser, "the empty gallery", lambda d: d.find_element(By.ID, "empty").is_displayed())
    browser.execute_script(POST_WATCH)
    browser.find_element(By.ID, "files").send_keys(str(IMAGES / "rgb8.png"))
    _wait(browser, "the upload row done", lambda d: d.find_elements(By.CSS_SELECTOR, "#uploads li[data-state=done]")
          or d.find_elements(By.CSS_SELECTOR, "#uploads li[data-state=failed]"), timeout=30)
    posts = browser.execute_script("return window.__posts")
    assert [(p["status"], p["retryAfter"]) for p in posts] == [(429, "0"), (429, no_wait[1]), (200, None)], posts
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(posts, posts[1:])]
    # At least 500 ms, then 1000 ms (the smallest jitter); a few ms when the Retry-After wins.
    assert gaps[0] >= 450 and gaps[1] >= 900, f"POST /uploads asked again after {[round(g) for g in gaps]} ms"
    assert browser.find_elements(By.CSS_SELECTOR, "#uploads li[data-state=done]")


PUT_HOLD = """
// Every PUT to storage is held until window.__releasePuts(): the uploads in the slots stay there.
const held = window.__heldPuts = [];
const open0 = XMLHttpRequest.prototype.open;
const send0 = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open = function (method) { this.__put = method === 'PUT'; return open0.apply(this, arguments); };
XMLHttpRequest.prototype.send = function (body) {
  if (!this.__put) return send0.apply(this, arguments);
  held.push(() => send0.call(this, body));
};
window.__releasePuts = () => { for (const send of held.splice(0)) send(); };
"""


def test_signing_out_stops_the_upload_work(gallery, browser, tmp_path):
    """Signed out with one upload waiting for the catalog, four in the slots (their PUTs held)
    and two queued, while a revalidation is on its way: the queued rows fail ("signed out before
    it started"), the page stops looking for the waiting upload, and nothing more reaches the
    API, neither when that revalidation comes back nor when the held PUTs end. (The provider's
    end-session page is left out: the page stays, as with a provider that has none.)"""
    from selenium.webdriver.common.by import By

    from imagecat_tools import images

    requests: list[tuple[float, str, str]] = []  # (when, method, target) of every API request
    hold_polls, polls_held, release = threading.Event(), threading.Event(), threading.Event()
    handle = gallery.api.handle

    def watching(method, target, headers, body, source_ip):
        requests.append((time.monotonic(), method, target))
        if hold_polls.is_set() and method == "GET" and "urls=1" in target:
            polls_held.set()
            release.wait(60)
        return handle(method, target, headers, body, source_ip)

    def look_fors() -> list[str]:  # the page's looks for its waiting uploads (names only)
        return [target for _, method, target in requests if method == "GET" and "limit=1000" in target]

    def rows(state: str | None) -> list[str]:
        return browser.execute_script("return [...document.querySelectorAll('#uploads li')]"
                                      ".filter(li => (li.dataset.state || null) === arguments[0])"
                                      ".map(li => li.querySelector('.upload-state').textContent)", state)

    gallery.api.handle = watching
    try:
        browser.get(gallery.url)
        _sign_in(browser, gallery)
        _wait(browser, "the empty gallery", lambda d: d.find_element(By.ID, "empty").is_displayed())
        gallery.feeder.held.set()  # the catalog lists no upload
        browser.find_element(By.ID, "files").send_keys(str(IMAGES / "rgb8.png"))
        _wait(browser, "the upload waiting for the catalog", lambda d: rows("waiting"), timeout=30)
        _wait(browser, "a look for it", lambda d: look_fors(), timeout=15)

        browser.execute_script(PUT_HOLD)
        _drop(browser, [(f"held-{i}.png", images.png(8, 8), "image/png") for i in range(6)])
        _wait(browser, "four uploads in the slots, two queued", lambda d: len(rows("uploading")) == 4
              and len(rows(None)) == 2 and d.execute_script("return window.__heldPuts.length") == 4, timeout=30)
        hold_polls.set()
        assert polls_held.wait(15), "no revalidation while the uploads were held"

        browser.execute_script("window.ImagecatOIDC.signOut = async () => false;")
        signed_out = time.monotonic()
        browser.find_element(By.ID, "sign-out").click()
        _wait(browser, "signed out", lambda d: d.find_element(By.ID, "sign-in").is_displayed()
              and d.find_element(By.ID, "status").text == "Signed out.", timeout=10)
        release.set()
        browser.execute_script("window.__releasePuts()")
        time.sleep(5)  # three revalidations' worth, each with a look for the waiting upload

        browser.save_screenshot(str(_artifact_dir(tmp_path) / "gallery-signed-out-while-uploading.png"))
        assert rows(None) == [], "rows still queued after the sign-out"
        assert rows("failed") == ["Not uploaded: signed out before it started"] * 2
        # The upload that waited for the catalog, and the four PUTs released after the sign-out,
        # stored their files: said so, and not followed (a row "waiting for the catalog" would
        # turn "not listed" a minute later).
        assert rows("stored") == ["Uploaded; signed out before the catalog listed it"] * 5
        assert rows("waiting") == [], "an upload finished after the sign-out is not waited for"
        after = [(method, target) for when, method, target in requests if when > signed_out]
        assert after == [], f"requests after the sign-out: {after}"
        # The revalidation that came back after the sign-out did not look for the waiting upload
        # either (which, with no token, said the session had expired).
        assert browser.find_element(By.ID, "status").text == "Signed out."
    finally:
        release.set()
