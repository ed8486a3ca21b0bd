// Reloads the page when what it shows changed: the script tag names the address that answers
// {"version": "..."} and the version the page was rendered with. Typing is never interrupted.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    return;
  }
  var url = script.getAttribute("data-version-url");
  var shown = script.getAttribute("data-version");
  function later() {
    window.setTimeout(check, 1000);
  }
  function typing() {
    var active = document.activeElement;
    return active && active.tagName === "INPUT" && active.type !== "hidden" && active.value !== "";
  }
  function check() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body && body.version !== shown && !typing()) {
          window.location.reload();
        } else {
          later();
        }
      })
      .catch(later);
  }
  later();
})();
