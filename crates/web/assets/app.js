// Progressive enhancement only: every page works without this file.
// When a form comes back with errors, move focus to the summary so screen
// readers announce it and keyboard users start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
