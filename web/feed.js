// The gallery's feed: one view of the catalog (newest uploads first, or every image in name
// order) as a sliding window of at most MAX_CARDS cards, loaded a page at a time as the user
// scrolls, so a catalog of a million images costs what a few hundred do.
//
// Why this shape:
// - GET /images pages by keyset (a cursor is "after this name", or "before it" in name-desc), so
//   any stretch of a view can be fetched again from a name the page still shows: the window
//   keeps no cursor it did not make itself from a name (ListCursor: base64url of "1:" + name).
// - Scrolling down appends the next page and, past MAX_CARDS, drops whole rows from the top;
//   scrolling back up fetches the stretch above the first card shown with the opposite order
//   and prepends it, dropping from the bottom. The card the user looks at stays where it is.
// - The first page of the view is revalidated with If-None-Match (a 304 while nothing
//   changed). A changed first page is merged in only while the user sees the top; otherwise a
//   "N new images" button offers to go there. A first page that does not reach the first card
//   shown (more than a page arrived at once) replaces the cards, so no stretch is left out.
// - Every request of the feed runs alone, one after the other, so a page always lands next to
//   the card it was asked for.
// - Viewing URLs expire: an image that fails to load with an expired URL has its stretch
//   fetched again (GET /images/{name} gives no URL), once per card per RETRY_MS.
"use strict";

