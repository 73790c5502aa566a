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
    if (!rec.fields.patrol && rec.patrolKey && window.fengqiaoPatrol) {
      var patrolId = window.fengqiaoPatrol.idFor(rec.patrolKey);
      if (patrolId) body.append("patrol", String(patrolId));
    }
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
      // a report written on a patrol the server has not started yet: start it first, so the
      // report goes with the patrol's id (a report is never held back for it)
      var patrol = window.fengqiaoPatrol;
      if (patrol && queue.some(function (r) { return r.patrolKey && !r.fields.patrol && !patrol.idFor(r.patrolKey); })) {
        return patrol.flush().catch(function () {}).then(function () { return queue; });
      }
      return queue;
    }).then(function (queue) {
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
    // Written on a patrol: it carries the patrol (its id, or its key until the server has started it).
    var onPatrol = old ? { id: old.fields.patrol, key: old.patrolKey }
      : window.fengqiaoPatrol && window.fengqiaoPatrol.current();
    if (onPatrol && onPatrol.id) fields.patrol = String(onPatrol.id);
    else if (onPatrol && onPatrol.key) rec.patrolKey = onPatrol.key;
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

// Patrol (巡逻) on the phone page: the patroller starts a patrol, the phone records their route
// (one position every so often, from navigator.geolocation.watchPosition), keeps it on the
// phone (localStorage, per user) and sends it to the patrols' API in batches; ending the patrol
// sends what is left, then the end with its note. Everything outlives a reload, a dropped
// network and an expired sign-in; the patrol started offline is started on the server later
// (with the phone's time and one Idempotency-Key, so a retry never starts a second one).
//
// As the report queue does, a request leaves the phone only when the server confirmed it (a 2xx
// JSON answer): 401/403 or a redirect keep it and ask to sign in again; network errors, 408,
// 429, 5xx and answers that are not JSON keep it for later; another 4xx is a refusal the server
// will not change its mind on: that batch (or that start, or that end) is dropped and said.
(function () {
  "use strict";
  var card = document.getElementById("patrol-card");
  var dataEl = document.getElementById("patrol-data");
  if (!card || !dataEl || !window.JSON || !window.fetch) return;
  var cfg = JSON.parse(dataEl.textContent);
  var STORE = "fengqiao-patrol:" + cfg.user;
  var API = cfg.api;
  var POINT_EVERY = Math.max(0, Number(cfg.point_every_s) || 0) * 1000;
  var SEND_EVERY = Math.max(1, Number(cfg.send_every_s) || 30) * 1000;
  var BATCH = Math.max(1, Number(cfg.batch) || 200);
  // a patrol is never longer: the server takes no later position
  var MAX_DURATION = (Number(cfg.max_duration_s) || 12 * 3600) * 1000;
  var KEEP_IDS = 50;  // patrol keys remembered after the patrol ended (reports still queued)
  var $ = function (id) { return document.getElementById(id); };
  var idleEl = $("patrol-idle"), runningEl = $("patrol-running"), statusEl = $("patrol-status");
  var loginEl = $("patrol-login"), errorsEl = $("patrol-errors"), noteEl = $("patrol-note"), gpsEl = $("patrol-gps");
  var reportHint = $("report-on-patrol");

  // ------------------------------------------------------------------ what the phone keeps
  // {trips: [{key, id, startedAt, points: [{at, longitude, latitude, accuracy}], sent, distance,
  //           lastKeptAt, note, finish: {note, ended_at} | null, closed}], ids: {key: id}}
  // The running trip is the last one neither ended (finish) nor closed; the others only wait
  // for their positions and their end to reach the server.
  var memory = null, storageFull = false;
  function load() {
    if (memory) return memory;
    var s = null;
    try { s = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { s = null; }
    if (!s || typeof s !== "object" || !Array.isArray(s.trips)) s = { trips: [], ids: {} };
    if (!s.ids || typeof s.ids !== "object") s.ids = {};
    s.trips = s.trips.filter(function (t) { return t && t.key; });
    s.trips.forEach(function (t) { if (!Array.isArray(t.points)) t.points = []; });
    return s;
  }
  function save(s) {
    try {
      localStorage.setItem(STORE, JSON.stringify(s));
      memory = null;
      storageFull = false;
    } catch (e) {  // full, or refused: kept while the page is open, and said
      memory = s;
      storageFull = true;
    }
  }
  // Read, change, write at once: another tab of the page may have changed the store meanwhile.
  function update(fn) { var s = load(); fn(s); save(s); return s; }
  function find(s, key) {
    for (var i = 0; i < s.trips.length; i++) if (s.trips[i].key === key) return s.trips[i];
    return null;
  }
  function running(s) {
    for (var i = s.trips.length - 1; i >= 0; i--) {
      var t = s.trips[i];
      if (!t.finish && !t.closed) return t;
    }
    return null;
  }
  function remember(s, key, id) {
    s.ids[key] = id;
    var keys = Object.keys(s.ids);
    if (keys.length > KEEP_IDS) keys.slice(0, keys.length - KEEP_IDS).forEach(function (k) { delete s.ids[k]; });
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "p" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var i = document.querySelector("input[name=csrfmiddlewaretoken]");
    return i ? i.value : "";
  }

  // ------------------------------------------------------------------ what the page shows
  var authNeeded = false, notice = "", said = "", errors = [];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function elapsed(iso) {
    var ms = Date.now() - new Date(iso).getTime();
    if (!(ms > 0)) ms = 0;
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function addError(text) {
    errors.push(text);
    if (errors.length > 5) errors.shift();
  }
  function render() {
    var s = load();
    var t = running(s);
    var waiting = 0, ending = false;
    s.trips.forEach(function (x) { waiting += x.points.length; if (x.finish) ending = true; });
    card.setAttribute("data-state", t ? "running" : "idle");
    card.setAttribute("data-patrol", t && t.id ? String(t.id) : "");
    card.setAttribute("data-waiting", String(waiting));
    idleEl.hidden = !!t;
    runningEl.hidden = !t;
    if (reportHint) reportHint.hidden = !t;
    if (t) {
      $("patrol-started").textContent = clock(t.startedAt);
      $("patrol-elapsed").textContent = elapsed(t.startedAt);
      $("patrol-distance").textContent = ((t.distance || 0) / 1000).toFixed(2);
      $("patrol-sent").textContent = String(t.sent || 0);
      $("patrol-queued").textContent = String(t.points.length);
      if (document.activeElement !== noteEl && typeof t.note === "string") noteEl.value = t.note;
    }
    var text = storageFull ? statusEl.getAttribute("data-full")
      : notice && (waiting || ending) ? notice
      : waiting ? statusEl.getAttribute("data-pending").replace("%s", waiting)
      : ending ? statusEl.getAttribute("data-ending")
      : said;
    statusEl.textContent = text || "";
    loginEl.hidden = !(authNeeded && (waiting || ending || s.trips.some(function (x) { return !x.id; })));
    errorsEl.innerHTML = "";
    errors.forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e;
      errorsEl.appendChild(li);
    });
  }

  // ------------------------------------------------------------------ sending
  function readJson(resp) {
    var type = resp.headers.get("Content-Type") || "";
    if (type.indexOf("json") < 0) return Promise.resolve(null);
    return resp.json().catch(function () { return null; });
  }
  // Resolves to {outcome: "ok" | "auth" | "refused" | "later" | "unknown" | "offline", json, detail}.
  function post(url, body, key) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() };
    if (key) headers["Idempotency-Key"] = key;
    return fetch(url, {
      method: "POST", body: JSON.stringify(body), credentials: "same-origin", redirect: "manual", headers: headers,
    }).then(function (resp) {
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) return { outcome: "auth" };
      if (resp.status >= 200 && resp.status < 300) {
        return readJson(resp).then(function (j) { return { outcome: j ? "ok" : "unknown", json: j }; });
      }
      if (resp.status >= 400 && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
        return readJson(resp).then(function (j) {
          return { outcome: "refused", json: j, detail: (j && j.detail) || ("HTTP " + resp.status) };
        });
      }
      return { outcome: resp.status >= 500 || resp.status === 408 || resp.status === 429 ? "later" : "unknown" };
    }, function () { return { outcome: "offline" }; });
  }
  // Stop sending for now (false): signed out, offline, or the server cannot answer now.
  function halt(r) {
    if (r.outcome === "auth") { authNeeded = true; notice = ""; }
    if (r.outcome === "later") notice = statusEl.getAttribute("data-server");
    if (r.outcome === "unknown") notice = statusEl.getAttribute("data-unknown");
    return false;
  }
  function confirmed() { authNeeded = false; notice = ""; }
  function drop(key, detail) {
    update(function (s) { s.trips = s.trips.filter(function (t) { return t.key !== key; }); });
    if (detail) addError(detail);
  }

  // One trip as far as the server takes it: its start, its positions (oldest first, in
  // batches), its end. Resolves true to go on with the next trip, false to stop for now.
  function sendTrip(key) {
    var t = find(load(), key);
    if (!t) return Promise.resolve(true);
    if (!t.id) {
      return post(API, { started_at: t.startedAt }, t.key).then(function (r) {
        if (r.outcome === "ok" && r.json.id) {
          confirmed();
          update(function (s) {
            var x = find(s, key);
            if (x) { x.id = r.json.id; remember(s, x.key, x.id); }
          });
          return sendTrip(key);
        }
        if (r.outcome === "ok") return halt({ outcome: "unknown" });
        if (r.outcome === "refused") { confirmed(); drop(key, r.detail); return true; }
        return halt(r);
      });
    }
    if (t.points.length) {
      var batch = t.points.slice(0, BATCH);
      return post(API + t.id + "/points/", { points: batch }).then(function (r) {
        if (r.outcome === "ok" && typeof r.json.accepted !== "number") return halt({ outcome: "unknown" });
        if (r.outcome !== "ok" && r.outcome !== "refused") return halt(r);
        confirmed();
        var sent = {};
        batch.forEach(function (p) { sent[p.at] = true; });
        update(function (s) {
          var x = find(s, key);
          if (!x) return;
          x.points = x.points.filter(function (p) { return !sent[p.at]; });
          if (r.outcome === "ok" && typeof r.json.point_count === "number") x.sent = r.json.point_count;
          if (r.outcome === "ok" && typeof r.json.distance_m === "number") x.distance = r.json.distance_m;
        });
        if (r.outcome === "refused") addError(r.detail);
        else if (r.json.refused) addError(statusEl.getAttribute("data-refused-points").replace("%s", r.json.refused));
        return sendTrip(key);
      });
    }
    if (t.finish) {
      return post(API + t.id + "/finish/", { note: t.finish.note, ended_at: t.finish.ended_at }).then(function (r) {
        if (r.outcome === "ok") { confirmed(); drop(key); said = statusEl.getAttribute("data-ended"); return true; }
        if (r.outcome === "refused") { confirmed(); drop(key, r.detail); return true; }
        return halt(r);
      });
    }
    if (t.closed) drop(key);
    return Promise.resolve(true);
  }
  var flushing = null, again = false;
  function flush() {
    if (flushing) { again = true; return flushing; }
    again = false;
    var keys = load().trips.map(function (t) { return t.key; });
    var chain = Promise.resolve(true);
    keys.forEach(function (key) {
      chain = chain.then(function (go) { return go ? sendTrip(key) : false; });
    });
    flushing = chain.catch(function () { /* what is kept stays kept */ }).then(function () {
      render();
      flushing = null;
      if (again) return flush();
    });
    return flushing;
  }

  // ------------------------------------------------------------------ recording the route
  var watchId = null;
  function gps(text) { if (gpsEl) gpsEl.textContent = text; }
  function onPosition(pos) {
    var c = pos.coords;
    if (!c || !isFinite(c.latitude) || !isFinite(c.longitude)) return;
    gps(c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5) + (isFinite(c.accuracy) ? " ±" + Math.round(c.accuracy) + " m" : ""));
    var now = Date.now();
    var kept = false;
    update(function (s) {
      var t = running(s);
      if (!t) return;
      // the fix's own time, unless it lies before the start (a fix the phone had already) or
      // the phone gives a strange one: then the moment it came
      var start = new Date(t.startedAt).getTime();
      var when = isFinite(pos.timestamp) && pos.timestamp >= start && Math.abs(pos.timestamp - now) < 60000
        ? pos.timestamp : now;
      if (when - (t.lastKeptAt || 0) < POINT_EVERY || when < start || when - start > MAX_DURATION) return;
      var at = new Date(when).toISOString();
      if (t.points.length && t.points[t.points.length - 1].at === at) return;
      t.points.push({ at: at, longitude: Math.round(c.longitude * 1e7) / 1e7, latitude: Math.round(c.latitude * 1e7) / 1e7,
                      accuracy: isFinite(c.accuracy) ? Math.round(c.accuracy * 10) / 10 : null });
      t.lastKeptAt = when;
      kept = true;
    });
    if (kept) render();
  }
  function onGpsError(err) {
    gps(gpsEl ? gpsEl.getAttribute(err && err.code === 1 ? "data-denied" : "data-unavailable") : "");
  }
  function watch() {
    if (watchId !== null) return;
    if (!navigator.geolocation) { onGpsError(null); return; }
    gps(gpsEl ? gpsEl.getAttribute("data-waiting") : "");
    watchId = navigator.geolocation.watchPosition(onPosition, onGpsError,
      { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
  }
  function unwatch() {
    if (watchId !== null && navigator.geolocation) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }

  // ------------------------------------------------------------------ start and end
  $("patrol-start").addEventListener("click", function () {
    var started = false;
    update(function (s) {
      if (running(s)) return;  // another tab started one
      s.trips.push({ key: newKey(), id: null, startedAt: new Date().toISOString(), points: [], sent: 0, distance: 0,
                     lastKeptAt: 0, note: "", finish: null, closed: false });
      started = true;
    });
    said = "";
    errors = [];
    watch();
    render();
    if (started) flush();
  });
  $("patrol-finish").addEventListener("click", function () {
    var b = $("patrol-finish");
    if (b.getAttribute("data-confirm") && !window.confirm(b.getAttribute("data-confirm"))) return;
    var endedAt = new Date().toISOString();  // when the button was pressed
    update(function (s) {
      var t = running(s);
      if (t) t.finish = { note: noteEl.value, ended_at: endedAt };
    });
    unwatch();
    noteEl.value = "";
    render();
    flush();
  });
  noteEl.addEventListener("input", function () {
    update(function (s) { var t = running(s); if (t) t.note = noteEl.value; });
  });

  // ------------------------------------------------------------------ the page opens
  // The server's word on the running patrol as the page was drawn (cfg.running), against what
  // the phone kept. The page may be old (the service worker opens the last one it had when
  // there is no network), so the phone acts on it only where that loses nothing:
  // - a running patrol the phone does not know (started on another phone, or this phone's
  //   store was cleared) is taken over; one it knew (ended here, its end maybe still on the
  //   way) is not;
  // - a running patrol of the phone that the page does not show running is asked about
  //   (GET /api/v1/patrols/{id}/): only an answer that it has ended (by the patroller
  //   elsewhere, or automatically after the phone went quiet) closes it here; its positions
  //   still to send are sent all the same.
  function known(s, id) {
    return s.trips.some(function (x) { return x.id === id; })
      || Object.keys(s.ids).some(function (k) { return s.ids[k] === id; });
  }
  function adopt(s, server) {
    s.trips.push({ key: "server:" + server.id, id: server.id, startedAt: server.started_at, points: [],
                   sent: server.point_count, distance: server.distance_m, lastKeptAt: 0, note: "", finish: null,
                   closed: false });
    remember(s, "server:" + server.id, server.id);
  }
  function reconcile() {
    var server = cfg.running;
    var s = update(function (st) {
      var t = running(st);
      if (server && !t && !known(st, server.id)) adopt(st, server);
      else if (server && t && t.id === server.id) {
        t.sent = Math.max(t.sent || 0, server.point_count);
        t.distance = server.distance_m;
      }
    });
    var t = running(s);
    if (!t || !t.id || (server && server.id === t.id)) return Promise.resolve();
    var key = t.key, id = t.id;
    return fetch(API + id + "/", { credentials: "same-origin", redirect: "manual", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        if (!resp.ok) return null;
        return readJson(resp);
      }, function () { return null; })
      .then(function (j) {
        if (!j || j.id !== id || (j.state !== "ended" && !j.ended_at)) return;
        update(function (st) {
          var x = find(st, key);
          // ended automatically while the phone held positions it could not send: they extend
          // it, and the patroller ends it here with their note
          if (!x || x.finish || x.closed || (j.end_reason === "timed_out" && x.points.length)) return;
          x.closed = true;
          said = statusEl.getAttribute("data-closed");
          if (server && !running(st) && !known(st, server.id)) adopt(st, server);
        });
        unwatch();
        if (running(load())) watch();
        render();
      });
  }
  var asked = reconcile();  // takes a patrol over at once; asks about one in the background
  if (running(load())) watch();
  render();
  asked.catch(function () {}).then(flush);
  setInterval(function () {
    var t = running(load());
    if (t) $("patrol-elapsed").textContent = elapsed(t.startedAt);
  }, 1000);
  setInterval(flush, SEND_EVERY);
  window.addEventListener("online", flush);
  window.addEventListener("pageshow", function (e) { if (e.persisted) flush(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(); });
  window.addEventListener("storage", function (e) { if (e.key === STORE) render(); });

  // What the report form reads: the running patrol, and the id of a patrol by its key.
  window.fengqiaoPatrol = {
    current: function () {
      var t = running(load());
      return t ? { key: t.key, id: t.id } : null;
    },
    idFor: function (key) {
      var s = load(), t = find(s, key);
      return (t && t.id) || s.ids[key] || null;
    },
    flush: flush,
    state: load,
  };
})();
