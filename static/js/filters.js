// On a narrow screen a list's filter panel starts closed, so the first results show without
// scrolling past every filter; its summary opens it. Wider screens keep it open.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.matchMedia("(max-width: 575.98px)").matches) {
    return;
  }
  document.querySelectorAll("details[data-collapse-narrow]").forEach(function (panel) {
    panel.open = false;
  });
});