window.ImagecatFeed = (() => {
  const PAGE = 60; // a page: 12 rows of 5 (also whole rows of 2, 3, 4 or 6 columns)
  const MAX_CARDS = 300; // cards in the page at most, whatever the catalog's size
  const MARGIN_PX = 1200; // fetch the next stretch when it is this close to the viewport
  const RETRY_MS = 30000; // a card's expired image is fetched again at most this often
  const STALE_URL_MS = 5 * 60 * 1000; // a URL this old may have lost its credentials
  const PAUSE_MS = 3000; // after a failed request, before scrolling asks again

  /** Cursor of the API (ListCursor): base64url, without padding, of "1:" + the name's UTF-8. */
  function cursorFor(name) {
    let text = "";
    for (const byte of new TextEncoder().encode(`1:${name}`)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** Names compared as the catalog sorts them: UTF-8 bytes, which is code point order. */
  function compareNames(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a.charCodeAt(i);
      const y = b.charCodeAt(i);
      if (x !== y) return codePointRank(x) - codePointRank(y);
    }
    return a.length - b.length;
  }

  // UTF-16 puts surrogates (code points past U+FFFF) before U+E000–U+FFFF; code points do not.
  function codePointRank(unit) {
    if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
    return unit >= 0xe000 ? unit - 0x800 : unit;
  }

  /** How long a response asks the client to wait (Retry-After: seconds or a date), or null
   * (also when CORS does not expose the header). */
  function retryAfterMs(response) {
    const value = response.headers.get("Retry-After");
    if (!value) return null;
    if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
    const date = Date.parse(value);
    return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
  }

  /** What an API error answer says: its JSON's message (or error), else its status. */
  async function problem(response) {
    try {
      const body = await response.json();
      return body.message || body.error || `HTTP ${response.status}`;
    } catch (error) {
      return `HTTP ${response.status}`;
    }
  }

  /** The error of a failed answer, "what: problem", with retryAfterMs when the answer said. */
  async function failure(what, response) {
    const error = new Error(`${what}: ${await problem(response)}`);
    error.retryAfterMs = retryAfterMs(response);
    return error;
  }

  /** When a presigned URL stops working: X-Amz-Date + X-Amz-Expires, or null. */
  function urlExpiry(url) {
    try {
      const query = new URL(url).searchParams;
      const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get("X-Amz-Date") || "");
      const seconds = Number(query.get("X-Amz-Expires"));
      if (!date || !Number.isFinite(seconds)) return null;
      const [, y, mo, d, h, mi, s] = date.map(Number);
      return Date.UTC(y, mo - 1, d, h, mi, s) + seconds * 1000;
    } catch (error) {
      return null;
    }
  }

  /**
   * options: api(path, init) → Response (throws to stop), grid (the <ul>), above and below (the
   * sentinels around it), makeCard(entry) → <li> (with its <img>, if any), onEntries(entries)
   * (every entry the feed receives), onNews(count) (0: hide the button), onState() (after any
   * change of the cards), onError(error, what).
   */
  function create(options) {
    const { api, grid, above, below } = options;
    let view = null; // {prefix, order}
    let generation = 0; // bumped by start/stop: answers to an older view are dropped
    let cards = []; // {name, etag, li, img, url, urlAt, retriedAt}, in view order
    const byName = new Map();
    let topMore = false; // cards above the first one were dropped (or never loaded)
    let bottomCursor = null; // where the stretch below the last card starts; null: the end
    let firstETag = null; // of the view's first page as merged
    let pending = null; // {etag, page}: a changed first page, not merged while scrolled down
    let viewTop = null; // the view's first name as last seen
    const broken = new Set(); // names whose expired image waits for a fresh URL
    let chain = Promise.resolve();
    let queued = 0;
    let pausedUntil = 0;
    let ready = false; // the view's first page has been shown
    let firstCardsMarked = false;
    let firstImageMarked = false;

    const opposite = (order) => (order === "name" ? "name-desc" : "name");
    const before = (a, b) => (view.order === "name" ? compareNames(a, b) < 0 : compareNames(a, b) > 0);

    function path({ order = view.order, cursor = null, urls = true } = {}) {
      const query = new URLSearchParams();
      if (urls) query.set("urls", "1");
      query.set("limit", String(PAGE));
      query.set("order", order);
      if (view.prefix) query.set("prefix", view.prefix);
      if (cursor) query.set("cursor", cursor);
      return `/images?${query}`;
    }

    /** Runs `task` after every earlier one: one request of the feed in flight at a time. */
    function exclusive(job) {
      queued += 1;
      const run = chain.then(job).finally(() => {
        queued -= 1;
      });
      chain = run.catch(() => {});
      return run;
    }

    async function page(target, what, init = {}) {
      const response = await api(target, init);
      if (response.status === 304) return { status: 304 };
      if (!response.ok) throw await failure(what, response);
      const body = await response.json();
      options.onEntries(body.images);
      return { status: 200, etag: response.headers.get("ETag"), images: body.images, nextCursor: body.nextCursor };
    }

    // -- cards -------------------------------------------------------------------------------

    function makeCard(entry) {
      const li = options.makeCard(entry);
      const card = { name: entry.name, etag: entry.etag || null, li, img: li.querySelector("img"),
                     url: entry.url || null, urlAt: Date.now(), retriedAt: 0 };
      if (card.img) {
        card.img.addEventListener("load", () => {
          if (!firstImageMarked) {
            firstImageMarked = true;
            performance.mark("imagecat:first-image");
          }
        });
        card.img.addEventListener("error", () => imageFailed(card));
      }
      return card;
    }

    function loaded(card) {
      return card.img !== null && card.img.complete && card.img.naturalWidth > 0;
    }

    /** The card for `entry`: the one shown when the object is unchanged (its image is not
     * downloaded again), with the fresh URL if its image has not loaded yet. */
    function cardFor(entry) {
      const known = byName.get(entry.name);
      if (!known || known.etag !== (entry.etag || null) || Boolean(known.img) !== Boolean(entry.url)) {
        return makeCard(entry);
      }
      if (entry.url && entry.url !== known.url && !loaded(known)) setURL(known, entry.url);
      return known;
    }

    function setURL(card, url) {
      card.url = url;
      card.urlAt = Date.now();
      card.li.querySelector(".frame").classList.remove("broken");
      card.img.src = url;
    }

    function imageFailed(card) {
      const expiry = urlExpiry(card.url);
      const expired = expiry === null ? false : Date.now() >= expiry - 2000;
      const now = Date.now();
      card.li.querySelector(".frame").classList.add("broken");
      if ((expired || now - card.urlAt > STALE_URL_MS) && now - card.retriedAt > RETRY_MS && byName.get(card.name) === card) {
        card.retriedAt = now;
        broken.add(card.name);
        pump();
      }
    }

    /** Replaces the cards with `next` (cards, in view order), touching only what changed. */
    function show(next) {
      const keep = new Set(next);
      for (const card of cards) {
        if (!keep.has(card)) {
          card.li.remove();
          byName.delete(card.name);
          broken.delete(card.name);
        }
      }
      let at = null; // the node the next card goes after
      for (const card of next) {
        const expected = at ? at.nextSibling : grid.firstChild;
        if (expected !== card.li) {
          if (at) at.after(card.li);
          else grid.prepend(card.li);
        }
        at = card.li;
        byName.set(card.name, card);
      }
      cards = next;
    }

    /** Runs `change` without moving what the user looks at: the first visible card among
     * `survivors` keeps its place in the viewport. */
    function steady(survivors, change) {
      const anchor = firstVisible(survivors);
      const top = anchor ? anchor.li.getBoundingClientRect().top : 0;
      change();
      if (anchor && anchor.li.isConnected) {
        const moved = anchor.li.getBoundingClientRect().top - top;
        if (moved !== 0) window.scrollBy(0, moved);
      }
    }

    function firstVisible(list) {
      let low = 0;
      let high = list.length;
      while (low < high) { // the first card whose bottom is below the viewport's top
        const mid = (low + high) >> 1;
        if (list[mid].li.getBoundingClientRect().bottom > 0) high = mid;
        else low = mid + 1;
      }
      return list[low] || null;
    }

    function columns() {
      const template = getComputedStyle(grid).gridTemplateColumns;
      return Math.max(1, template && template !== "none" ? template.split(" ").length : 1);
    }

    /**
     * Shows `next` cut to MAX_CARDS: after a page below, whole rows go from the top (the rest do
     * not reflow); after a page above or a merge, cards go from the bottom. What goes is removed
     * before anything is added, so the page never holds more. `steadily`: the card in sight
     * stays where it is.
     */
    function place(next, cut, steadily = true) {
      let kept = next;
      const excess = next.length - MAX_CARDS;
      if (excess > 0 && cut === "top") {
        const cols = columns();
        kept = next.slice(Math.min(next.length, Math.ceil(excess / cols) * cols));
        topMore = true;
      } else if (excess > 0) {
        kept = next.slice(0, MAX_CARDS);
        bottomCursor = cursorFor(kept[kept.length - 1].name);
      }
      if (!steadily) return show(kept);
      const staying = new Set(kept);
      steady(cards.filter((card) => staying.has(card)), () => show(kept));
    }

    function changed() {
      below.textContent = bottomCursor === null ? "" : "Loading more…";
      above.textContent = topMore ? "Loading earlier images…" : "";
      options.onState();
    }

    // -- loading ---------------------------------------------------------------------------------

    /** Runs `body` as one request of the feed; resolves to its error, or null. */
    function task(body) {
      const mine = generation;
      return exclusive(async () => {
        if (mine !== generation) return null;
        try {
          await body(() => mine !== generation);
          return null;
        } catch (error) {
          if (mine !== generation) return null;
          pausedUntil = Date.now() + PAUSE_MS;
          setTimeout(pump, PAUSE_MS);
          options.onError(error);
          return error;
        }
      }).finally(() => {
        changed();
        pump();
      });
    }

    /** The view's first page replaces everything. */
    function loadFirst() {
      return task(async (stale) => {
        const first = await page(path(), "Could not load the gallery");
        if (stale()) return;
        show(first.images.map(cardFor));
        ready = true;
        topMore = false;
        bottomCursor = first.nextCursor;
        firstETag = first.etag;
        pending = null;
        viewTop = first.images.length ? first.images[0].name : null;
        options.onNews(0);
        if (!firstCardsMarked && cards.length > 0) {
          firstCardsMarked = true;
          performance.mark("imagecat:first-cards");
        }
      });
    }

    function loadBelow() {
      return task(async (stale) => {
        const cursor = bottomCursor;
        const next = await page(path({ cursor }), "Could not load more images");
        if (stale() || cursor !== bottomCursor) return;
        const last = cards.length ? cards[cards.length - 1].name : null;
        const fresh = next.images.filter((entry) => !byName.has(entry.name) && (last === null || before(last, entry.name)));
        bottomCursor = next.nextCursor;
        place(cards.concat(fresh.map(cardFor)), "top");
      });
    }

    function loadAbove() {
      return task(async (stale) => {
        const first = cards[0].name;
        const previous = await page(path({ order: opposite(view.order), cursor: cursorFor(first) }),
                                    "Could not load earlier images");
        if (stale() || cards.length === 0 || cards[0].name !== first) return;
        const fresh = previous.images.filter((entry) => !byName.has(entry.name) && before(entry.name, first))
          .reverse().map(cardFor);
        if (previous.nextCursor === null) {
          // The top again, fresh: a first page that changed while the user was away is fetched
          // by the next poll (its validator is the one merged last), not merged from memory.
          topMore = false;
          pending = null;
        }
        place(fresh.concat(cards), "bottom");
        if (!topMore) viewTop = cards[0].name;
      });
    }

    /** Fresh URLs for the stretch holding the first card whose expired image failed. */
    function refetch() {
      return task(async (stale) => {
        const i = cards.findIndex((card) => broken.has(card.name));
        if (i < 0) return;
        let target;
        if (i > 0) target = path({ cursor: cursorFor(cards[i - 1].name) });
        else if (!topMore) target = path();
        else target = path({ order: opposite(view.order), cursor: cursorFor(cards[Math.min(PAGE - 1, cards.length - 1)].name) });
        const asked = cards[i].name;
        const stretch = await page(target, "Could not renew the images' links");
        if (stale()) return;
        broken.delete(asked);
        for (const entry of stretch.images) {
          const card = byName.get(entry.name);
          if (!card) continue;
          broken.delete(entry.name);
          if (card.etag !== (entry.etag || null) || !entry.url || !card.img) {
            const replacement = makeCard(entry);
            show(cards.map((c) => (c === card ? replacement : c)));
          } else if (!loaded(card)) {
            setURL(card, entry.url);
          }
        }
        for (const name of broken) {
          if (!byName.has(name)) broken.delete(name);
        }
      });
    }

    /** Revalidates the view's first page; merges a change while the user sees the top.
     * Resolves to the error if it failed (with retryAfterMs when the answer said), or null. */
    function poll() {
      if (view === null) return Promise.resolve(null);
      return task(async (stale) => {
        const validator = pending ? pending.etag : firstETag;
        const first = await page(path(), "Could not refresh the gallery",
                                 { headers: validator ? { "If-None-Match": validator } : {} });
        if (stale() || first.status === 304) return;
        pending = { etag: first.etag, page: first };
        if (atTop()) mergePending();
        else options.onNews(newCount(first.images));
      });
    }

    function newCount(entries) {
      return entries.filter((entry) => viewTop === null || before(entry.name, viewTop)).length;
    }

    /** The first page replaces the cards it covers; later cards stay if the page reaches them. */
    function mergePending() {
      const first = pending.page;
      const entries = first.images;
      const through = first.nextCursor === null || entries.length === 0 ? null : entries[entries.length - 1].name;
      let later = through === null ? [] : cards.filter((card) => before(through, card.name));
      // A page of new entries ending before the first card shown leaves a stretch nobody
      // fetched between them (a burst of more than a page): the page starts over from there,
      // as the first load does, rather than keep cards below a hole.
      if (cards.length > 0 && later.length === cards.length) later = [];
      if (through === null) bottomCursor = null;
      else if (later.length === 0) bottomCursor = first.nextCursor;
      // Merged only while the top is in sight: new cards push the others down, so the user sees
      // them arrive.
      place(entries.map(cardFor).concat(later), "bottom", false);
      ready = true; // also when the first load failed (a 503 while the catalog was indexed)
      firstETag = pending.etag;
      viewTop = entries.length ? entries[0].name : null;
      pending = null;
      options.onNews(0);
      changed();
    }

    /** The top of the view is loaded and its first row is at least partly in sight. */
    function atTop() {
      if (topMore) return false;
      const first = cards.length ? cards[0].li : grid;
      return first.getBoundingClientRect().bottom > 0;
    }

    function near(element) {
      const box = element.getBoundingClientRect();
      return box.top < window.innerHeight + MARGIN_PX && box.bottom > -MARGIN_PX;
    }

    /** Starts what the scroll position asks for, if nothing runs: called on scroll, when a
     * sentinel comes near, and after every request. */
    function pump() {
      if (view === null || queued > 0 || Date.now() < pausedUntil) return;
      if (bottomCursor !== null && near(below)) loadBelow();
      else if (topMore && cards.length > 0 && near(above)) loadAbove();
      else if (broken.size > 0) refetch();
      else if (pending && atTop()) mergePending();
    }

    const observer = new IntersectionObserver(pump, { rootMargin: `${MARGIN_PX}px 0px` });
    observer.observe(above);
    observer.observe(below);
    let framed = false;
    window.addEventListener("scroll", () => {
      if (framed) return;
      framed = true;
      requestAnimationFrame(() => {
        framed = false;
        pump();
      });
    }, { passive: true });

    // -- the view --------------------------------------------------------------------------------

    /** Shows `next` ({prefix, order}) from its top. */
    function start(next) {
      stop();
      view = { prefix: next.prefix || "", order: next.order };
      return loadFirst();
    }

    /** The view from its top again, with its current first page (cards whose object did not
     * change are kept, so their images are not downloaded again). */
    function jumpToTop() {
      if (view === null) return Promise.resolve();
      generation += 1; // answers to requests made for the old window are dropped
      pending = null;
      return loadFirst();
    }

    function stop() {
      generation += 1;
      view = null;
      show([]);
      topMore = false;
      bottomCursor = null;
      firstETag = null;
      pending = null;
      viewTop = null;
      ready = false;
      broken.clear();
      pausedUntil = 0;
      options.onNews(0);
      changed();
    }

    return {
      start, stop, poll, jumpToTop, exclusive,
      get size() { return cards.length; },
      get ready() { return ready; },
      get atEnd() { return bottomCursor === null && !topMore; },
    };
  }

  return { create, cursorFor, compareNames, retryAfterMs, urlExpiry, problem, failure, PAGE, MAX_CARDS };
})();
