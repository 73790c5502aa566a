// Minimal service worker so the phone page can be added to the home screen and opens offline.
// Only GET is handled: the queued reports (POST) always go to the server, never to a cache.
// Only a real page is cached: never a redirect (an expired sign-in sends /m/ to the login page)
// or an error, so the phone never opens a stale login page as its home screen.
var CACHE = "fengqiao-phone-v2";
self.addEventListener("install", function (e) { self.skipWaiting(); });
self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("fengqiao-phone-") === 0 && k !== CACHE; })
                           .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (url.pathname === "/m/" || url.pathname.indexOf("/static/") === 0) {
    e.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && resp.type === "basic" && !resp.redirected) {
        var copy = resp.clone();
        caches.open(CACHE).then(function (c) { c.put(req, copy); });
      }
      return resp;
    }).catch(function () { return caches.match(req); }));
  }
});
