// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // Copy buttons stay hidden without JavaScript (the code can still be selected).
  function setUpCopyButtons(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.dataset.copyTarget);
        if (!target) return;
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = button.dataset.copiedText || button.textContent;
        });
      });
    });
  }

  // After htmx swaps a page's main content, move focus where a screen reader
  // user needs it: the error summary if there is one, else the new heading.
  function focusAfterSwap(event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "main") return;
    var target = document.getElementById("error-summary") || document.getElementById("page-heading");
    if (target) target.focus();
  }

  // A language button sends the form as a normal page load, so that the whole
  // page (its language, direction and menus) changes, not just what htmx swaps.
  // Caught before the event reaches the form, where htmx listens.
  document.addEventListener(
    "submit",
    function (event) {
      if (event.submitter && event.submitter.name === "switch_language") {
        event.stopPropagation();
      }
    },
    true
  );

  // Staff pages: the language buttons carry the form last typed in (without this
  // file, the page's main form), so that switching language loses none of its words.
  var formsNamed = 0;
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!form || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    // Passwords and codes are never carried anywhere.
    if (form.querySelector("input[type=password], input[autocomplete=one-time-code]")) return;
    var buttons = document.querySelectorAll("[data-language-switch]");
    if (!buttons.length) return;
    if (!form.id) form.id = "typed-form-" + (++formsNamed);
    buttons.forEach(function (button) { button.setAttribute("form", form.id); });
  });

  // Leave quickly: go to the portal's exit route in place of this page, so that Back
  // does not come back here; pressing Escape three times does the same.
  function leave() {
    var link = document.querySelector("[data-leave]");
    if (link) window.location.replace(link.href);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-leave]");
    if (!link) return;
    event.preventDefault();
    leave();
  });
  var escapes = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !document.querySelector("[data-leave]")) return;
    var now = Date.now();
    escapes = escapes.filter(function (at) { return now - at < 2000; });
    escapes.push(now);
    if (escapes.length >= 3) leave();
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpCopyButtons(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    setUpCopyButtons(event.detail.target || document);
    focusAfterSwap(event);
  });
})();
