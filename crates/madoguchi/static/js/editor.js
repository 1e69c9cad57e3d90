// Form editor enhancement (static/js/editor.js). Without this script every edit is a plain
// form POST that saves and reloads the page. With it, the same POST is sent in the
// background and the editor (with its preview) is swapped in place: the scroll position, the
// open settings panels and the keyboard focus stay where they were (after ↑/↓ the focus
// follows the moved item), and the result is announced to screen readers.
(function () {
  "use strict";
  var root = document.getElementById("editor-root");
  if (!root || !window.fetch || !window.DOMParser) {
    return;
  }
  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  document.body.appendChild(live);

  // Where a <details> panel is, so it can be reopened after the swap.
  function detailsKey(d) {
    var holder = d.closest("[id]");
    var list = holder ? holder.querySelectorAll("details") : [];
    var i = Array.prototype.indexOf.call(list, d);
    return (holder ? holder.id : "") + ":" + i;
  }

  function openPanels() {
    var keys = [];
    root.querySelectorAll("details[open]").forEach(function (d) {
      keys.push(detailsKey(d));
    });
    return keys;
  }

  function swap(html, focusId, keys) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("editor-root");
    if (!fresh) {
      return false;
    }
    root.innerHTML = fresh.innerHTML;
    root.querySelectorAll("details").forEach(function (d) {
      if (keys.indexOf(detailsKey(d)) >= 0) {
        d.open = true;
      }
    });
    var summary = root.querySelector("#error-summary");
    var status = doc.getElementById("editor-live");
    live.textContent = summary ? summary.textContent.trim() : status ? status.textContent.trim() : "";
    var target = summary || (focusId && document.getElementById(focusId));
    if (target && target.disabled && focusId) {
      // A moved item at the top or bottom: its other button is the useful one.
      var other = focusId.indexOf("up-") === 0 ? "down-" + focusId.slice(3) : "up-" + focusId.slice(5);
      target = document.getElementById(other);
    }
    if (target) {
      target.focus();
    }
    return true;
  }

  root.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-editor")) {
      return;
    }
    ev.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    var submitter = ev.submitter;
    if (submitter && submitter.name) {
      body.append(submitter.name, submitter.value);
    }
    var focusId = submitter && submitter.id ? submitter.id : null;
    var keys = openPanels();
    if (submitter) {
      submitter.disabled = true;
    }
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    })
      .then(function (resp) {
        return resp.text().then(function (text) {
          if (!swap(text, focusId, keys)) {
            window.location.reload();
          }
        });
      })
      .catch(function () {
        // Network trouble: fall back to the plain form.
        form.submit();
      });
  });
})();
