/* ReDoc renders its media-type and example choosers as <select> elements without a name, which screen
   readers announce as just "combo box". Name each one as it appears (a file, not an inline script, so the
   Content-Security-Policy can forbid those). */
(function () {
  "use strict";
  function name(root) {
    root.querySelectorAll("select:not([aria-label]):not([aria-labelledby])").forEach(function (select) {
      var options = Array.prototype.map.call(select.options, function (o) { return o.textContent; });
      var mediaTypes = options.length > 0 && options.every(function (t) { return t.indexOf("/") > 0; });
      select.setAttribute("aria-label", mediaTypes ? "Media type" : "Example");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    name(document);
    new MutationObserver(function () { name(document); }).observe(document.body, { childList: true, subtree: true });
  });
})();
