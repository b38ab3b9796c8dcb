/* Progressive enhancement only: every page works without this script. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    var filters = document.querySelector("details.filters");
    if (filters && window.matchMedia("(max-width: 56rem)").matches && !location.search.match(/[?&]expand=/)) {
      filters.open = false;
    }
  });
})();
