// Grid worker's phone page: reports are queued on the phone (IndexedDB) and sent when the
// network allows. Each report carries one Idempotency-Key from the moment it is written, so
// a retry after a dropped connection never creates a second matter.
//
// A report leaves the phone's queue only when the server confirmed it: a 2xx JSON answer that
// carries the created matter's id. Anything else keeps it:
// - 401/403 or a redirect (expired sign-in): kept, the worker is asked to sign in again and the
//   queue is sent when the page opens after signing in;
// - 401 wrong_user: another account has signed in on this phone meanwhile (the page names its
//   own account in X-Fengqiao-User, the server compares it with the session): kept as above;
// - network errors, 408/429, 5xx, an answer that is not JSON: kept and sent again later;
// - other 4xx (the server refused the report, e.g. a file type it does not take): kept and shown
//   with the reason until the worker sends it again, edits it or deletes it.
// A report is kept with the account that wrote it (rec.user) and sent only from that account's
// page, naming it: the queue is one per phone (IndexedDB), and a page of another account that
// signs in on the same phone leaves it alone (it only says how many wait).
// What the report queue and the patrol card below both need: a fresh Idempotency-Key, the
// CSRF token (the cookie first: signing in again, maybe in another tab, rotates the token) and
// a list's button that names its action and entry in data attributes (data-queue-action …).
var fengqiaoPhoneShared = (function () {
  "use strict";
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var i = document.querySelector("input[name=csrfmiddlewaretoken]");
    return i ? i.value : "";
  }
  function actionButton(text, attribute, action, key) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute(attribute, action);
    b.setAttribute("data-key", key);
    return b;
  }
  return { newKey: newKey, csrf: csrf, actionButton: actionButton };
})();

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
  var loginText = document.getElementById("queue-login-text");
  var othersEl = document.getElementById("queue-others");
  var USER = form.getAttribute("data-user") || "", USERNAME = form.getAttribute("data-username") || "";
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

  var newKey = fengqiaoPhoneShared.newKey, csrf = fengqiaoPhoneShared.csrf;
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
  // Written by this page's account (a report kept from before reports carried it: taken as such).
  function mine(rec) { return !USER || !rec.user || String(rec.user) === USER; }

  // ------------------------------------------------------------------ what the page shows
  var authNeeded = false, wrongUser = false, notice = "";
  function button(text, action, key) { return fengqiaoPhoneShared.actionButton(text, "data-queue-action", action, key); }
  function showQueue() {
    return all().then(function (everything) {
      var items = everything.filter(mine);
      var others = everything.length - items.length;
      var pending = items.filter(function (r) { return !r.error; }).length;
      var failed = items.filter(function (r) { return r.error; });
      // "Everything has been sent" only when nothing at all is left on the phone.
      statusEl.textContent = pending ? statusEl.getAttribute("data-pending").replace("%s", pending)
        : failed.length ? statusEl.getAttribute("data-refused").replace("%s", failed.length)
        : statusEl.getAttribute("data-empty");
      statusEl.setAttribute("data-count", String(pending));
      statusEl.setAttribute("data-failed", String(failed.length));
      if (loginEl) loginEl.hidden = !(authNeeded && items.length);
      if (loginText) {
        if (!loginText.hasAttribute("data-expired")) loginText.setAttribute("data-expired", loginText.textContent);
        loginText.textContent = wrongUser ? loginText.getAttribute("data-wrong-user").replace("%s", USERNAME)
          : loginText.getAttribute("data-expired");
      }
      if (othersEl) {
        othersEl.textContent = others ? othersEl.getAttribute("data-text").replace("%s", others) : "";
        othersEl.hidden = !others;
      }
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
    var headers = { "Idempotency-Key": rec.key, "X-CSRFToken": csrf(), "Accept": "application/json" };
    var sender = rec.user || USER;  // the account that wrote it: never sent as another one's
    if (sender) headers["X-Fengqiao-User"] = String(sender);
    return fetch(form.getAttribute("data-submit-url"), {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual", headers: headers,
    }).then(function (resp) {
      // A redirect can only be the login page: never a confirmation.
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) {
        return readJson(resp).then(function (j) {
          var url = j && sameOriginPath(j.login_url);
          if (url && loginLink) loginLink.setAttribute("href", url);
          wrongUser = !!(j && j.error === "wrong_user");
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
      var queue = items.filter(function (r) { return !r.error && mine(r); });
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
            if (outcome === "sent") { authNeeded = false; wrongUser = false; notice = ""; }
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
  // One report per tap: a second submit while the first is being kept (a double tap) would
  // queue the same text again under a new key, and the server would file it twice.
  var keeping = false;
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (keeping) return;
    keeping = true;
    var sendButton = form.querySelector("[type=submit]");
    if (sendButton) sendButton.disabled = true;
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
    var rec = { key: newKey(), fields: fields, created: old ? old.created : new Date().toISOString(),
                user: old && old.user ? old.user : USER };
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
    }, function () {}).then(function () {
      keeping = false;
      if (sendButton) sendButton.disabled = false;
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
// JSON answer). Every write names the page's account (X-Fengqiao-User): sent in another
// account's session (someone else signed in on this phone) the server answers 401 wrong_user.
// - 401/403 or a redirect: kept, the patroller is asked to sign in again (as themselves);
// - network errors, 408, 429, 5xx and answers that are not JSON: kept for later;
// - a start or an end the server refuses (another 4xx: too old, in the future, another patrol
//   running …): the patrol is kept with all its positions and its note, listed as not accepted
//   with the reason, until the patroller sends it again or deletes it; a 409 patrol_running
//   whose running patrol started at this patrol's own start is this patrol (taken as its id);
// - 404 on a patrol the phone started: kept, and the patrol asked about (GET {id}/): not found
//   there either (or somebody else's) → listed as not found for this account, kept until the
//   right account signs in (asked again each time the page opens) or it is deleted;
// - a batch of positions the server refuses (400: a bad point) is dropped and said.
// A patrol the server says has ended (asked when the page opens, and when positions are
// refused): the phone stops recording, sends what it had recorded, and offers the end with the
// note (the patroller's end replaces an automatic one).
(function () {
  "use strict";
  var card = document.getElementById("patrol-card");
  var dataEl = document.getElementById("patrol-data");
  if (!card || !dataEl || !window.JSON || !window.fetch) return;
  var cfg = JSON.parse(dataEl.textContent);
  var USER = String(cfg.user);
  var USERNAME = card.getAttribute("data-username") || "";
  var STORE = "fengqiao-patrol:" + cfg.user;
  var API = cfg.api;
  var POINT_EVERY = Math.max(0, Number(cfg.point_every_s) || 0) * 1000;
  var SEND_EVERY = Math.max(1, Number(cfg.send_every_s) || 30) * 1000;
  var BATCH = Math.max(1, Number(cfg.batch) || 200);
  // a patrol is never longer: the server takes no later position
  var MAX_DURATION = (Number(cfg.max_duration_s) || 12 * 3600) * 1000;
  var MAX_ACCURACY = 100000;  // m: the server refuses a whole batch for a point with a worse one
  var KEEP_IDS = 50;  // patrol keys remembered after the patrol ended (reports still queued)
  var KEEP_GONE = 50;  // keys of trips gone (sent or deleted), so another page's copy brings none back
  var $ = function (id) { return document.getElementById(id); };
  var idleEl = $("patrol-idle"), runningEl = $("patrol-running"), statusEl = $("patrol-status");
  var loginEl = $("patrol-login"), errorsEl = $("patrol-errors"), noteEl = $("patrol-note"), gpsEl = $("patrol-gps");
  var loginText = $("patrol-login-text"), loginLink = $("patrol-login-link"), tripsEl = $("patrol-trips");
  var endedEl = $("patrol-server-ended"), tagEl = $("patrol-tag");
  var reportHint = $("report-on-patrol");

  // ------------------------------------------------------------------ what the phone keeps
  // {trips: [{key, id, startedAt, points: [{at, longitude, latitude, accuracy}], sent, distance,
  //           lastKeptAt, note, noteAt, finish: {note, ended_at} | null, closed,
  //           refused: {what: "start" | "end", status, error, detail} | null, lost, stopped,
  //           doneUpTo}], ids: {key: id}, gone: [key]}
  // The running trip is the last one neither ended (finish), closed nor refused; the others
  // only wait for their positions and their end to reach the server. "stopped" (when the phone
  // learnt that the server had ended it): no longer recorded, its end still to be written;
  // "lost": the server does not find it for this account; "doneUpTo": the latest position
  // that has left the queue (sent, or refused).
  //
  // Two pages of the phone (two tabs) share the store. Each change reads the store, changes it
  // and writes it at once (update), but a browser may hand a page a copy a moment old, so two
  // pages writing at the same moment can overwrite each other. The page whose write was
  // overwritten sees the other's write (the storage event) and writes again, merged into it,
  // what the other lacks (merge): guaranteed is that no trip, position not yet sent, start's
  // id, end, stop or later note written by one page is lost to another page's write. A trip
  // gone for good (sent, or deleted: "gone") and a position already sent (up to "doneUpTo")
  // are never brought back; a position may be sent twice (the server counts it as repeated).
  var memory = null, storageFull = false, written = null;
  function parse(text) {
    var s = null;
    try { s = JSON.parse(text || "null"); } catch (e) { s = null; }
    if (!s || typeof s !== "object" || !Array.isArray(s.trips)) s = { trips: [], ids: {} };
    if (!s.ids || typeof s.ids !== "object") s.ids = {};
    if (!Array.isArray(s.gone)) s.gone = [];
    s.trips = s.trips.filter(function (t) { return t && t.key; });
    s.trips.forEach(function (t) { if (!Array.isArray(t.points)) t.points = []; });
    return s;
  }
  function load() {
    if (memory) return memory;
    return parse(localStorage.getItem(STORE));
  }
  function save(s) {
    var text = JSON.stringify(s);
    try {
      localStorage.setItem(STORE, text);
      memory = null;
      storageFull = false;
    } catch (e) {  // full, or refused: kept while the page is open, and said
      memory = s;
      storageFull = true;
    }
    written = text;
  }
  function update(fn) { var s = load(); fn(s); save(s); return s; }
  function find(s, key) {
    for (var i = 0; i < s.trips.length; i++) if (s.trips[i].key === key) return s.trips[i];
    return null;
  }
  function running(s) {
    for (var i = s.trips.length - 1; i >= 0; i--) {
      var t = s.trips[i];
      if (!t.finish && !t.closed && !t.refused) return t;
    }
    return null;
  }
  // Waits to be sent now (a trip refused or not found waits for the patroller).
  function sendable(t) { return !t.refused && !t.lost; }
  function remember(s, key, id) {
    s.ids[key] = id;
    var keys = Object.keys(s.ids);
    if (keys.length > KEEP_IDS) keys.slice(0, keys.length - KEEP_IDS).forEach(function (k) { delete s.ids[k]; });
  }
  function forget(s, key) {
    s.trips = s.trips.filter(function (t) { return t.key !== key; });
    if (s.gone.indexOf(key) < 0) s.gone.push(key);
    if (s.gone.length > KEEP_GONE) s.gone.splice(0, s.gone.length - KEEP_GONE);
  }
  function later(a, b) { a = a || ""; b = b || ""; return a > b ? a : b; }  // ISO times in UTC compare as text
  // Whether the store another page wrote (theirs) lacks what this page wrote last (mine).
  function lacks(theirs, mine) {
    return mine.trips.some(function (m) {
      if (theirs.gone.indexOf(m.key) >= 0) return false;
      var t = find(theirs, m.key);
      if (!t) return true;
      if ((m.id && !t.id) || (m.finish && !t.finish) || (m.closed && !t.closed) || (m.stopped && !t.stopped)) return true;
      if ((m.noteAt || 0) > (t.noteAt || 0)) return true;
      var done = later(t.doneUpTo, m.doneUpTo), have = {};
      t.points.forEach(function (p) { have[p.at] = true; });
      return m.points.some(function (p) { return p.at > done && !have[p.at]; });
    });
  }
  function merge(theirs, mine) {
    mine.gone.forEach(function (k) { if (theirs.gone.indexOf(k) < 0) theirs.gone.push(k); });
    theirs.trips = theirs.trips.filter(function (t) { return theirs.gone.indexOf(t.key) < 0; });
    Object.keys(mine.ids).forEach(function (k) { if (!(k in theirs.ids)) theirs.ids[k] = mine.ids[k]; });
    mine.trips.forEach(function (m) {
      if (theirs.gone.indexOf(m.key) >= 0) return;
      var t = find(theirs, m.key);
      if (!t) { theirs.trips.push(m); return; }
      t.id = t.id || m.id;
      t.finish = t.finish || m.finish;
      t.closed = t.closed || m.closed;
      t.stopped = t.stopped || m.stopped;
      if ((m.noteAt || 0) > (t.noteAt || 0)) { t.note = m.note; t.noteAt = m.noteAt; }
      t.sent = Math.max(t.sent || 0, m.sent || 0);
      t.lastKeptAt = Math.max(t.lastKeptAt || 0, m.lastKeptAt || 0);
      var done = later(t.doneUpTo, m.doneUpTo), byAt = {};
      t.points.concat(m.points).forEach(function (p) { if (p.at > done) byAt[p.at] = p; });
      t.points = Object.keys(byAt).sort().map(function (at) { return byAt[at]; });
      t.doneUpTo = done;
    });
    theirs.trips.sort(function (a, b) { return Date.parse(a.startedAt) - Date.parse(b.startedAt); });
    return theirs;
  }
  var newKey = fengqiaoPhoneShared.newKey, csrf = fengqiaoPhoneShared.csrf;
  // The end a patrol gets when the patroller cannot have pressed the button at the moment: its
  // last recorded position (or its start).
  function lastMoment(t) {
    return new Date(Math.max(t.lastKeptAt || 0, Date.parse(t.startedAt) || 0)).toISOString();
  }
  // A position as the server takes it: an accuracy it would refuse is sent as none.
  function clean(p) {
    var a = p.accuracy;
    var ok = typeof a === "number" && isFinite(a) && a >= 0 && a <= MAX_ACCURACY;
    return { at: p.at, longitude: p.longitude, latitude: p.latitude, accuracy: ok ? a : null };
  }

  // ------------------------------------------------------------------ what the page shows
  var authNeeded = false, wrongUser = false, notice = "", said = "", errors = [];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function day(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + clock(iso);
  }
  function elapsed(iso, until) {
    var ms = (until || Date.now()) - new Date(iso).getTime();
    if (!(ms > 0)) ms = 0;
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function addError(text) {
    errors.push(text);
    if (errors.length > 5) errors.shift();
  }
  function button(text, action, key) { return fengqiaoPhoneShared.actionButton(text, "data-trip-action", action, key); }
  // The trips waiting for the patroller: not accepted by the server, or not found for this account.
  function renderTrips(s) {
    if (!tripsEl) return;
    tripsEl.innerHTML = "";
    s.trips.forEach(function (x) {
      if (!x.refused && !x.lost) return;
      var li = document.createElement("li");
      li.setAttribute("data-key", x.key);
      li.setAttribute("data-trip", x.refused ? "refused" : "lost");
      var text = x.lost ? tripsEl.getAttribute("data-lost").replace("%s", day(x.startedAt))
        : tripsEl.getAttribute(x.refused.what === "end" ? "data-end-refused" : "data-refused").replace("%s", day(x.startedAt))
          + ": " + x.refused.detail;
      text += " (" + tripsEl.getAttribute("data-kept").replace("%s", x.points.length) + ")";
      var note = x.finish ? x.finish.note : x.note;
      if (note) text += " " + tripsEl.getAttribute("data-note").replace("%s", note);
      var span = document.createElement("span");
      span.className = "trip-text";
      span.textContent = text;
      li.appendChild(span);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(button(tripsEl.getAttribute("data-retry"), "retry", x.key));
      li.appendChild(button(tripsEl.getAttribute("data-delete"), "delete", x.key));
      tripsEl.appendChild(li);
    });
  }
  function render() {
    var s = load();
    var t = running(s);
    var waiting = 0, ending = false;
    s.trips.forEach(function (x) {
      if (!sendable(x)) return;
      waiting += x.points.length;
      if (x.finish) ending = true;
    });
    card.setAttribute("data-state", !t ? "idle" : t.stopped ? "ended" : "running");
    card.setAttribute("data-patrol", t && t.id ? String(t.id) : "");
    card.setAttribute("data-waiting", String(waiting));
    idleEl.hidden = !!t;
    runningEl.hidden = !t;
    if (reportHint) reportHint.hidden = !t;
    if (endedEl) endedEl.hidden = !(t && t.stopped);
    if (tagEl) tagEl.hidden = !!(t && t.stopped);
    if (t) {
      $("patrol-started").textContent = clock(t.startedAt);
      $("patrol-elapsed").textContent = elapsed(t.startedAt, t.stopped);
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
    loginEl.hidden = !(authNeeded && (waiting || ending || s.trips.some(function (x) { return !x.id && sendable(x); })));
    if (loginText) {
      if (!loginText.hasAttribute("data-expired")) loginText.setAttribute("data-expired", loginText.textContent);
      loginText.textContent = wrongUser ? loginText.getAttribute("data-wrong-user").replace("%s", USERNAME)
        : loginText.getAttribute("data-expired");
    }
    errorsEl.innerHTML = "";
    errors.forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e;
      errorsEl.appendChild(li);
    });
    renderTrips(s);
  }
  // Records while a trip runs that the server has not ended; not otherwise.
  function follow() {
    var t = running(load());
    if (t && !t.stopped) watch(); else unwatch();
    render();
  }

  // ------------------------------------------------------------------ sending
  function readJson(resp) {
    var type = resp.headers.get("Content-Type") || "";
    if (type.indexOf("json") < 0) return Promise.resolve(null);
    return resp.json().catch(function () { return null; });
  }
  function headers(extra) {
    var h = { "Accept": "application/json", "X-Fengqiao-User": USER };
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }
  function signIn(resp) {
    return readJson(resp).then(function (j) {
      var url = j && typeof j.login_url === "string" && /^\/(?!\/)/.test(j.login_url) ? j.login_url : null;
      if (url && loginLink) loginLink.setAttribute("href", url);
      return { outcome: "auth", status: resp.status, json: j };
    });
  }
  // Resolves to {outcome: "ok" | "auth" | "refused" | "later" | "unknown" | "offline", status, json, detail}.
  function post(url, body, key) {
    var h = headers({ "Content-Type": "application/json", "X-CSRFToken": csrf() });
    if (key) h["Idempotency-Key"] = key;
    return fetch(url, {
      method: "POST", body: JSON.stringify(body), credentials: "same-origin", redirect: "manual", headers: h,
    }).then(function (resp) {
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) return signIn(resp);
      if (resp.status >= 200 && resp.status < 300) {
        return readJson(resp).then(function (j) { return { outcome: j ? "ok" : "unknown", status: resp.status, json: j }; });
      }
      if (resp.status >= 400 && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
        return readJson(resp).then(function (j) {
          return { outcome: "refused", status: resp.status, json: j, detail: (j && j.detail) || ("HTTP " + resp.status) };
        });
      }
      return { outcome: resp.status >= 500 || resp.status === 408 || resp.status === 429 ? "later" : "unknown",
               status: resp.status };
    }, function () { return { outcome: "offline" }; });
  }
  // Resolves to {outcome: "ok" | "auth" | "missing" | "later" | "unknown" | "offline", json}.
  function get(url) {
    return fetch(url, { credentials: "same-origin", redirect: "manual", headers: headers() }).then(function (resp) {
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) return signIn(resp);
      if (resp.status === 404) return { outcome: "missing" };
      if (!resp.ok) return { outcome: resp.status >= 500 ? "later" : "unknown" };
      return readJson(resp).then(function (j) { return { outcome: j ? "ok" : "unknown", json: j }; });
    }, function () { return { outcome: "offline" }; });
  }
  // Stop sending for now (false): signed out, offline, or the server cannot answer now.
  function halt(r) {
    if (r.outcome === "auth") {
      authNeeded = true;
      wrongUser = !!(r.json && r.json.error === "wrong_user");
      notice = "";
    }
    if (r.outcome === "later") notice = statusEl.getAttribute("data-server");
    if (r.outcome === "unknown") notice = statusEl.getAttribute("data-unknown");
    return false;
  }
  function confirmed() { authNeeded = false; wrongUser = false; notice = ""; }
  function drop(key, detail) {
    update(function (s) { forget(s, key); });
    if (detail) addError(detail);
  }
  // The server would not start or end it: kept, with all its positions and its note, and listed.
  function refuse(key, r, what) {
    update(function (s) {
      var x = find(s, key);
      if (x) x.refused = { what: what, status: r.status, error: (r.json && r.json.error) || "", detail: r.detail };
    });
    follow();
  }
  function serverEnded(key, j) {
    update(function (s) {
      var x = find(s, key);
      if (!x || x.finish || x.closed || x.stopped) return;
      if (j.end_reason === "finished" && !(x.note || "").trim()) {
        x.closed = true;  // ended by the patroller elsewhere: nothing of it is left to write here
        said = statusEl.getAttribute("data-closed");
      } else {
        x.stopped = Date.now();  // the end to write, with the note: the patroller's
      }
    });
    follow();
  }

  // The server's word on the trip's patrol (GET {id}/): resolves to {outcome: "running" |
  // "ended" (acted on: the phone stops recording it) | "lost" (not found for this account: kept
  // and listed) | "auth" | "later" | "unknown" | "offline"}.
  function check(key) {
    var t = find(load(), key);
    if (!t || !t.id) return Promise.resolve({ outcome: "later" });
    var id = t.id;
    return get(API + id + "/").then(function (r) {
      var j = r.json;
      if (r.outcome === "ok" && (j.id !== id || (USERNAME && j.by && j.by !== USERNAME))) r = { outcome: "missing" };
      if (r.outcome === "missing") {
        update(function (s) { var x = find(s, key); if (x) x.lost = true; });
        render();
        return { outcome: "lost" };
      }
      if (r.outcome !== "ok") return r;
      if (j.state === "ended" || j.ended_at) { serverEnded(key, j); return { outcome: "ended", json: j }; }
      return { outcome: "running", json: j };
    });
  }
  // A 404 on a patrol the phone started: nothing is dropped; the patrol is asked about.
  function notFound(key) {
    return check(key).then(function (c) {
      if (c.outcome === "lost") return true;  // kept and listed; the next trip may go on
      if (c.outcome === "running" || c.outcome === "ended") return halt({ outcome: "unknown" });
      return halt(c);
    });
  }
  // 409 patrol_running: the patroller's running patrol on the server, if it started when this
  // trip did (±1 s), is this trip (its start reached the server, its answer did not). Resolves
  // to its id, null (another patrol), or a halting answer.
  function runningTwin(t) {
    if (!USERNAME) return Promise.resolve(null);
    return get(API + "?by=" + encodeURIComponent(USERNAME) + "&state=running").then(function (r) {
      if (r.outcome !== "ok") return r;
      var start = Date.parse(t.startedAt), found = null;
      (Array.isArray(r.json.results) ? r.json.results : []).forEach(function (p) {
        if (Math.abs(Date.parse(p.started_at) - start) <= 1000) found = p.id;
      });
      return found;
    });
  }

  // One trip as far as the server takes it: its start, its positions (oldest first, in
  // batches), its end. Resolves true to go on with the next trip, false to stop for now.
  function sendTrip(key) {
    var t = find(load(), key);
    if (!t || !sendable(t)) return Promise.resolve(true);
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
        if (r.outcome !== "refused") return halt(r);
        confirmed();
        if (r.status !== 409 || !r.json || r.json.error !== "patrol_running") { refuse(key, r, "start"); return true; }
        return runningTwin(t).then(function (id) {
          if (id && typeof id === "object") return halt(id);
          if (!id) { refuse(key, r, "start"); return true; }
          update(function (s) {
            var x = find(s, key);
            if (x) { x.id = id; remember(s, x.key, id); }
          });
          return sendTrip(key);
        });
      });
    }
    if (t.points.length) {
      var batch = t.points.slice(0, BATCH);
      return post(API + t.id + "/points/", { points: batch.map(clean) }).then(function (r) {
        if (r.outcome === "ok" && typeof r.json.accepted !== "number") return halt({ outcome: "unknown" });
        if (r.outcome === "refused" && r.status === 404) return notFound(key);
        if (r.outcome !== "ok" && r.outcome !== "refused") return halt(r);
        confirmed();
        var sent = {}, last = "";
        batch.forEach(function (p) { sent[p.at] = true; last = later(last, p.at); });
        var x = update(function (s) {
          var y = find(s, key);
          if (!y) return;
          y.points = y.points.filter(function (p) { return !sent[p.at]; });
          y.doneUpTo = later(y.doneUpTo, last);
          if (r.outcome === "ok" && typeof r.json.point_count === "number") y.sent = r.json.point_count;
          if (r.outcome === "ok" && typeof r.json.distance_m === "number") y.distance = r.json.distance_m;
        });
        if (r.outcome === "refused") addError(r.detail);
        else if (r.json.refused) {
          addError(statusEl.getAttribute("data-refused-points").replace("%s", r.json.refused));
          // positions outside its time: the server may have ended it meanwhile
          var y = find(x, key);
          if (y && !y.finish && !y.stopped && !y.closed) {
            return check(key).then(function () { return sendTrip(key); });
          }
        }
        return sendTrip(key);
      });
    }
    if (t.finish) {
      var finish = t.finish;
      return post(API + t.id + "/finish/", { note: finish.note, ended_at: finish.ended_at }).then(function (r) {
        if (r.outcome === "ok") {
          confirmed();
          drop(key);
          said = statusEl.getAttribute("data-ended");
          // ended elsewhere already: the note typed here was not written; it is said, not lost
          if (finish.note && r.json.changed === false && (r.json.note || "") !== finish.note) {
            addError(statusEl.getAttribute("data-note-not-saved").replace("%s", finish.note));
          }
          return true;
        }
        if (r.outcome === "refused" && r.status === 404) return notFound(key);
        if (r.outcome === "refused") { confirmed(); refuse(key, r, "end"); return true; }
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
      if (!t || t.stopped) return;
      // the fix's own time, never later than the phone's clock (an end pressed after it never
      // lies before it); the moment it came when it lies before the start (a fix the phone had
      // already) or the phone gives a strange one
      var start = new Date(t.startedAt).getTime();
      var stamp = isFinite(pos.timestamp) ? Math.min(pos.timestamp, now) : now;
      var when = stamp >= start && now - stamp < 60000 ? stamp : now;
      if (when - (t.lastKeptAt || 0) < POINT_EVERY || when < start || when - start > MAX_DURATION) return;
      var at = new Date(when).toISOString();
      if ((t.points.length && t.points[t.points.length - 1].at >= at) || (t.doneUpTo && at <= t.doneUpTo)) return;
      var a = c.accuracy;
      t.points.push({ at: at, longitude: Math.round(c.longitude * 1e7) / 1e7, latitude: Math.round(c.latitude * 1e7) / 1e7,
                      accuracy: isFinite(a) && a >= 0 && a <= MAX_ACCURACY ? Math.round(a * 10) / 10 : null });
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
    follow();
    if (started) flush();
  });
  $("patrol-finish").addEventListener("click", function () {
    var b = $("patrol-finish");
    if (b.getAttribute("data-confirm") && !window.confirm(b.getAttribute("data-confirm"))) return;
    var endedAt = new Date().toISOString();  // when the button was pressed
    update(function (s) {
      var t = running(s);
      // ended on the server while the phone recorded: the end is where the recording ended
      if (t) t.finish = { note: noteEl.value, ended_at: t.stopped ? lastMoment(t) : endedAt };
    });
    noteEl.value = "";
    follow();
    flush();
  });
  noteEl.addEventListener("input", function () {
    update(function (s) { var t = running(s); if (t) { t.note = noteEl.value; t.noteAt = Date.now(); } });
  });
  if (tripsEl) {
    tripsEl.addEventListener("click", function (evt) {
      var b = evt.target.closest("[data-trip-action]");
      if (!b) return;
      var key = b.getAttribute("data-key"), action = b.getAttribute("data-trip-action");
      if (action === "delete") {
        if (!window.confirm(tripsEl.getAttribute("data-confirm-delete"))) return;
        update(function (s) { forget(s, key); });
        follow();
        return;
      }
      if (action !== "retry") return;
      update(function (s) {
        var x = find(s, key);
        if (!x) return;
        var was = x.refused;
        x.refused = null;
        x.lost = false;
        // a start refused before the patrol was ended: it runs again if it is still the last
        // trip; one that others followed on the phone goes as ended where its recording ended
        if (was && was.what === "start" && !x.finish && !x.closed && s.trips[s.trips.length - 1] !== x) {
          x.finish = { note: x.note || "", ended_at: lastMoment(x) };
        }
      });
      errors = [];
      follow();
      flush();
    });
  }

  // ------------------------------------------------------------------ the page opens
  // The server's word on the running patrol as the page was drawn (cfg.running), against what
  // the phone kept. The page may be old (the service worker opens the last one it had when
  // there is no network), so the phone acts on it only where that loses nothing:
  // - a running patrol the phone does not know (started on another phone, or this phone's
  //   store was cleared) is taken over; one it knew (ended here, its end maybe still on the
  //   way) is not;
  // - a running patrol of the phone that the page does not show running is asked about
  //   (GET /api/v1/patrols/{id}/): an answer that it has ended (by the patroller elsewhere, or
  //   automatically after the phone went quiet) stops its recording (see serverEnded); its
  //   positions still to send are sent all the same;
  // - a patrol not found for this account is asked about again (the right account may have
  //   signed in since).
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
      st.trips.forEach(function (x) { x.lost = false; });
      var t = running(st);
      if (server && !t && !known(st, server.id)) adopt(st, server);
      else if (server && t && t.id === server.id) {
        t.sent = Math.max(t.sent || 0, server.point_count);
        t.distance = server.distance_m;
      }
    });
    var t = running(s);
    if (!t || !t.id || t.stopped || (server && server.id === t.id)) return Promise.resolve();
    return check(t.key).then(function (c) {
      if (c.outcome !== "ended" || !server) return;
      update(function (st) { if (!running(st) && !known(st, server.id)) adopt(st, server); });
      follow();
    });
  }
  var asked = reconcile();  // takes a patrol over at once; asks about one in the background
  follow();
  asked.catch(function () {}).then(flush);
  setInterval(function () {
    var t = running(load());
    if (t) $("patrol-elapsed").textContent = elapsed(t.startedAt, t.stopped);
  }, 1000);
  setInterval(flush, SEND_EVERY);
  window.addEventListener("online", flush);
  window.addEventListener("pageshow", function (e) { if (e.persisted) flush(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(); });
  // Another page of the phone wrote the store: what it lacks of this page's last write is
  // written again, merged (see "Two pages" above); it ended or stopped the trip: no recording.
  window.addEventListener("storage", function (e) {
    if (e.key !== STORE) return;
    if (e.newValue === null) { written = null; render(); return; }  // cleared: nothing comes back
    if (written !== null && !memory) {
      var theirs = parse(e.newValue), mine = parse(written);
      if (lacks(theirs, mine)) save(merge(theirs, mine));
      else written = e.newValue;
    }
    var t = running(load());
    if (!t || t.stopped) unwatch();
    render();
  });

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
