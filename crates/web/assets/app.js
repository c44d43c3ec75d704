// Progressive enhancement only: every page works without this file.
// When a form comes back with errors, move focus to the summary so screen
// readers announce it and keyboard users start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link to a group of choices (a fieldset) focuses its first input,
    // as a link to a single field focuses that field.
    summary.addEventListener("click", function (e) {
      var a = e.target.closest("a[href^='#']");
      if (!a) { return; }
      var target = document.getElementById(a.getAttribute("href").slice(1));
      if (!target) { return; }
      var field = target.matches("input, select, textarea") ? target
        : target.querySelector("input:not([type=hidden]), select, textarea");
      if (field) {
        e.preventDefault();
        target.scrollIntoView();
        field.focus();
      }
    });
  }
  // A button that prints the page (the slip of an initial password): the
  // print stylesheet leaves only what is to be handed over.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
});
