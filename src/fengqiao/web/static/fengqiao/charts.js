// ECharts for the dashboards. Each <div class="chart" data-chart="ID"> reads the JSON in
// <script type="application/json" id="ID">{type, x, series:[{name, data, stack}], links}</script>.
// Clicking a bar/point opens the matching filtered list (links[seriesIndex][dataIndex]).
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var src = document.getElementById(el.getAttribute("data-chart"));
    if (!src) return;
    var spec = JSON.parse(src.textContent);
    var chart = echarts.init(el, null, { renderer: "svg" });
    var option;
    if (spec.type === "pie") {
      option = {
        tooltip: { trigger: "item" },
        legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: spec.series[0].data }],
      };
    } else {
      option = {
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 20, top: 40, bottom: 40, containLabel: true },
        xAxis: { type: "category", data: spec.x, axisLabel: { rotate: spec.x.length > 10 ? 40 : 0 } },
        yAxis: { type: "value", max: spec.percent ? 100 : undefined,
                 axisLabel: { formatter: spec.percent ? "{value}%" : "{value}" } },
        series: spec.series.map(function (s) {
          return { name: s.name, type: spec.type || "bar", stack: s.stack, data: s.data, smooth: true };
        }),
      };
    }
    // Only when the chart names its colours: `color: undefined` would wipe ECharts' default
    // palette and draw every series invisibly.
    if (spec.colors && spec.colors.length) option.color = spec.colors;
    option.animation = false;
    chart.setOption(option);
    el.setAttribute("data-rendered", "1");
    chart.on("click", function (p) {
      var links = spec.links || [];
      var url = spec.type === "pie" ? (links[p.dataIndex] || null)
                                    : ((links[p.seriesIndex] || [])[p.dataIndex] || null);
      if (url) window.location.href = url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
