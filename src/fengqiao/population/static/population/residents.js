// Residents (实有人口): a tenant lives where the rental house is, so the area and address boxes
// are hidden while a house is chosen (the registry takes the house's). No inline scripts (CSP).
(function () {
  "use strict";
  document.querySelectorAll("form[data-where]").forEach(function (form) {
    var house = form.querySelector("select[name=house]");
    var address = form.querySelector(".address-fields");
    if (!house || !address) return;
    function show() {
      var tenant = house.value !== "";
      address.hidden = tenant;
      address.querySelectorAll("select, input").forEach(function (box) { box.required = !tenant && box.hasAttribute("data-required"); });
    }
    house.addEventListener("change", show);
    show();
  });
})();
