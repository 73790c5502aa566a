// Grid worker's phone page: reports are queued on the phone (IndexedDB) and sent when the
// network allows. Each report carries one Idempotency-Key from the moment it is written, so
// a retry after a dropped connection never creates a second matter.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var statusEl = document.getElementById("queue-status");
  var gpsEl = document.getElementById("gps-status");
  var DB = "fengqiao-phone", STORE = "outbox";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var out = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(rec) { return tx("readwrite", function (s) { s.put(rec); }); }
  function del(key) { return tx("readwrite", function (s) { s.delete(key); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function csrf() {
    var i = form.querySelector("input[name=csrfmiddlewaretoken]");
    return i ? i.value : "";
  }
  function showQueue() {
    return all().then(function (items) {
      var pending = items.filter(function (r) { return !r.error; }).length;
      var failed = items.filter(function (r) { return r.error; });
      statusEl.textContent = pending ? statusEl.getAttribute("data-pending").replace("%s", pending)
                                     : statusEl.getAttribute("data-empty");
      statusEl.setAttribute("data-count", String(pending));
      var list = document.getElementById("queue-errors");
      if (list) {
        list.innerHTML = "";
        failed.forEach(function (r) {
          var li = document.createElement("li");
          li.textContent = r.fields.title + ": " + r.error;
          list.appendChild(li);
        });
      }
    });
  }

  var flushing = false;
  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return all().then(function (items) {
      var chain = Promise.resolve();
      items.filter(function (r) { return !r.error; }).forEach(function (rec) {
        chain = chain.then(function () {
          var body = new FormData();
          Object.keys(rec.fields).forEach(function (k) { body.append(k, rec.fields[k]); });
          if (rec.photo) body.append("photo", rec.photo, rec.photoName || "photo.jpg");
          return fetch(form.getAttribute("data-submit-url"), {
            method: "POST", body: body, credentials: "same-origin",
            headers: { "Idempotency-Key": rec.key, "X-CSRFToken": csrf() },
          }).then(function (resp) {
            if (resp.ok) return del(rec.key).then(function () { document.dispatchEvent(new CustomEvent("fq:sent")); });
            if (resp.status >= 400 && resp.status < 500) {
              return resp.json().catch(function () { return {}; }).then(function (j) {
                rec.error = j.detail || ("HTTP " + resp.status);
                return put(rec);
              });
            }
            // 5xx: keep it and try again later.
          }).catch(function () { /* offline: keep it queued */ });
        });
      });
      return chain;
    }).then(showQueue).finally(function () { flushing = false; });
  }

  var coords = null;
  var gpsButton = document.getElementById("gps-button");
  function locate() {
    if (!navigator.geolocation) { gpsEl.textContent = gpsEl.getAttribute("data-unavailable"); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      coords = { lat: pos.coords.latitude.toFixed(6), lng: pos.coords.longitude.toFixed(6) };
      gpsEl.textContent = coords.lat + ", " + coords.lng;
    }, function () { gpsEl.textContent = gpsEl.getAttribute("data-unavailable"); }, { timeout: 8000 });
  }
  if (gpsButton) gpsButton.addEventListener("click", locate);
  locate();

  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    var data = new FormData(form);
    var fields = {};
    ["title", "content", "address", "category", "urgency"].forEach(function (k) {
      if (data.get(k)) fields[k] = data.get(k);
    });
    if (coords) { fields.latitude = coords.lat; fields.longitude = coords.lng; }
    var photo = data.get("photo");
    var rec = { key: newKey(), fields: fields, created: new Date().toISOString() };
    if (photo && photo.size) { rec.photo = photo; rec.photoName = photo.name; }
    put(rec).then(function () {
      form.reset();
      return flush();
    });
  });
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  showQueue().then(flush);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(function () {});
  }
  window.fengqiaoPhone = { flush: flush, pending: all };
})();
