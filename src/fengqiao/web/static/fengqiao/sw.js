// Minimal service worker so the phone page can be added to the home screen and opens offline.
var CACHE = "fengqiao-phone-v1";
self.addEventListener("install", function (e) { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (url.pathname === "/m/" || url.pathname.indexOf("/static/") === 0) {
    e.respondWith(fetch(req).then(function (resp) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (c) { c.put(req, copy); });
      return resp;
    }).catch(function () { return caches.match(req); }));
  }
});
