// Halen/Brengen: small progressive enhancements; no inline script (strict CSP).
// htmx itself is configured through <meta name="htmx-config"> in base.html.
(function () {
  "use strict";
})();
