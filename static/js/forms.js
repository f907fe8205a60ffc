// After a failed submit the page opens on the error summary, so keyboard and screen-reader users
// hear first what went wrong; each entry links to its field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
