// Check-point registration (平安点位): the empty interval and checklist boxes show the chosen
// kind's usual ones (what the registry takes when they are left empty). No inline scripts (CSP).
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  var checklist = document.getElementById("id_checklist");
  var days = document.getElementById("id_inspect_every_days");
  if (!kind || !checklist || !days) return;
  function show() {
    var chosen = kind.options[kind.selectedIndex];
    checklist.placeholder = (chosen && chosen.getAttribute("data-checklist")) || "";
    days.placeholder = (chosen && chosen.getAttribute("data-days")) || "";
  }
  kind.addEventListener("change", show);
  show();
})();
