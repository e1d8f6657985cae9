// Sign-in for the gallery: OpenID Connect Authorization Code flow with PKCE (S256) for a browser
// app that holds no client secret. Works against any provider with a discovery document: Auth0 in
// production, glewlwyd locally (scripts/gallery).
//
// Nothing reaches the page until the ID token's signature (RS256 or ES256, against the provider's
// JWKS), issuer, audience, authorized party, validity period (exp, nbf, iat) and nonce have been
// checked, and the callback's `state` matched the sign-in this tab started. A session ends on its
// own a little before its access token expires (`session()` drops it), so the page signs the user
// out before the API would answer 401. The access token is requested for the API's audience: Auth0 reads
// `audience`, RFC 8707 providers (glewlwyd) read `resource`; the page sends both.
//
// Configuration comes from config.json next to the page (written by scripts/gallery locally and by
// the deploy in production): {"issuer", "clientId", "audience", "apiUrl", "scopes", "uploadPrefix"};
// `scopes` are the API's (the deploy's REQUIRED_SCOPE and UPLOAD_SCOPE), asked for besides
// `openid email profile`; `uploadPrefix` is for gallery.js (load() hands it the whole config).
"use strict";

window.ImagecatOIDC = (() => {
  const PENDING_KEY = "imagecat.oidc.pending"; // state, nonce, verifier of the sign-in in flight
  const SESSION_KEY = "imagecat.oidc.session"; // the verified session: tokens and claims
  const LOGOUT_KEY = "imagecat.oidc.logout"; // state of a sign-out in flight
  const LEEWAY_S = 60; // clock skew tolerated on exp / nbf / iat
  const EXPIRY_MARGIN_MS = 30 * 1000; // a session ends this long before its access token expires
  const PENDING_MAX_MS = 10 * 60 * 1000;
  const OIDC_SCOPE = "openid email profile"; // the API's own scopes come from config.json

  /** A sign-in that must not go on; `message` is for the user. */
  class SignInError extends Error {}

  let config = null;
  let discovery = null;

  // -- encoding helpers ----------------------------------------------------------------------

  function b64url(bytes) {
    let text = "";
    for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromB64url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new SignInError("The ID token is not base64url.");
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function randomString(bytes = 32) {
    return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
  }

  async function sha256(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  }

  // -- configuration and discovery -------------------------------------------------------------

  async function getJSON(url, what) {
    let response;
    try {
      response = await fetch(url, { cache: "no-store", credentials: "omit" });
    } catch (error) {
      throw new SignInError(`Could not reach ${what} (${url}).`);
    }
    if (!response.ok) throw new SignInError(`${what} answered HTTP ${response.status} (${url}).`);
    return response.json();
  }

  async function load() {
    if (config) return config;
    const loaded = await getJSON("config.json", "the page's configuration");
    for (const name of ["issuer", "clientId", "audience"]) {
      if (typeof loaded[name] !== "string" || loaded[name] === "") {
        throw new SignInError(`config.json has no ${name}: the deploy writes it (see docs/api.md).`);
      }
    }
    if (typeof loaded.scopes !== "string") {
      throw new SignInError("config.json has no scopes: the deploy writes it (see docs/api.md).");
    }
    config = { apiUrl: "", ...loaded };
    return config;
  }

  async function discover() {
    if (discovery) return discovery;
    await load();
    const url = `${config.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const found = await getJSON(url, "the identity provider's discovery document");
    if (found.issuer !== config.issuer) {
      throw new SignInError(`The identity provider calls itself ${found.issuer}, not ${config.issuer}: sign-in refused.`);
    }
    for (const name of ["authorization_endpoint", "token_endpoint", "jwks_uri"]) {
      if (typeof found[name] !== "string") throw new SignInError(`The discovery document has no ${name}.`);
    }
    discovery = found;
    return discovery;
  }

  function redirectUri() {
    return window.location.origin + window.location.pathname;
  }

  // -- sign in -------------------------------------------------------------------------------

  /** Leaves the page for the provider's login page. */
  async function signIn() {
    const found = await discover();
    const pending = { state: randomString(), nonce: randomString(), verifier: randomString(), at: Date.now() };
    window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const parameters = new URLSearchParams({
      response_type: "code",
      client_id: config.clientId,
      redirect_uri: redirectUri(),
      scope: `${OIDC_SCOPE} ${config.scopes}`.trim(),
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: b64url(await sha256(pending.verifier)),
      code_challenge_method: "S256",
      audience: config.audience, // Auth0
      resource: config.audience, // RFC 8707 (glewlwyd)
    });
    window.location.assign(`${found.authorization_endpoint}?${parameters}`);
  }

  /** The callback's parameters, or null when this page load is not a callback. */
  function callbackParameters() {
    const query = new URLSearchParams(window.location.search);
    if (!query.has("state") || !(query.has("code") || query.has("error"))) return null;
    return query;
  }

  function forgetCallbackInURL() {
    window.history.replaceState(null, "", redirectUri());
  }

  /**
   * Finishes a sign-in when this page load is the provider's redirect back. Returns the new
   * session, null when there was nothing to finish; throws SignInError when it is refused.
   */
  async function completeSignIn() {
    const query = callbackParameters();
    if (query === null) return null;
    forgetCallbackInURL();
    const stored = window.sessionStorage.getItem(PENDING_KEY);
    window.sessionStorage.removeItem(PENDING_KEY); // a state is good for one callback only
    let pending = null;
    try {
      pending = stored ? JSON.parse(stored) : null;
    } catch (error) {
      pending = null;
    }
    if (!pending || typeof pending.state !== "string" || pending.state !== query.get("state")) {
      throw new SignInError("Sign-in refused: the answer from the identity provider does not belong to a " +
                            "sign-in started in this tab (wrong state). Nothing was signed in; sign in again.");
    }
    if (Date.now() - pending.at > PENDING_MAX_MS) {
      throw new SignInError("Sign-in refused: it took too long. Sign in again.");
    }
    if (query.has("error")) {
      throw new SignInError(`The identity provider refused the sign-in: ${query.get("error_description") || query.get("error")}.`);
    }
    const found = await discover();
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code: query.get("code"),
      redirect_uri: redirectUri(),
      client_id: config.clientId,
      code_verifier: pending.verifier,
      resource: config.audience,
    });
    let response;
    try {
      response = await fetch(found.token_endpoint, { method: "POST", body, cache: "no-store", credentials: "omit" });
    } catch (error) {
      throw new SignInError("Could not reach the identity provider's token endpoint.");
    }
    const tokens = await response.json().catch(() => ({}));
    if (!response.ok || typeof tokens.access_token !== "string" || typeof tokens.id_token !== "string") {
      throw new SignInError(`The identity provider did not issue tokens: ${tokens.error_description || tokens.error || `HTTP ${response.status}`}.`);
    }
    const claims = await verifyIdToken(tokens.id_token, pending.nonce);
    const session = {
      accessToken: tokens.access_token,
      idToken: tokens.id_token,
      expiresAt: Date.now() + 1000 * (Number(tokens.expires_in) || 3600),
      sub: claims.sub,
      email: typeof claims.email === "string" ? claims.email : null,
      name: typeof claims.name === "string" ? claims.name : null,
    };
    if (!session.email) session.email = await emailFromUserinfo(found, session);
    window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    return session;
  }

  /** Auth0 leaves `email` out of the ID token unless asked; /userinfo has it. */
  async function emailFromUserinfo(found, session) {
    if (typeof found.userinfo_endpoint !== "string") return null;
    try {
      const response = await fetch(found.userinfo_endpoint, {
        headers: { Authorization: `Bearer ${session.accessToken}` }, cache: "no-store", credentials: "omit" });
      if (!response.ok) return null;
      const info = await response.json();
      return info.sub === session.sub && typeof info.email === "string" ? info.email : null;
    } catch (error) {
      return null;
    }
  }

  // -- the ID token ----------------------------------------------------------------------------

  // No prototype: a header's `alg` of "constructor", "__proto__" or "toString" names nothing here.
  const ALGORITHMS = Object.freeze(Object.assign(Object.create(null), {
    RS256: { kty: "RSA", import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verify: { name: "RSASSA-PKCS1-v1_5" } },
    ES256: { kty: "EC", import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } },
  }));

  /** The algorithm a header names, looked up as an own property only (never inherited). */
  function algorithmOf(header) {
    const name = header && typeof header.alg === "string" ? header.alg : null;
    return name !== null && Object.prototype.hasOwnProperty.call(ALGORITHMS, name) ? ALGORITHMS[name] : null;
  }

  async function verifyIdToken(token, nonce) {
    const parts = token.split(".");
    if (parts.length !== 3) throw new SignInError("The ID token is not a signed JWT.");
    const decode = (part, what) => {
      try {
        return JSON.parse(new TextDecoder().decode(fromB64url(part)));
      } catch (error) {
        throw new SignInError(`The ID token's ${what} is not JSON.`);
      }
    };
    const header = decode(parts[0], "header");
    const algorithm = algorithmOf(header);
    if (!algorithm) throw new SignInError(`The ID token is signed with ${String(header && header.alg)}, which this page does not accept.`);
    const jwks = await getJSON(discovery.jwks_uri, "the identity provider's keys");
    const candidates = (jwks.keys || []).filter((key) => key.kty === algorithm.kty
      && (key.use === undefined || key.use === "sig") && (key.alg === undefined || key.alg === header.alg)
      && (header.kid === undefined || key.kid === header.kid));
    if (candidates.length !== 1) throw new SignInError("The ID token's key is not among the identity provider's keys.");
    const { kty, n, e, crv, x, y } = candidates[0];
    let key;
    try {
      key = await crypto.subtle.importKey("jwk", { kty, n, e, crv, x, y }, algorithm.import, false, ["verify"]);
    } catch (error) {
      throw new SignInError("The identity provider's signing key could not be read.");
    }
    const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    if (!(await crypto.subtle.verify(algorithm.verify, key, fromB64url(parts[2]), signed))) {
      throw new SignInError("The ID token's signature does not verify: sign-in refused.");
    }
    const claims = decode(parts[1], "claims");
    const now = Date.now() / 1000;
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== discovery.issuer) throw new SignInError("The ID token comes from another issuer: sign-in refused.");
    if (!audiences.includes(config.clientId)) throw new SignInError("The ID token is for another application: sign-in refused.");
    // azp: required when there are several audiences, and checked whenever it is present.
    if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== config.clientId) {
      throw new SignInError("The ID token was issued to another party.");
    }
    if (typeof claims.exp !== "number" || claims.exp + LEEWAY_S < now) throw new SignInError("The ID token has expired: sign in again.");
    if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf - LEEWAY_S > now)) {
      throw new SignInError("The ID token is not valid yet (nbf): check this computer's clock.");
    }
    if (claims.iat !== undefined && (typeof claims.iat !== "number" || claims.iat - LEEWAY_S > now)) {
      throw new SignInError("The ID token was issued in the future.");
    }
    if (claims.nonce !== nonce) throw new SignInError("The ID token's nonce is not this sign-in's: sign-in refused.");
    if (typeof claims.sub !== "string" || claims.sub === "") throw new SignInError("The ID token names no user.");
    return claims;
  }

  // -- the session and sign-out ------------------------------------------------------------------

  /**
   * The verified session of this tab, or null. A session whose access token expires within
   * EXPIRY_MARGIN_MS is over: its tokens are dropped here, before the API would refuse them.
   */
  function session() {
    let stored = null;
    try {
      stored = JSON.parse(window.sessionStorage.getItem(SESSION_KEY) || "null");
    } catch (error) {
      stored = null;
    }
    if (!stored || typeof stored.accessToken !== "string") return null;
    if (typeof stored.expiresAt !== "number" || stored.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
      window.sessionStorage.removeItem(SESSION_KEY);
      return null;
    }
    return stored;
  }

  /** Milliseconds until this tab's session ends (see `session`), or 0 when there is none. */
  function sessionRemainingMs() {
    const current = session();
    return current ? Math.max(0, current.expiresAt - EXPIRY_MARGIN_MS - Date.now()) : 0;
  }

  /** Drops this tab's tokens. */
  function forget() {
    window.sessionStorage.removeItem(SESSION_KEY);
    window.sessionStorage.removeItem(PENDING_KEY);
  }

  /**
   * Drops the tokens and ends the provider's session too, where it offers that
   * (end_session_endpoint): the browser leaves for the provider and comes back here.
   * Returns false when there is no provider session to end (the caller stays on the page).
   */
  async function signOut() {
    const current = session();
    forget();
    let found = null;
    try {
      found = await discover();
    } catch (error) {
      found = null;
    }
    if (!current || !found || typeof found.end_session_endpoint !== "string") return false;
    const state = randomString();
    window.sessionStorage.setItem(LOGOUT_KEY, state);
    const parameters = new URLSearchParams({
      id_token_hint: current.idToken,
      post_logout_redirect_uri: redirectUri(),
      client_id: config.clientId,
      state,
    });
    window.location.assign(`${found.end_session_endpoint}?${parameters}`);
    return true;
  }

  /** True when this page load is the provider's redirect back after a sign-out of ours. */
  function completeSignOut() {
    const query = new URLSearchParams(window.location.search);
    const expected = window.sessionStorage.getItem(LOGOUT_KEY);
    if (!query.has("state") || query.has("code") || query.has("error")) return false;
    window.sessionStorage.removeItem(LOGOUT_KEY);
    forgetCallbackInURL();
    return expected !== null && expected === query.get("state");
  }

  async function apiBase() {
    await load();
    return (config.apiUrl || window.location.origin).replace(/\/+$/, "");
  }

  return { SignInError, load, signIn, completeSignIn, completeSignOut, session, sessionRemainingMs, forget, signOut, apiBase };
})();
