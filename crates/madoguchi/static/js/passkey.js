/*
 * Madoguchi — passkeys (WebAuthn), progressive enhancement only. Without this
 * file, or in a browser without WebAuthn, the passkey buttons stay hidden and
 * everything works with passwords.
 *
 * Containers (rendered by the server, hidden by default):
 *   <div data-passkey="register|login" hidden data-csrf="TOKEN"
 *        data-msg-working data-msg-cancelled data-msg-exists data-msg-network data-msg-failed>
 *     [<input id="f-passkey_name">]  (register only: optional name)
 *     <button type="button" data-passkey-start>…</button>
 *     <div data-passkey-status aria-live="polite"></div>
 *   </div>
 * and <p data-passkey-fallback> ("turn on JavaScript…"), hidden once the button is shown.
 *
 * Protocol (JSON; the CSRF token goes in the x-csrf-token header):
 *   POST /passkeys/register/start  → { publicKey: PublicKeyCredentialCreationOptions (base64url) }
 *   POST /passkeys/register/finish { credential, name } → { redirect }
 *   POST /passkeys/login/start     → { publicKey: PublicKeyCredentialRequestOptions (base64url) }
 *   POST /passkeys/login/finish    credential → { redirect }
 * Errors: { error: { code, message } }, message already in the page's language.
 */
(function () {
  "use strict";

  function supported() {
    return typeof window.PublicKeyCredential === "function" &&
      !!navigator.credentials && typeof navigator.credentials.create === "function";
  }

  // WebAuthn cannot use an IP address as the relying party (the server refuses too).
  function hostUsable() {
    var h = location.hostname;
    return !(/^[0-9.]+$/.test(h) || h.indexOf(":") !== -1 || h.charAt(0) === "[");
  }

  // ---- base64url <-> ArrayBuffer ----------------------------------------------------------

  function fromB64u(s) {
    var b64 = String(s).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64u(buf) {
    if (!buf) return null;
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // ---- messages ---------------------------------------------------------------------------

  function show(box, text, type) {
    var status = box.querySelector("[data-passkey-status]");
    if (!status) return;
    status.textContent = "";
    if (!text) return;
    var banner = document.createElement("div");
    banner.className = "dads-notification-banner";
    banner.setAttribute("data-type", type || "info-1");
    var p = document.createElement("p");
    p.textContent = text;
    banner.appendChild(p);
    status.appendChild(banner);
  }

  function msg(box, name) {
    return box.getAttribute("data-msg-" + name) || box.getAttribute("data-msg-failed") || "";
  }

  /** An Error whose message is ready to show (from the server, or one of ours). */
  function shown(text) {
    var e = new Error(text);
    e.shown = true;
    return e;
  }

  function post(box, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "x-csrf-token": box.getAttribute("data-csrf") || ""
      },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      var ct = res.headers.get("Content-Type") || "";
      var json = ct.indexOf("application/json") === 0 ? res.json() : Promise.resolve(null);
      return json.then(function (data) {
        if (res.ok && data) return data;
        var m = data && data.error && data.error.message;
        throw shown(m || msg(box, "failed"));
      });
    }, function () {
      throw shown(msg(box, "network"));
    });
  }

  /** Message for a failed navigator.credentials call. */
  function browserError(box, err) {
    if (err && err.shown) return err.message;
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "AbortError") return msg(box, "cancelled");
    if (name === "InvalidStateError") return msg(box, "exists");
    return msg(box, "failed");
  }

  // ---- ceremonies -------------------------------------------------------------------------

  function register(box) {
    var input = box.querySelector("#f-passkey_name");
    var name = input ? input.value : "";
    return post(box, "/passkeys/register/start", {}).then(function (options) {
      var pk = options.publicKey;
      pk.challenge = fromB64u(pk.challenge);
      pk.user.id = fromB64u(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = fromB64u(c.id); });
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (cred) {
      var r = cred.response;
      var ext = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
      var credential = {
        id: cred.id,
        rawId: toB64u(cred.rawId),
        type: cred.type,
        response: {
          attestationObject: toB64u(r.attestationObject),
          clientDataJSON: toB64u(r.clientDataJSON),
          transports: typeof r.getTransports === "function" ? r.getTransports() : undefined
        },
        extensions: ext && ext.credProps ? { credProps: ext.credProps } : {}
      };
      return post(box, "/passkeys/register/finish", { credential: credential, name: name });
    });
  }

  function login(box) {
    return post(box, "/passkeys/login/start", {}).then(function (options) {
      var pk = options.publicKey;
      pk.challenge = fromB64u(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = fromB64u(c.id); });
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (cred) {
      var r = cred.response;
      return post(box, "/passkeys/login/finish", {
        id: cred.id,
        rawId: toB64u(cred.rawId),
        type: cred.type,
        response: {
          authenticatorData: toB64u(r.authenticatorData),
          clientDataJSON: toB64u(r.clientDataJSON),
          signature: toB64u(r.signature),
          userHandle: r.userHandle ? toB64u(r.userHandle) : null
        },
        extensions: {}
      });
    });
  }

  function setup(box) {
    var kind = box.getAttribute("data-passkey");
    var button = box.querySelector("[data-passkey-start]");
    if (!button || (kind !== "register" && kind !== "login")) return;
    box.hidden = false;
    var fallback = box.parentNode && box.parentNode.querySelector("[data-passkey-fallback]");
    if (fallback) fallback.hidden = true;
    var busy = false;
    button.addEventListener("click", function () {
      if (busy) return;
      busy = true;
      button.setAttribute("aria-disabled", "true");
      show(box, msg(box, "working"), "info-1");
      var run = kind === "register" ? register(box) : login(box);
      run.then(function (done) {
        location.assign(done && done.redirect ? done.redirect : "/");
      }, function (err) {
        busy = false;
        button.removeAttribute("aria-disabled");
        show(box, browserError(box, err), "error");
        button.focus();
      });
    });
  }

  function init() {
    if (!supported()) return;
    var boxes = document.querySelectorAll("[data-passkey]");
    for (var i = 0; i < boxes.length; i++) {
      if (hostUsable()) {
        setup(boxes[i]);
      } else {
        // e.g. http://127.0.0.1: say so instead of "turn on JavaScript".
        var fallback = boxes[i].parentNode && boxes[i].parentNode.querySelector("[data-passkey-fallback]");
        var text = boxes[i].getAttribute("data-msg-unavailable");
        if (fallback && text) fallback.textContent = text;
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
