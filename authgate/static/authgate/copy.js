/* authgate token pages: a copy button for the one-time secret (progressive enhancement).
   Without JavaScript the secret is a read-only field: select it and copy. */
(function () {
  "use strict";
  function init() {
    document.querySelectorAll("[data-autoselect]").forEach(function (field) {
      field.addEventListener("focus", function () { field.select(); });
    });
    if (!(navigator.clipboard && window.isSecureContext)) return;
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentNode.parentNode.querySelector(".ag-copy-status");
      if (!field) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(
          function () {
            button.textContent = button.getAttribute("data-copied");
            if (status) status.textContent = button.getAttribute("data-copied");
          },
          function () {
            field.focus();
            if (status) status.textContent = button.getAttribute("data-failed");
          }
        );
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
