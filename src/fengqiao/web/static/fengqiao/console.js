// Console behaviour shared by every page. No inline scripts (CSP script-src 'self').
(function () {
  "use strict";
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  // htmx requests carry the CSRF token like forms do.
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRFToken"] = csrfToken();
  });
  // Language switcher submits on change (the button stays for keyboards without scripts).
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el && el.matches && el.matches("select[data-autosubmit]")) el.form.submit();
  });
  // Confirm dangerous buttons: <button data-confirm="…">
  document.addEventListener("click", function (evt) {
    var el = evt.target.closest ? evt.target.closest("[data-confirm]") : null;
    if (el && !window.confirm(el.getAttribute("data-confirm"))) evt.preventDefault();
  });
  // Suggestion chips fill a form field: <button data-fill="category" data-value="…">
  document.addEventListener("click", function (evt) {
    var el = evt.target.closest ? evt.target.closest("[data-fill]") : null;
    if (!el) return;
    var target = document.getElementById("id_" + el.getAttribute("data-fill"));
    if (target) { target.value = el.getAttribute("data-value"); target.dispatchEvent(new Event("change")); }
  });
  // A form sent once: <form data-submit-once>. Its buttons (those outside it with form="id"
  // too) are disabled once it is on its way, after the browser has read the clicked one's value.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (evt.defaultPrevented || !form.matches || !form.matches("form[data-submit-once]")) return;
    window.setTimeout(function () {
      var buttons = Array.prototype.slice.call(form.querySelectorAll("button[type=submit]"));
      if (form.id) buttons = buttons.concat(Array.prototype.slice.call(
        document.querySelectorAll("button[form='" + form.id + "']")));
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // …and enabled again when the browser's Back shows that page from its cache
  window.addEventListener("pageshow", function (evt) {
    if (!evt.persisted) return;
    document.querySelectorAll("form[data-submit-once] button[type=submit], button[form]").forEach(function (b) {
      b.disabled = false;
    });
  });
  // "Select all" checkbox for bulk actions: <input type=checkbox data-check-all="name">
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el && el.matches && el.matches("input[data-check-all]")) {
      var name = el.getAttribute("data-check-all");
      document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (c) {
        c.checked = el.checked;
      });
    }
  });
})();
