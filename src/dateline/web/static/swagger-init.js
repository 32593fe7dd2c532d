// Starts Swagger UI on /api/docs. A file of its own, not an inline script, so the page
// runs under the site's Content-Security-Policy (script-src 'self'). The document's URL
// comes from the container's data attribute, set by the server.
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,  // the default sends our document to an outside validator
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
