// The imagecat gallery: sign in with the identity provider (oidc.js), record the user with the API
// (PUT /me), show the catalog a page at a time (feed.js: newest uploads first, or all images in
// name order), and upload images straight to S3 through presigned URLs (POST /uploads, then a
// PUT per file; four files at a time, each asking for its URL just before its PUT).
//
// Plain JavaScript, no build step, no framework, nothing from other hosts. The page never sees
// S3 credentials: each upload gets its own short-lived URL for one key, type and size, and each
// thumbnail is the image itself through a short-lived viewing URL (no image processing).
"use strict";

(() => {
  const oidc = window.ImagecatOIDC;
  let API = window.location.origin; // config.json's apiUrl once loaded
  const DEFAULT_UPLOAD_PREFIX = "images/uploads/"; // the API's default UPLOAD_PREFIX
  const POLL_MS = 1500; // how often the view's first page is revalidated (a 304 when nothing changed)
  const HIDDEN_POLL_MS = 15000;
  const MAX_BACKOFF_MS = 60000; // after failed revalidations, the wait doubles from POLL_MS up to this
  const MAX_RETRY_AFTER_MS = 10 * 60000; // a Retry-After is honoured up to this
  const MAX_TIMER_MS = 2 ** 31 - 1; // browsers run a longer setTimeout at once
  const NOT_LISTED_MS = 60000; // an upload the catalog has not listed by then is reported
  const LATE_CHECK_MS = 15000; // such an upload is still looked for, this often
  const GIVE_UP_MS = 10 * 60 * 1000; // ... for this long after it was reported
  const CHECK_LIMIT = 1000; // names per look for waiting uploads (the API's largest page)
  // Uploads run this many at a time, each asking for its URL just before its PUT: URLs signed
  // all at once for a big drop would expire (UPLOAD_EXPIRES_SECONDS) before the last PUTs
  // start, and a burst of POST /uploads would pass the API's throttling burst.
  const UPLOAD_SLOTS = 4;
  const URL_ATTEMPTS = 5; // POST /uploads answered 429 (throttled) is tried this often in all
  const MAX_URL_WAIT_MS = 30000; // the longest wait between two of them
  const TYPES = {
    jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp",
    bmp: "image/bmp", tif: "image/tiff", tiff: "image/tiff", heic: "image/heic", heif: "image/heif",
    avif: "image/avif", ico: "image/x-icon", svg: "image/svg+xml",
  };
  const ACCEPTED = new Set([...Object.values(TYPES), "image/vnd.microsoft.icon"]);

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("status"), who: $("who"), signOut: $("sign-out"), signIn: $("sign-in"), signInButton: $("sign-in-button"),
    upload: $("upload"), dropZone: $("drop-zone"), files: $("files"), uploads: $("uploads"),
    gallery: $("gallery"), grid: $("grid"), count: $("count"), empty: $("empty"),
    above: $("above"), below: $("below"), news: $("news"), views: [...document.querySelectorAll("[data-view]")],
  };

  // The two views; `newest` needs config.json's uploadPrefix: upload keys begin with a
  // time-ordered id, so their name-desc order is newest first.
  const views = {
    newest: { prefix: DEFAULT_UPLOAD_PREFIX, order: "name-desc", empty: "No uploads yet: upload one above." },
    all: { prefix: "", order: "name", empty: "No images yet: upload one above." },
  };
  let viewName = "newest";
  let pollTimer = null;
  let expiryTimer = null; // signs out when the session ends, before the API would answer 401
  const EXPIRED = "Your session has expired: sign in again.";
  let refreshing = null; // the revalidation under way
  let refreshAgain = false;
  let failures = 0; // revalidations failed in a row
  let trouble = null; // what the page said about the last failed revalidation
  // Uploads the catalog has not listed yet: key → {item, late} (late: reported as not listed
  // yet, looked for every LATE_CHECK_MS only).
  const waiting = new Map();
  const queued = []; // uploads waiting for a slot: {file, contentType, item}
  let uploading = 0; // slots in use
  let check = { query: null, etag: null, from: null, lateAt: 0 }; // the last look for them

  class SignedOut extends Error {}

  // -- sign in -----------------------------------------------------------------------------

  function token() {
    const session = oidc.session();
    return session ? session.accessToken : null;
  }

  function say(message) {
    ui.status.textContent = message;
  }

  function showSignedIn() {
    const session = oidc.session();
    const signedIn = session !== null;
    ui.signIn.hidden = signedIn;
    ui.upload.hidden = !signedIn;
    ui.gallery.hidden = !signedIn;
    ui.signOut.hidden = !signedIn;
    ui.who.hidden = !signedIn;
    ui.who.textContent = signedIn ? `Signed in as ${session.email || session.name || session.sub}` : "";
  }

  /** Drops the tab's tokens and clears the page (the provider's session is left alone). */
  function signOut(message) {
    oidc.forget();
    clearTimeout(pollTimer);
    pollTimer = null;
    clearTimeout(expiryTimer);
    expiryTimer = null;
    check = { query: null, etag: null, from: null, lateAt: 0 };
    failures = 0;
    trouble = null;
    for (const job of queued) job.item.fail("signed out before it started", { quiet: true });
    queued.length = 0;
    for (const upload of waiting.values()) upload.item.storedSignedOut();
    waiting.clear(); // looked for again by nobody: the next sign-in starts afresh
    feed.stop();
    showSignedIn();
    say(message);
    ui.signInButton.focus();
  }

  /** Signs out when the session ends (oidc.session() drops it a little before its token expires).
   * A session longer than a timer reaches (about 24.8 days) is looked at again when it fires. */
  function watchExpiry() {
    clearTimeout(expiryTimer);
    if (oidc.session() === null) return;
    expiryTimer = setTimeout(() => {
      if (oidc.session() === null) signOut(EXPIRED);
      else watchExpiry();
    }, Math.min(MAX_TIMER_MS, oidc.sessionRemainingMs() + 100));
  }

  /**
   * The API creates or refreshes the user's record from the verified token (and the provider's
   * userinfo), never from anything this page sends: PUT /me has no body.
   */
  async function recordUser() {
    try {
      const response = await api("/me", { method: "PUT" });
      document.body.dataset.userRecord = response.ok ? "saved" : `failed:${response.status}`;
      if (!response.ok) say(`Signed in, but the API did not save your user record: ${await problem(response)}`);
    } catch (error) {
      if (error instanceof SignedOut) throw error;
      document.body.dataset.userRecord = "failed";
      say(`Signed in, but the API could not be reached to save your user record: ${error.message}`);
    }
  }

  // -- the API -----------------------------------------------------------------------------

  async function api(path, options = {}) {
    if (token() === null) {
      // Ended (or expired) since the page last looked: never send a token the API will refuse.
      signOut(EXPIRED);
      throw new SignedOut();
    }
    const headers = { Authorization: `Bearer ${token()}`, ...(options.headers || {}) };
    // no-store: the browser must not answer from its own cache or add validators of its own,
    // so a 304 reaches this code and means "your copy is current".
    const response = await fetch(API + path, { ...options, headers, cache: "no-store" });
    if (response.status === 401) {
      signOut("The API refused the token (expired or not valid): sign in again.");
      throw new SignedOut();
    }
    return response;
  }

  const { problem } = window.ImagecatFeed;

  // -- the catalog -------------------------------------------------------------------------

  const feed = window.ImagecatFeed.create({
    api, grid: ui.grid, above: ui.above, below: ui.below, makeCard: card,
    onEntries: arrived,
    onNews(count) {
      ui.news.hidden = count === 0;
      ui.news.textContent = count >= window.ImagecatFeed.PAGE ? `${count}+ new images`
        : `${count} new image${count === 1 ? "" : "s"}`;
    },
    onState() {
      ui.empty.textContent = views[viewName].empty;
      ui.empty.hidden = !(feed.ready && feed.size === 0 && feed.atEnd);
      ui.count.textContent = feed.size > 0 ? `(${feed.size} shown${feed.atEnd ? "" : ", scroll for more"})` : "";
      document.body.dataset.view = viewName;
    },
    onError(error) {
      if (!(error instanceof SignedOut)) say(error.message);
    },
  });

  /**
   * One revalidation of the view's first page (and one look for the uploads that wait for the
   * catalog, if any), then the next one is scheduled. Asked for while one runs (an upload
   * finished), it runs again right after: one revalidation at a time, one timer. After a failure
   * the next one waits longer (see nextPoll), so an API in trouble is not asked every 1.5 s.
   */
  function refresh() {
    clearTimeout(pollTimer);
    if (token() === null) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = (async () => {
      const error = await feed.poll();
      if (error || lookedFor().length === 0) return error;
      return feed.exclusive(checkUploads);
    })().catch((error) => error).then((error) => {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      } else {
        schedule(nextPoll(error));
      }
    });
  }

  /** The wait before the next revalidation: POLL_MS after a success; after failures in a row,
   * twice as long each time up to MAX_BACKOFF_MS, and at least what a Retry-After asked for
   * (readable only where CORS exposes it). */
  function nextPoll(error) {
    const normal = document.hidden ? HIDDEN_POLL_MS : POLL_MS;
    if (!error || error instanceof SignedOut) {
      failures = 0;
      if (trouble !== null && ui.status.textContent === trouble) say("");
      trouble = null;
      return normal;
    }
    failures += 1;
    const backoff = Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** failures);
    const wait = Math.max(normal, backoff, Math.min(error.retryAfterMs || 0, MAX_RETRY_AFTER_MS));
    trouble = `${error.message} (trying again in ${Math.round(wait / 1000)} s)`;
    say(trouble);
    return wait;
  }

  function schedule(ms) {
    clearTimeout(pollTimer);
    pollTimer = token() === null ? null : setTimeout(refresh, ms);
  }

  /** Uploads to look for now: any not reported late, or late ones every LATE_CHECK_MS. */
  function lookedFor() {
    if (token() === null) return [];
    const lateToo = Date.now() - check.lateAt >= LATE_CHECK_MS;
    return [...waiting].filter(([, upload]) => lateToo || !upload.late).map(([key]) => key);
  }

  /**
   * Looks for the waiting uploads themselves, wherever they are in the catalog: up to
   * CHECK_LIMIT names in name order from just before one of their keys, names only. The view's
   * pages cannot be relied on (more than a page of other uploads may land first; the All view
   * does not show uploads first). One request per refresh; when the keys are further apart than
   * one answer covers, the next look starts after where this one ended, so each gets its turn.
   */
  async function checkUploads() {
    const keys = lookedFor().sort(window.ImagecatFeed.compareNames);
    if (keys.length === 0) return null;
    const start = keys.find((key) => check.from === null || window.ImagecatFeed.compareNames(key, check.from) > 0) || keys[0];
    const query = new URLSearchParams({ limit: String(CHECK_LIMIT), order: "name",
                                        cursor: window.ImagecatFeed.cursorFor(justBefore(start)) });
    if (keys.every((key) => key.startsWith(views.newest.prefix))) query.set("prefix", views.newest.prefix);
    if (keys.some((key) => waiting.get(key).late)) check.lateAt = Date.now();
    try {
      const validator = check.query === String(query) ? check.etag : null;
      const response = await api(`/images?${query}`, { headers: validator ? { "If-None-Match": validator } : {} });
      if (response.status === 304) return null;
      if (!response.ok) return await window.ImagecatFeed.failure("Could not look for your uploads", response);
      const body = await response.json();
      check = { ...check, query: String(query), etag: response.headers.get("ETag"),
                from: body.nextCursor === null || body.images.length === 0 ? null : body.images[body.images.length - 1].name };
      arrived(body.images);
      return null;
    } catch (error) {
      return error instanceof SignedOut ? error : new Error(`Could not look for your uploads: ${error.message}`);
    }
  }

  /** A name just before `name` in the catalog's order (a cursor lists names after it): `name`
   * without its last character. Upload keys are long, so it is never empty. */
  function justBefore(name) {
    return Array.from(name).slice(0, -1).join("");
  }

  /** Entries the page received: uploads waiting for the catalog are done once it lists them. */
  function arrived(entries) {
    const names = [];
    for (const entry of entries) {
      const upload = waiting.get(entry.name);
      if (upload) {
        waiting.delete(entry.name);
        upload.item.done(entry);
        names.push(baseName(entry.name));
      }
    }
    if (names.length > 0) say(`${names.join(", ")} ${names.length === 1 ? "is" : "are"} in the gallery.`);
  }

  function showView(name) {
    viewName = name;
    for (const button of ui.views) button.setAttribute("aria-pressed", String(button.dataset.view === name));
    feed.start(views[name]);
    schedule(POLL_MS);
  }

  function baseName(name) {
    return name.slice(name.lastIndexOf("/") + 1);
  }

  function typeLabel(type) {
    const text = String(type || "?");
    return text.slice(text.indexOf("/") + 1).toUpperCase();
  }

  function sizeLabel(bytes) {
    if (!Number.isFinite(bytes)) return "? bytes";
    if (bytes < 1024) return `${bytes} bytes`;
    const units = ["KB", "MB", "GB"];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  function dimensionsLabel(entry) {
    return Number.isInteger(entry.width) && Number.isInteger(entry.height) ? `${entry.width} × ${entry.height}` : "size unknown";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(entry) {
    const li = element("li", "card");
    li.dataset.name = entry.name;
    li.dataset.type = String(entry.type || "");
    li.dataset.size = String(entry.size);
    if (Number.isInteger(entry.width)) li.dataset.width = String(entry.width);
    if (Number.isInteger(entry.height)) li.dataset.height = String(entry.height);
    const figure = element("figure");
    const frame = element("div", "frame");
    const description = `${baseName(entry.name)}, ${typeLabel(entry.type)}, ${dimensionsLabel(entry)}`;
    if (entry.url) {
      const img = element("img");
      img.alt = description;
      img.loading = "lazy";
      img.decoding = "async";
      img.src = entry.url;
      img.addEventListener("error", () => frame.classList.add("broken"), { once: true });
      frame.append(img);
    } else {
      frame.append(element("span", "no-preview", "no preview"));
      frame.setAttribute("role", "img");
      frame.setAttribute("aria-label", description);
    }
    const caption = element("figcaption");
    const name = element("span", "name", baseName(entry.name));
    name.title = entry.name;
    const meta = element("span", "meta");
    meta.append(element("span", "type", typeLabel(entry.type)), " · ",
                element("span", "size", sizeLabel(entry.size)), " · ",
                element("span", "dimensions", dimensionsLabel(entry)));
    caption.append(name, meta);
    figure.append(frame, caption);
    li.append(figure);
    return li;
  }

  // -- uploads -----------------------------------------------------------------------------

  function contentTypeOf(file) {
    const type = (file.type || "").toLowerCase();
    if (ACCEPTED.has(type)) return type;
    const dot = file.name.lastIndexOf(".");
    const guess = dot >= 0 ? TYPES[file.name.slice(dot + 1).toLowerCase()] : undefined;
    // Browsers leave HEIC/AVIF types empty on some systems; never relabel a known non-image.
    return guess && (type === "" || type === "application/octet-stream") ? guess : null;
  }

  /** A list item with a labelled progress bar and a status line for one file. */
  function uploadItem(file) {
    const li = element("li", "upload");
    const label = element("span", "upload-name", file.name);
    const progress = element("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", `Upload progress of ${file.name}`);
    const state = element("span", "upload-state", "Queued…");
    li.append(label, progress, state);
    ui.uploads.append(li);
    const set = (text, kind) => {
      state.textContent = text;
      li.dataset.state = kind;
    };
    return {
      progress(fraction) {
        progress.value = Math.round(fraction * 100);
        set(`Uploading… ${Math.round(fraction * 100)}%`, "uploading");
      },
      storedSignedOut() {
        progress.value = 100;
        set("Uploaded; signed out before the catalog listed it", "stored");
      },
      uploaded() {
        progress.value = 100;
        set("Uploaded; waiting for the catalog…", "waiting");
      },
      done(entry) {
        set(`In the gallery: ${typeLabel(entry.type)}, ${sizeLabel(entry.size)}, ${dimensionsLabel(entry)}`, "done");
      },
      /** quiet: the status line is left alone (signing out has said what happened). */
      fail(message, { quiet = false } = {}) {
        if (progress.isConnected) progress.remove();
        set(`Not uploaded: ${message}`, "failed");
        if (!quiet) say(`${file.name} was not uploaded: ${message}`);
      },
      unlisted() {
        const message = "uploaded, but the catalog has not listed it yet (the file may not be a readable image)";
        set(`${message[0].toUpperCase()}${message.slice(1)}`, "unlisted");
        say(`${file.name} was ${message}.`);
      },
    };
  }

  /** PUT through XMLHttpRequest: fetch cannot report upload progress. Fails with `expired` set
   * when storage refused the URL (403) or could not be reached after the URL's expiry (an
   * error without CORS headers reads as no answer). */
  function put(answer, file, item) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const failed = (message, refused) => {
        const error = new Error(message);
        const expiry = window.ImagecatFeed.urlExpiry(answer.url);
        error.expired = refused || (expiry !== null && Date.now() >= expiry);
        reject(error);
      };
      xhr.open(answer.method, answer.url);
      for (const [name, value] of Object.entries(answer.headers || {})) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) item.progress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else failed(`storage refused the upload (HTTP ${xhr.status})`, xhr.status === 403);
      });
      xhr.addEventListener("error", () => failed("the upload did not reach storage", false));
      xhr.addEventListener("timeout", () => failed("the upload timed out", false));
      xhr.send(file);
    });
  }

  /** POST /uploads: this file's URL. Throttled (429), it waits (Retry-After when readable,
   * else 1 s doubling, with jitter) and asks again, URL_ATTEMPTS times in all. */
  async function uploadURL({ file, contentType }) {
    for (let attempt = 1; ; attempt += 1) {
      const response = await api("/uploads", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: file.name, contentType, size: file.size }),
      });
      if (response.ok) return response.json();
      if (response.status !== 429 || attempt === URL_ATTEMPTS) throw new Error(await problem(response));
      const backoff = 1000 * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      // Never sooner than the backoff: a Retry-After of 0, or a date a fast clock puts in the
      // past, must not turn the retries into a burst.
      const wait = Math.min(MAX_URL_WAIT_MS, Math.max(window.ImagecatFeed.retryAfterMs(response) ?? 0, backoff));
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (token() === null) throw new SignedOut(); // signed out meanwhile: no request, no second sign-out
    }
  }

  /** One file, in a slot: its URL, its PUT (with a fresh URL once if that one had expired),
   * then the wait for the catalog to list it (without the slot). */
  async function upload(job) {
    const { file, item } = job;
    try {
      item.progress(0);
      let answer = await uploadURL(job);
      try {
        await put(answer, file, item);
      } catch (error) {
        if (!error.expired) throw error;
        answer = await uploadURL(job); // it expired before storage saw it (a slow start): once more
        await put(answer, file, item);
      }
      if (token() === null) return item.storedSignedOut(); // stored; nobody is here to see it listed
      item.uploaded();
      const upload = { item, late: false };
      waiting.set(answer.key, upload);
      refresh(); // now, not at the next tick
      setTimeout(() => {
        // Reported, and still looked for (less often): it shows as done if it comes after all.
        if (waiting.get(answer.key) === upload) {
          upload.late = true;
          item.unlisted();
          // Not for ever: an object that is not a readable image is never listed.
          setTimeout(() => { if (waiting.get(answer.key) === upload) waiting.delete(answer.key); }, GIVE_UP_MS);
        }
      }, NOT_LISTED_MS);
    } catch (error) {
      if (error instanceof SignedOut) item.fail("signed out before it finished", { quiet: true });
      else item.fail(error.message);
    }
  }

  /** Queues the files (each with its row at once) and starts what the slots allow. */
  function uploadAll(fileList) {
    const files = Array.from(fileList || []);
    if (files.length === 0) return;
    say(`Uploading ${files.length} file${files.length === 1 ? "" : "s"}…`);
    for (const file of files) {
      const item = uploadItem(file);
      const contentType = contentTypeOf(file);
      if (!contentType) item.fail("not an image type the gallery accepts");
      else if (file.size === 0) item.fail("the file is empty");
      else queued.push({ file, contentType, item });
    }
    startUploads();
  }

  function startUploads() {
    while (uploading < UPLOAD_SLOTS && queued.length > 0) {
      uploading += 1;
      upload(queued.shift()).finally(() => {
        uploading -= 1;
        startUploads();
      });
    }
  }

  // -- wiring ------------------------------------------------------------------------------

  ui.signInButton.addEventListener("click", async () => {
    ui.signInButton.disabled = true;
    say("Going to the sign-in page…");
    try {
      await oidc.signIn();
    } catch (error) {
      ui.signInButton.disabled = false;
      say(error instanceof oidc.SignInError ? error.message : `Sign-in failed: ${error.message}`);
    }
  });
  ui.signOut.addEventListener("click", async () => {
    const leaving = oidc.signOut(); // takes the ID token (the provider's hint) before it is dropped
    signOut("Signing out…");
    if (!(await leaving)) say("Signed out.");
  });
  ui.files.addEventListener("change", () => {
    uploadAll(ui.files.files);
    ui.files.value = "";
  });
  for (const name of ["dragenter", "dragover"]) {
    ui.dropZone.addEventListener(name, (event) => {
      event.preventDefault();
      ui.dropZone.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    ui.dropZone.addEventListener(name, () => ui.dropZone.classList.remove("over"));
  }
  ui.dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    uploadAll(event.dataTransfer && event.dataTransfer.files);
  });
  // A file dropped next to the zone must not replace the page with the image.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && token() !== null) refresh();
  });
  for (const button of ui.views) {
    button.addEventListener("click", () => {
      if (button.dataset.view !== viewName && token() !== null) {
        showView(button.dataset.view);
        ui.gallery.scrollIntoView({ block: "start" });
      }
    });
  }
  ui.news.addEventListener("click", async () => {
    ui.news.hidden = true;
    await feed.jumpToTop();
    ui.gallery.scrollIntoView({ block: "start" });
  });

  async function start() {
    try {
      const config = await oidc.load();
      API = await oidc.apiBase();
      if (typeof config.uploadPrefix === "string" && config.uploadPrefix !== "") views.newest.prefix = config.uploadPrefix;
      if (oidc.completeSignOut()) say("Signed out, also at the identity provider.");
      const session = await oidc.completeSignIn();
      showSignedIn();
      watchExpiry();
      if (token() !== null) showView(viewName);
      if (session) {
        say("Signed in. Loading the gallery…");
        await null; // the gallery's first request (a microtask away) goes before PUT /me
        await recordUser();
        if (ui.status.textContent === "Signed in. Loading the gallery…") say("");
      }
    } catch (error) {
      if (error instanceof SignedOut) return;
      oidc.forget();
      feed.stop();
      showSignedIn();
      say(error instanceof oidc.SignInError ? error.message : `Sign-in failed: ${error.message}`);
    }
  }

  showSignedIn();
  start();
})();
