/* Civic enhancements. Every page works without this file. */
(function () {
  "use strict";
  // Move focus to the error summary after a failed submission.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
  // Error summary links: focus the field, not only scroll to it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      event.preventDefault();
      var input = target.matches("fieldset") ? target.querySelector("input, select, textarea") : target;
      (input || target).focus();
      target.scrollIntoView({ block: "center" });
    }
  });
  // Confirmation for buttons that ask for it (the action still works without script).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
/* Proposals: a copy button for the share link (the read-only field works without it). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    field.addEventListener("focus", function () { field.select(); });
    if (!navigator.clipboard) { return; }
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      }, function () { field.focus(); });
    });
  });
})();
