/*
 * Madoguchi — progressive enhancement only. Every page works without this file;
 * the server validates everything again. No external requests, no inline
 * handlers (CSP: default-src 'self').
 *
 * (a) <form data-confirm-password="optional message"> with inputs named
 *     "password" and "password_confirm": tell the user while typing when the two
 *     passwords differ. The message goes into the confirm field's error element
 *     (.dads-form-control-label__error-text listed in the input's aria-describedby
 *     or inside its .dads-form-control-label; created empty if the server did not
 *     render one); the field gets aria-invalid="true".
 *     The form is never blocked from submitting.
 */
(function () {
  "use strict";

  var MESSAGES = {
    ja: "パスワードが一致しません。同じパスワードを入力してください。",
    en: "The passwords do not match. Enter the same password twice."
  };

  function pageLang() {
    var lang = (document.documentElement.getAttribute("lang") || "ja").toLowerCase();
    return lang.indexOf("en") === 0 ? "en" : "ja";
  }

  function findErrorElement(input) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/);
    for (var i = 0; i < ids.length; i++) {
      if (!ids[i]) continue;
      var el = document.getElementById(ids[i]);
      if (el && (el.classList.contains("dads-form-control-label__error-text") ||
                 el.classList.contains("dads-input-text__error-text"))) {
        return el;
      }
    }
    var group = input.closest(".dads-form-control-label");
    if (!group) return null;
    var found = group.querySelector(".dads-form-control-label__error-text, .dads-input-text__error-text");
    if (found) return found;
    // The server renders the error element only when there is an error: make an
    // empty one (hidden by CSS while empty) just before the input, like the
    // server-rendered one, and list it first in aria-describedby.
    var el = document.createElement("p");
    el.className = "dads-form-control-label__error-text";
    el.id = (input.id || input.name) + "-err";
    input.parentNode.insertBefore(el, input);
    var described = (input.getAttribute("aria-describedby") || "").trim();
    input.setAttribute("aria-describedby", described ? el.id + " " + described : el.id);
    return el;
  }

  function setupConfirmPassword(form) {
    var password = form.querySelector('input[name="password"]');
    var confirm = form.querySelector('input[name="password_confirm"]');
    if (!password || !confirm) return;
    var errorEl = findErrorElement(confirm);
    if (!errorEl) return;

    var message = form.getAttribute("data-confirm-password") || MESSAGES[pageLang()];
    var serverText = errorEl.textContent.trim();  // error rendered by the server, if any
    var touched = false;                           // only speak up after the user typed in the confirm field

    // Announce changes politely; set once at start so screen readers pick it up.
    if (!errorEl.hasAttribute("aria-live")) errorEl.setAttribute("aria-live", "polite");

    function check() {
      if (!touched) return;
      var mismatch = confirm.value !== "" && password.value !== confirm.value;
      var current = errorEl.textContent.trim();
      if (mismatch) {
        if (current !== message) errorEl.textContent = message;
        confirm.setAttribute("aria-invalid", "true");
      } else if (current === message || (current !== "" && current === serverText)) {
        errorEl.textContent = "";
        confirm.removeAttribute("aria-invalid");
      }
    }

    confirm.addEventListener("input", function () {
      // Stay quiet while the user is still typing a shorter, so far matching prefix.
      if (!touched && password.value.indexOf(confirm.value) === 0) return;
      touched = true;
      check();
    });
    confirm.addEventListener("blur", function () {
      if (confirm.value !== "") touched = true;
      check();
    });
    password.addEventListener("input", check);
  }

  function init() {
    var forms = document.querySelectorAll("form[data-confirm-password]");
    for (var i = 0; i < forms.length; i++) setupConfirmPassword(forms[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
