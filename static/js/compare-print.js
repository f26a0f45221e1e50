/*
 * The "Print / Save as PDF" button of the printable comparison. It stays hidden
 * without JavaScript (the browser's own Print command works anyway). No inline
 * handlers: the CSP forbids them.
 */
(function () {
  "use strict";

  document.querySelectorAll("[data-print][hidden]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
