// 记录调解: choosing a scheduled session fills in its place (the place stays editable).
document.addEventListener("change", function (e) {
  var select = e.target;
  if (!select.matches || !select.matches("select.session-choice")) return;
  var form = select.form, option = select.options[select.selectedIndex];
  var place = form && form.querySelector("input[name=place]");
  if (!place || !option) return;
  place.value = option.getAttribute("data-place") || "";
  place.required = !option.value;
});
