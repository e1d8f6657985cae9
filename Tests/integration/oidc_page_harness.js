// Runs web/oidc.js outside a browser, for test_oidc_page.py: each case gets a fresh context with
// a `window` (sessionStorage, location, history), the platform's WebCrypto, and a `fetch` that
// answers the page's requests from the case's table (config.json, the discovery document, the
// JWKS, the token endpoint); then it plays a sign-in callback and reports what the page did.
//
// stdin: {"script": path of oidc.js, "cases": [{"name", "responses": {url: body}, "pending":
// {...}, "search": "?code=...&state=...", "storedSession": {...} | null}]}
// stdout: [{"name", "session" | "error", "afterwards": session() once signed in, "remainingMs"}]
"use strict";

const fs = require("node:fs");
const vm = require("node:vm");
const { webcrypto } = require("node:crypto");

async function runCase(source, testCase) {
  const storage = new Map();
  const sessionStorage = {
    getItem: (key) => (storage.has(key) ? storage.get(key) : null),
    setItem: (key, value) => storage.set(key, String(value)),
    removeItem: (key) => storage.delete(key),
  };
  if (testCase.pending) sessionStorage.setItem("imagecat.oidc.pending", JSON.stringify(testCase.pending));
  if (testCase.storedSession) sessionStorage.setItem("imagecat.oidc.session", JSON.stringify(testCase.storedSession));
  const location = {
    origin: "https://gallery.example.com", pathname: "/", search: testCase.search || "",
    assign: (url) => { throw new Error(`navigated to ${url}`); },
  };
  const fetch = async (url) => {
    const key = String(url);
    if (!Object.prototype.hasOwnProperty.call(testCase.responses, key)) {
      return { ok: false, status: 404, json: async () => ({}) };
    }
    const body = testCase.responses[key];
    return { ok: true, status: 200, json: async () => JSON.parse(JSON.stringify(body)) };
  };
  const window = { sessionStorage, location, history: { replaceState: () => {} } };
  const context = vm.createContext({
    window, fetch, crypto: webcrypto, atob, btoa, TextEncoder, TextDecoder, URLSearchParams, Date, console,
  });
  vm.runInContext(source, context, { filename: "oidc.js" });
  const oidc = window.ImagecatOIDC;
  const result = { name: testCase.name };
  try {
    await oidc.load();
    result.session = testCase.search ? await oidc.completeSignIn() : null;
  } catch (error) {
    result.error = error instanceof oidc.SignInError ? error.message : `not a SignInError: ${error}`;
  }
  result.afterwards = oidc.session();
  result.remainingMs = typeof oidc.sessionRemainingMs === "function" ? oidc.sessionRemainingMs() : null;
  result.stored = sessionStorage.getItem("imagecat.oidc.session") !== null;
  return result;
}

(async () => {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const source = fs.readFileSync(input.script, "utf8");
  const results = [];
  for (const testCase of input.cases) results.push(await runCase(source, testCase));
  process.stdout.write(JSON.stringify(results));
})();
