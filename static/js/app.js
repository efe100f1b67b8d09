// Halen/Brengen: small progressive enhancements; no inline script (strict CSP).
// htmx itself is configured through <meta name="htmx-config"> in base.html.
(function () {
  "use strict";

  // The step timer: the server sends the seconds left; every screen counts down from there.
  var timers = [];
  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }
  function format(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }
  function scanTimers() {
    timers = [];
    document.querySelectorAll("[data-timer]").forEach(function (el) {
      if (!el.__hbStart) {
        el.__hbStart = Date.now();
      }
      timers.push(el);
    });
  }
  function tick() {
    timers.forEach(function (el) {
      if (el.getAttribute("data-running") !== "1") return;
      var left = parseInt(el.getAttribute("data-left"), 10) - (Date.now() - el.__hbStart) / 1000;
      var value = el.querySelector(".timer-value");
      if (value) value.textContent = format(left);
      el.classList.toggle("ended", left <= 0);
    });
  }
  setInterval(tick, 1000);

  // A list that refreshes itself (the action list) waits while someone fills in a form in it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-live-list")) return;
    if (elt.querySelector("details[open]") || elt.contains(document.activeElement)) {
      event.preventDefault();
    }
  });

  // A pushed element may ask the page to move on (a participant seated at a tafel).
  function followRedirect() {
    var el = document.querySelector("[data-redirect]");
    if (el && el.getAttribute("data-redirect")) {
      window.location.assign(el.getAttribute("data-redirect"));
    }
  }

  document.addEventListener("htmx:afterSettle", scanTimers);
  document.addEventListener("htmx:oobAfterSwap", function () {
    scanTimers();
    followRedirect();
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    scanTimers();
    followRedirect();
  });

  // Copy buttons (the join link).
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var done = function () {
      var original = button.textContent;
      button.textContent = button.getAttribute("data-copied") || original;
      setTimeout(function () {
        button.textContent = original;
      }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done);
    } else {
      input.select();
      document.execCommand("copy");
      done();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    scanTimers();
    tick();
    followRedirect();
  });
})();
