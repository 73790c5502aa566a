// Grid worker's phone page: reports are queued on the phone (IndexedDB) and sent when the
// network allows. Each report carries one Idempotency-Key from the moment it is written, so
// a retry after a dropped connection never creates a second matter.
//
// A report leaves the phone's queue only when the server confirmed it: a 2xx JSON answer that
// carries the created matter's id. Anything else keeps it:
// - 401/403 or a redirect (expired sign-in): kept, the worker is asked to sign in again and the
//   queue is sent when the page opens after signing in;
// - network errors, 408/429, 5xx, an answer that is not JSON: kept and sent again later;
// - other 4xx (the server refused the report, e.g. a file type it does not take): kept and shown
//   with the reason until the worker sends it again, edits it or deletes it.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var statusEl = document.getElementById("queue-status");
  var gpsEl = document.getElementById("gps-status");
  var loginEl = document.getElementById("queue-login");
  var loginLink = document.getElementById("queue-login-link");
  var noticeEl = document.getElementById("queue-notice");
  var errorsEl = document.getElementById("queue-errors");
  var editNote = document.getElementById("edit-note");
  var keepPhotoLabel = document.getElementById("keep-photo-label");
  var keepPhoto = document.getElementById("keep-photo");
  var DB = "fengqiao-phone", STORE = "outbox";
  var FIELDS = ["title", "content", "address", "category", "urgency"];

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
        t.oncomplete = function () { resolve(out ? out.result : undefined); };  // a request's result
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function get(key) { return tx("readonly", function (s) { return s.get(key); }); }
  function put(rec) { return tx("readwrite", function (s) { s.put(rec); }); }
  function del(key) { return tx("readwrite", function (s) { s.delete(key); }); }
  // One transaction: the edited report replaces the refused one, or neither changes.
  function replace(oldKey, rec) { return tx("readwrite", function (s) { s.put(rec); s.delete(oldKey); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function csrf() {
    // The cookie first: signing in again (maybe in another tab) rotates the token.
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var i = form.querySelector("input[name=csrfmiddlewaretoken]");
    return i ? i.value : "";
  }
  function label(rec) {
    var f = rec.fields || {};
    var text = (f.title || "").trim();
    if (!text) {
      var content = (f.content || "").replace(/\s+/g, " ").trim();
      text = content.length > 20 ? content.slice(0, 20) + "…" : content;
    }
    return text || errorsEl.getAttribute("data-untitled");
  }
  function sameOriginPath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : null;
  }

  // ------------------------------------------------------------------ what the page shows
  var authNeeded = false, notice = "";
  function button(text, action, key) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("data-queue-action", action);
    b.setAttribute("data-key", key);
    return b;
  }
  function showQueue() {
    return all().then(function (items) {
      var pending = items.filter(function (r) { return !r.error; }).length;
      var failed = items.filter(function (r) { return r.error; });
      // "Everything has been sent" only when nothing at all is left on the phone.
      statusEl.textContent = pending ? statusEl.getAttribute("data-pending").replace("%s", pending)
        : failed.length ? statusEl.getAttribute("data-refused").replace("%s", failed.length)
        : statusEl.getAttribute("data-empty");
      statusEl.setAttribute("data-count", String(pending));
      statusEl.setAttribute("data-failed", String(failed.length));
      if (loginEl) loginEl.hidden = !(authNeeded && items.length);
      if (noticeEl) {
        noticeEl.textContent = notice;
        noticeEl.hidden = !(notice && pending);
      }
      if (errorsEl) {
        errorsEl.innerHTML = "";
        failed.forEach(function (r) {
          var li = document.createElement("li");
          li.setAttribute("data-key", r.key);
          var text = document.createElement("span");
          text.className = "queue-error-text";
          text.textContent = label(r) + ": " + r.error;
          li.appendChild(text);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(button(errorsEl.getAttribute("data-retry"), "retry", r.key));
          li.appendChild(button(errorsEl.getAttribute("data-edit"), "edit", r.key));
          li.appendChild(button(errorsEl.getAttribute("data-delete"), "delete", r.key));
          errorsEl.appendChild(li);
        });
      }
    });
  }

  // ------------------------------------------------------------------ sending
  function readJson(resp) {
    var type = resp.headers.get("Content-Type") || "";
    if (type.indexOf("json") < 0) return Promise.resolve(null);
    return resp.json().catch(function () { return null; });
  }

  // Resolves to "sent", "auth", "failed", "later" or "unknown"; only "sent" removed the report.
  function send(rec) {
    var body = new FormData();
    Object.keys(rec.fields).forEach(function (k) { body.append(k, rec.fields[k]); });
    if (rec.photo) body.append("photo", rec.photo, rec.photoName || "photo.jpg");
    return fetch(form.getAttribute("data-submit-url"), {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "Idempotency-Key": rec.key, "X-CSRFToken": csrf(), "Accept": "application/json" },
    }).then(function (resp) {
      // A redirect can only be the login page: never a confirmation.
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) {
        return readJson(resp).then(function (j) {
          var url = j && sameOriginPath(j.login_url);
          if (url && loginLink) loginLink.setAttribute("href", url);
          return "auth";
        });
      }
      if (resp.status >= 200 && resp.status < 300) {
        return readJson(resp).then(function (j) {
          if (!j || j.id === undefined || j.id === null) return "unknown";
          return del(rec.key).then(function () {
            document.dispatchEvent(new CustomEvent("fq:sent", { detail: j }));
            return "sent";
          });
        });
      }
      if (resp.status >= 400 && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
        // The server refused this report: keep it with the reason until the worker decides.
        return readJson(resp).then(function (j) {
          rec.error = (j && j.detail) || ("HTTP " + resp.status);
          rec.status = resp.status;
          return put(rec).then(function () { return "failed"; });
        });
      }
      return resp.status >= 500 || resp.status === 408 || resp.status === 429 ? "later" : "unknown";
    }, function () { return "offline"; });
  }

  var flushing = null, again = false;
  function flush() {
    if (flushing) { again = true; return flushing; }
    again = false;
    flushing = all().then(function (items) {
      var queue = items.filter(function (r) { return !r.error; });
      var stop = false;
      var chain = Promise.resolve();
      queue.forEach(function (rec) {
        chain = chain.then(function () {
          if (stop) return;
          return send(rec).then(function (outcome) {
            if (outcome === "sent") { authNeeded = false; notice = ""; }
            if (outcome === "auth") { authNeeded = true; notice = ""; stop = true; }
            if (outcome === "offline") stop = true;
            if (outcome === "later") notice = noticeEl ? noticeEl.getAttribute("data-server") : "";
            if (outcome === "unknown") notice = noticeEl ? noticeEl.getAttribute("data-unknown") : "";
          });
        });
      });
      return chain;
    }).catch(function () { /* the queue stays as it is */ }).then(showQueue).then(function () {
      flushing = null;
      if (again) return flush();
    }, function () { flushing = null; });
    return flushing;
  }

  // ------------------------------------------------------------------ refused reports
  var editing = null;  // the refused report being edited
  function stopEditing() {
    editing = null;
    if (editNote) editNote.hidden = true;
    if (keepPhotoLabel) keepPhotoLabel.hidden = true;
  }
  function startEditing(rec) {
    editing = rec;
    form.reset();
    FIELDS.forEach(function (k) {
      var el = form.elements.namedItem(k);
      if (el && rec.fields[k] !== undefined) el.value = rec.fields[k];
    });
    if (editNote) editNote.hidden = false;
    if (keepPhotoLabel) {
      keepPhotoLabel.hidden = !rec.photo;
      keepPhoto.checked = true;
      document.getElementById("keep-photo-name").textContent = rec.photoName || "";
    }
    form.scrollIntoView();
    var content = form.elements.namedItem("content");
    if (content) content.focus();
  }
  if (errorsEl) {
    errorsEl.addEventListener("click", function (evt) {
      var b = evt.target.closest("[data-queue-action]");
      if (!b) return;
      var key = b.getAttribute("data-key"), action = b.getAttribute("data-queue-action");
      get(key).then(function (rec) {
        if (!rec) return showQueue();
        if (action === "retry") {
          delete rec.error;
          delete rec.status;
          return put(rec).then(flush);
        }
        if (action === "edit") return startEditing(rec);
        if (action === "delete" && window.confirm(errorsEl.getAttribute("data-confirm-delete"))) {
          if (editing && editing.key === key) stopEditing();
          return del(key).then(showQueue);
        }
      });
    });
  }
  var cancel = document.getElementById("edit-cancel");
  if (cancel) cancel.addEventListener("click", function () { stopEditing(); form.reset(); });

  // ------------------------------------------------------------------ location
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

  // ------------------------------------------------------------------ writing a report
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    var data = new FormData(form);
    var fields = {};
    FIELDS.forEach(function (k) {
      if (data.get(k)) fields[k] = data.get(k);
    });
    var old = editing;
    if (old && old.fields.latitude) {  // where the report was first written
      fields.latitude = old.fields.latitude;
      fields.longitude = old.fields.longitude;
    } else if (coords) {
      fields.latitude = coords.lat;
      fields.longitude = coords.lng;
    }
    if (old && old.fields.urgency && !fields.urgency) fields.urgency = old.fields.urgency;
    var photo = data.get("photo");
    // An edited report gets a new key: the server refused the old one, nothing was created.
    var rec = { key: newKey(), fields: fields, created: old ? old.created : new Date().toISOString() };
    if (photo && photo.size) { rec.photo = photo; rec.photoName = photo.name; }
    else if (old && old.photo && keepPhoto && keepPhoto.checked) { rec.photo = old.photo; rec.photoName = old.photoName; }
    (old ? replace(old.key, rec) : put(rec)).then(function () {
      form.reset();
      stopEditing();
      return flush();
    });
  });
  window.addEventListener("online", flush);
  window.addEventListener("pageshow", function (e) { if (e.persisted) flush(); });
  setInterval(flush, 20000);
  showQueue().then(flush);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(function () {});
  }
  window.fengqiaoPhone = { flush: flush, pending: all, showQueue: showQueue };
})();
