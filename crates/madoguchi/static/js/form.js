/*
 * Madoguchi — the online application form (templates/runner/page.html). Progressive
 * enhancement only: every page works without this file, and the server checks everything
 * again on 「次へ進む」. No external requests, no inline handlers (CSP: default-src 'self').
 *
 * (a) The error summary (#error-summary) gets focus when the page loads with errors.
 * (b) <form data-runner data-check-url=…>: when a field is left (or a choice changes), the
 *     page's inputs are posted to check-url, which runs the server's own read_page; the
 *     field's message goes where the server puts it (#<id>-err, aria-invalid,
 *     aria-describedby). Fields whose condition stops or starts holding are hidden/shown.
 * (c) 「住所を検索」 fills the address from /api/v1/postal-codes/{code} without a reload; if
 *     that fails the button does what it does without JavaScript (the server fills it in).
 * (d) data-save-url (signed-in residents): what is typed is saved every few seconds.
 * (e) <form data-submit-once>: a second click on 「申請する」 is ignored while the first is
 *     on its way (the server makes one application either way).
 */
(function () {
  "use strict";

  function formBody(form) {
    var params = new URLSearchParams();
    var data = new FormData(form);
    data.forEach(function (value, key) {
      if (typeof value === "string" && key !== "action") params.append(key, value);
    });
    return params;
  }

  function post(url, form) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: formBody(form).toString()
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function wrapperOf(el) {
    return el.closest ? el.closest(".runner-field[data-path]") : null;
  }

  function idOf(path) {
    return "f-" + path.replace(/[\/.]/g, "-");
  }

  function setDescribed(input, errId, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== errId;
    });
    if (on) ids.unshift(errId);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function showError(wrapper, errors) {
    var path = wrapper.getAttribute("data-path");
    var errId = idOf(path) + "-err";
    var el = document.getElementById(errId);
    if (!el) return;
    var msgs = [];
    errors.forEach(function (e) {
      if ((e.path === path || e.path.indexOf(path + "/") === 0) && msgs.indexOf(e.message) < 0) msgs.push(e.message);
    });
    el.textContent = msgs.join(" ");
    var inputs = wrapper.querySelectorAll("input:not([type=hidden]), textarea, select");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (msgs.length) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      // Radios and checkboxes are described by their fieldset; composite inputs list the error already.
      if (input.type !== "radio" && input.type !== "checkbox" && input.type !== "file" &&
          !wrapper.querySelector(".runner-sub")) {
        setDescribed(input, errId, msgs.length > 0);
      }
    }
  }

  function applyHidden(form, hidden) {
    var wrappers = form.querySelectorAll(".runner-field[data-path]");
    for (var i = 0; i < wrappers.length; i++) {
      var w = wrappers[i];
      var path = w.getAttribute("data-path");
      if (path.indexOf("/") >= 0) continue; // group items follow their group
      var hide = hidden.indexOf(path) >= 0;
      if (w.hidden === hide) continue;
      w.hidden = hide;
      var controls = w.querySelectorAll("input, textarea, select, button, fieldset");
      for (var j = 0; j < controls.length; j++) controls[j].disabled = hide;
    }
  }

  function setupLiveCheck(form) {
    var url = form.getAttribute("data-check-url");
    if (!url) return;
    var touched = {};
    var pending = null;
    function check(wrapper) {
      if (wrapper) touched[wrapper.getAttribute("data-path")] = wrapper;
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () {
        pending = null;
        post(url, form).then(function (res) {
          Object.keys(touched).forEach(function (p) { showError(touched[p], res.errors || []); });
          applyHidden(form, res.hidden || []);
        }).catch(function () { /* the server checks again on 「次へ進む」 */ });
      }, 150);
    }
    form.addEventListener("focusout", function (ev) {
      var t = ev.target;
      if (!t || !t.name || t.type === "file" || t.type === "submit") return;
      var w = wrapperOf(t);
      // Leaving one part of a name or an address for the next part is not leaving the field.
      if (w && ev.relatedTarget && w.contains(ev.relatedTarget)) return;
      if (w) check(w);
    });
    form.addEventListener("change", function (ev) {
      var t = ev.target;
      if (t && (t.type === "radio" || t.type === "checkbox")) check(wrapperOf(t));
    });
  }

  function setupPostal(form) {
    form.addEventListener("click", function (ev) {
      var b = ev.target && ev.target.closest ? ev.target.closest("button[name=action]") : null;
      if (!b || b.value.indexOf("postal:") !== 0) return;
      var prefix = b.value.slice("postal:".length);
      var codeInput = form.querySelector('input[name="' + prefix + '.postal_code"]');
      var addrInput = form.querySelector('input[name="' + prefix + '.address"]');
      if (!codeInput || !addrInput || !window.fetch) return;
      var code = (codeInput.value || "").replace(/[０-９]/g, function (d) {
        return String.fromCharCode(d.charCodeAt(0) - 0xfee0);
      }).replace(/[^0-9]/g, "");
      if (code.length !== 7) return; // let the server explain
      ev.preventDefault();
      var status = form.querySelector("[data-runner-status]");
      fetch("/api/v1/postal-codes/" + code, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.status === 404) return [];
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (list) {
          if (!list.length) {
            if (status) status.textContent = form.getAttribute("data-msg-postal-missing") || "";
            codeInput.focus();
            return;
          }
          var first = list[0];
          var sameTown = list.every(function (a) { return a.town === first.town; });
          addrInput.value = first.prefecture + first.city + (sameTown ? first.town : "");
          if (status) status.textContent = "";
          addrInput.focus();
          var end = addrInput.value.length;
          if (addrInput.setSelectionRange) addrInput.setSelectionRange(end, end);
        })
        .catch(function () {
          // Do it the no-JavaScript way: the server looks the code up.
          if (form.requestSubmit) form.requestSubmit(b);
          else b.click();
        });
    });
  }

  function setupAutosave(form) {
    var url = form.getAttribute("data-save-url");
    if (!url) return;
    var dirty = false;
    var status = form.querySelector("[data-runner-status]");
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    setInterval(function () {
      if (!dirty || document.hidden) return;
      dirty = false;
      post(url, form).then(function (res) {
        if (status && res && res.message) status.textContent = res.message;
      }).catch(function () {
        dirty = true;
        if (status) status.textContent = form.getAttribute("data-msg-network") || "";
      });
    }, 8000);
  }

  function setupSubmitOnce(form) {
    var sent = false;
    form.addEventListener("submit", function (ev) {
      if (sent) {
        ev.preventDefault();
        return;
      }
      sent = true;
      var b = form.querySelector("button[type=submit]");
      if (b) b.setAttribute("aria-disabled", "true");
    });
  }

  function init() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
    var forms = document.querySelectorAll("form[data-runner]");
    for (var i = 0; i < forms.length; i++) {
      setupLiveCheck(forms[i]);
      setupPostal(forms[i]);
      setupAutosave(forms[i]);
    }
    var once = document.querySelectorAll("form[data-submit-once]");
    for (var j = 0; j < once.length; j++) setupSubmitOnce(once[j]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
