/* Starts Swagger UI on /docs (a file, not an inline script, so the Content-Security-Policy can forbid those). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
      url: holder.getAttribute("data-openapi-url"),
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      showExtensions: true,
      showCommonExtensions: true,
      validatorUrl: null, /* the default badge would load from validator.swagger.io */
      presets: [SwaggerUIBundle.presets.apis]
    });
  });
})();
