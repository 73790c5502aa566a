// One patrol's track on a map (Leaflet): the area's boundary (GeoJSON), the track as a line,
// markers where it started and ended. No tiles unless the deployment has its own tile server
// (<div id="patrol-map" data-tiles="…">): county networks are often closed.
// Data: <script type="application/json" id="patrol-map-data">{boundary, track: [[lat, lng]…], centre, labels}</script>
(function () {
  "use strict";
  var el = document.getElementById("patrol-map");
  var dataEl = document.getElementById("patrol-map-data");
  if (!el || !dataEl || typeof L === "undefined") return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  var tiles = el.getAttribute("data-tiles");
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  var bounds = L.latLngBounds([]);
  var boundary = null;
  if (data.boundary) {
    try {
      boundary = L.geoJSON(data.boundary, {
        style: { color: "#52606d", weight: 1.5, fillColor: "#e4f4e4", fillOpacity: 0.5 },
      });
      bounds.extend(boundary.getBounds());
    } catch (e) { boundary = null; }  // an unreadable boundary leaves the track alone on the map
  }
  var track = (data.track || []).filter(function (p) { return isFinite(p[0]) && isFinite(p[1]); });
  if (track.length) bounds.extend(L.latLngBounds(track));
  // The view first: a vector layer added to a map without a view fails.
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 });
  else if (data.centre) map.setView(data.centre, 15);
  else map.setView([29.1, 121.4], 10);
  if (boundary) boundary.addTo(map);
  if (track.length > 1) {
    L.polyline(track, { color: "#b42318", weight: 4, opacity: 0.85, className: "patrol-track" }).addTo(map);
  }
  if (track.length) {
    var labels = data.labels || {};
    L.circleMarker(track[0], { radius: 7, color: "#1f7a3a", fillColor: "#3ebd93", fillOpacity: 1, className: "patrol-start" })
      .bindTooltip(labels.start || "").addTo(map);
    L.circleMarker(track[track.length - 1], { radius: 7, color: "#7a1d14", fillColor: "#e12d39", fillOpacity: 1, className: "patrol-end" })
      .bindTooltip(labels.end || "").addTo(map);
  }
})();
