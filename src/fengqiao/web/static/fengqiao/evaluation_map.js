// The evaluation's map (考评地图): the area units of the ranking, each filled by the figure chosen
// in <select id="evaluation-map-indicator"> (the score by default).
// Data: <script type="application/json" id="evaluation-map-data">{features, indicators:[{code,
// name, classes:[{lo, hi, colour, label}]}], none:{colour, label}, labels}</script>
// (evaluation.maps.unit_map). Only the polygons on a plain background: no tiles, nothing fetched
// (the county network is closed). The legends are printed by the page; this shows the chosen one.
(function () {
  "use strict";
  var el = document.getElementById("evaluation-map");
  var src = document.getElementById("evaluation-map-data");
  if (!el || !src || typeof L === "undefined") return;
  var data = JSON.parse(src.textContent);
  var select = document.getElementById("evaluation-map-indicator");
  var byCode = {};
  (data.indicators || []).forEach(function (i) { byCode[i.code] = i; });
  var current = byCode[select ? select.value : "score"] || (data.indicators || [])[0];
  if (!current) return;

  function escape(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // The class of a value: lo <= value < hi (null: open); none for no figure.
  function colour(p) {
    var v = (p.values || {})[current.code];
    if (v === null || v === undefined) return data.none.colour;
    for (var k = 0; k < current.classes.length; k++) {
      var c = current.classes[k];
      if ((c.lo === null || v >= c.lo) && (c.hi === null || v < c.hi)) return c.colour;
    }
    return data.none.colour;
  }
  function shown(p) { return (p.text || {})[current.code] || "—"; }
  function tip(p) {
    var labels = data.labels || {};
    var html = "<strong>" + escape(p.name) + "</strong><br>" + escape(labels.score) + " " +
      escape((p.text || {}).score || "—") + " · " + escape(labels.rank) + " " +
      escape(p.rank === null || p.rank === undefined ? "—" : p.rank);
    if (current.code !== "score") html += "<br>" + escape(current.name) + " " + escape(shown(p));
    return html;
  }
  function style(f) {
    return { color: "#52606d", weight: 1, fillOpacity: 0.8, fillColor: colour(f.properties),
             className: "evaluation-unit unit-" + f.properties.code };
  }

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  var labels = [];
  var layer = L.geoJSON(data, {
    style: style,
    onEachFeature: function (f, lyr) {
      var content = function () { return tip(f.properties); };
      lyr.bindTooltip(content, { sticky: true });
      lyr.bindPopup(content);
    },
  });
  // Set the view before adding anything: a vector layer added to a map without a view fails.
  var bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  else map.setView([29.1, 121.4], 10);
  layer.addTo(map);
  // Each unit's figure written on it ("—" for none), at a point inside it.
  function icon(p) {
    return L.divIcon({ className: "evaluation-map-label", html: escape(shown(p)), iconSize: null });
  }
  (data.features || []).forEach(function (f) {
    var at = f.properties.label;
    if (!at) return;
    labels.push([f.properties, L.marker(at, { icon: icon(f.properties), interactive: false, keyboard: false })
      .addTo(map)]);
  });

  function show(code) {
    current = byCode[code] || current;
    layer.setStyle(style);
    labels.forEach(function (pair) { pair[1].setIcon(icon(pair[0])); });
    document.querySelectorAll(".evaluation-legend[data-indicator]").forEach(function (ul) {
      ul.hidden = ul.getAttribute("data-indicator") !== current.code;
    });
    el.setAttribute("data-indicator", current.code);
  }
  if (select) select.addEventListener("change", function () { show(select.value); });
  show(current.code);
  el.setAttribute("data-rendered", "1");
  window.addEventListener("resize", function () { map.invalidateSize(); });
})();
