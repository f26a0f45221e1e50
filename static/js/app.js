/*
 * AI Competitor Insight Hub — small progressive enhancements.
 * Loaded with `defer`; nothing essential depends on it. No eval, no inline handlers (strict CSP).
 */
(function () {
  "use strict";

  // Reveal the close buttons of dismissible messages (they stay hidden without JavaScript).
  function enhance(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("[data-dismissible] [data-dismiss][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function dismiss(button) {
    var item = button.closest("[data-dismissible]");
    if (!item) {
      return;
    }
    var container = item.closest(".messages");
    var next = item.nextElementSibling || item.previousElementSibling;
    item.remove();

    // Keep keyboard focus somewhere sensible instead of dropping it on <body>.
    var nextButton = next && next.querySelector("[data-dismiss]");
    if (nextButton) {
      nextButton.focus();
      return;
    }
    if (container && !container.querySelector("[data-dismissible]")) {
      container.remove();
    }
    var main = document.getElementById("main");
    if (main) {
      main.focus({ preventScroll: true });
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("[data-dismiss]") : null;
    if (button) {
      event.preventDefault();
      dismiss(button);
    }
  });

  // Content swapped in by htmx gets the same enhancements.
  document.addEventListener("htmx:load", function (event) {
    enhance(event.target);
  });

  enhance(document);
})();
