// Draws area polygons (GeoJSON) with Leaflet, coloured by open matters.
// Data: <script type="application/json" id="map-data">{features…}</script>
// Tiles are optional: <div id="map" data-tiles="https://tiles.example/{z}/{x}/{y}.png">.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  if (!el || !dataEl || typeof L === "undefined") return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  var tiles = el.getAttribute("data-tiles");
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  function colour(n, max) {
    if (!n) return "#e4f4e4";
    var t = Math.min(1, n / Math.max(1, max));
    if (t > 0.66) return "#e12d39";
    if (t > 0.33) return "#f7c948";
    return "#9fd8a0";
  }
  var max = 0;
  (data.features || []).forEach(function (f) { max = Math.max(max, f.properties.open || 0); });
  var layer = L.geoJSON(data, {
    style: function (f) {
      return { color: "#52606d", weight: 1, fillOpacity: 0.7, fillColor: colour(f.properties.open, max) };
    },
    onEachFeature: function (f, lyr) {
      var p = f.properties;
      lyr.bindTooltip(p.name + " · " + (p.open || 0), { sticky: true });
      if (p.url) lyr.on("click", function () { window.location.href = p.url; });
    },
  });
  // Set the view before adding anything: a vector layer added to a map without a view fails.
  var bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  else if (data.pins && data.pins.length) map.setView([data.pins[0].lat, data.pins[0].lng], 15);
  else map.setView([29.1, 121.4], 10);
  layer.addTo(map);
  (data.pins || []).forEach(function (p) {
    L.circleMarker([p.lat, p.lng], { radius: 6, color: "#b42318", fillOpacity: 0.9 })
      .bindTooltip(p.label || "").addTo(map);
  });
})();
