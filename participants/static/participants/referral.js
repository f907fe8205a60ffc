// Shows only the identity fields that belong to the chosen mode. Without JavaScript every field is shown
// and the server ignores the ones that do not apply.
(function () {
  "use strict";
  var form = document.getElementById("referral-form");
  if (!form) { return; }
  function update() {
    var checked = form.querySelector("input[name=identity]:checked");
    var mode = checked ? checked.value : "pseudonymous";
    form.querySelectorAll("[data-identity]").forEach(function (el) {
      var show = el.getAttribute("data-identity").split(" ").indexOf(mode) !== -1;
      el.hidden = !show;
    });
  }
  form.querySelectorAll("input[name=identity]").forEach(function (input) {
    input.addEventListener("change", update);
  });
  update();
}());
