// Mediation statistics charts (ECharts). Data comes from the page's json_script; no inline JS (CSP).
(function () {
  "use strict";
  var el = document.getElementById("mediation-chart-data");
  if (!el || typeof window.echarts === "undefined") return;
  var d = JSON.parse(el.textContent);
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    var c = window.echarts.init(node);
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  chart("chart-months", {
    tooltip: { trigger: "axis" },
    legend: { data: [d.labels.screened, d.labels.succeeded, d.labels.failed] },
    xAxis: { type: "category", data: d.months },
    yAxis: { type: "value" },
    series: [
      { name: d.labels.screened, type: "bar", data: d.screened },
      { name: d.labels.succeeded, type: "bar", data: d.succeeded },
      { name: d.labels.failed, type: "line", data: d.failed }
    ]
  });
  chart("chart-types", { tooltip: { trigger: "item" }, series: [{ type: "pie", radius: ["35%", "65%"], data: d.types }] });
  chart("chart-areas", {
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: d.areas, axisLabel: { rotate: 40 } },
    yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); }, max: 100 },
    series: [{ name: d.labels.rate, type: "bar", data: d.area_rates }]
  });
})();
