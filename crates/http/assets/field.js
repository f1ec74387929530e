// The phone field form (现场检查). Every answer is kept on the phone first (IndexedDB) and
// sent to the server as soon as there is a connection (PUT /api/v1/visits/{id}/draft); photos
// likewise (POST …/attachments). Without signal the inspector keeps working: the service worker
// (field-sw.js) serves the page from the phone, the answers and photos wait in a queue with a
// visible count ("3 项待同步"), and are sent when the connection returns.
//
// Sync protocol. Each queued answer or result carries its `base`: the value the server had when
// the inspector began to change it (from the page, or from the server's last acknowledgement).
// The server writes an entry only if its copy still equals that base (or already equals the new
// value); otherwise it answers the entry in `conflicts` with its own value, who recorded it and
// when. Such an entry stays on the phone, marked at its check point with both values, until the
// inspector keeps their own (sent again on the server's value as the new base) or takes the
// colleague's. A visit that can no longer be changed (confirmed by the whole team and
// submitted) keeps the queue on the phone and says so; only the inspector discards it. Nothing
// entered is dropped or written over without the inspector seeing it.
//
// 确认并签字 first waits for every save under way and the queue to be empty, then confirms; if it
// cannot (offline, conflicts, a refused value) it says why (#sync is aria-live, #errors role=alert).
(function () {
  'use strict';
  var root = document.getElementById('field');
  if (!root) { return; }
  var form = document.getElementById('draft');
  var visit = root.getAttribute('data-visit');
  var user = root.getAttribute('data-user');
  var csrf = root.getAttribute('data-csrf');
  var rendered = Date.parse(root.getAttribute('data-rendered')) || 0;
  var owner = user + '|' + visit;
  var CACHE = 'lj-field-v1';
  var sync = document.getElementById('sync');
  var errors = document.getElementById('errors');
  var net = document.getElementById('net');
  var confirmBtn = document.getElementById('confirm');
  var nojs = document.getElementById('nojs-upload');
  if (nojs) { nojs.hidden = true; }
  var position = null;

  // ---- the offline service worker ----
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/assets/field-sw.js', { scope: '/console/' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () { cachePage(); }).catch(function () { /* http on a non-local address: no offline page */ });
  }
  // Keeps this page's current version on the phone (the service worker stores what it fetches).
  var cacheTimer = null;
  function cachePage() {
    if (!window.caches || navigator.onLine === false) { return; }
    clearTimeout(cacheTimer);
    cacheTimer = setTimeout(function () {
      fetch(location.pathname, { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
        var html = (r.headers.get('content-type') || '').indexOf('text/html') === 0;
        if (r.ok && html && !r.redirected) { return caches.open(CACHE).then(function (c) { return c.put(location.pathname, r); }); }
      }).catch(function () { /* offline again */ });
    }, 300);
  }

  // ---- the queue on the phone (IndexedDB; memory only where the browser has none) ----
  // state = { answers: {seq: entry}, results: {plan: entry} }, entry = { value, base, state, at, conflict }
  // state: 'pending' (to send), 'conflict' (the server holds another value), 'synced' (on the
  // server as of `at`; kept as the base of later edits and to correct an older cached page).
  var db = null;
  var state = { owner: owner, answers: {}, results: {} };
  var photos = []; // { id, owner, seq, name, type, blob, lat, lng, accuracy, error }
  var blocked = null; // the server's reason why the record can no longer be changed

  function openDb() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var rq;
      try { rq = indexedDB.open('lianjian-field', 1); } catch (e) { resolve(null); return; }
      rq.onupgradeneeded = function () {
        var d = rq.result;
        d.createObjectStore('drafts', { keyPath: 'owner' });
        d.createObjectStore('photos', { keyPath: 'id' }).createIndex('owner', 'owner');
      };
      rq.onsuccess = function () { resolve(rq.result); };
      rq.onerror = function () { resolve(null); };
    });
  }
  function tx(store, mode, fn) {
    return new Promise(function (resolve, reject) {
      if (!db) { resolve(null); return; }
      var t = db.transaction(store, mode);
      var out = fn(t.objectStore(store));
      t.oncomplete = function () { resolve(out && 'result' in out ? out.result : null); };
      t.onerror = function () { reject(t.error); };
      t.onabort = function () { reject(t.error); };
    });
  }
  function persist() { return tx('drafts', 'readwrite', function (s) { return s.put(state); }).catch(function () { say('本机存储已满，离线记录可能无法保存', 'off'); }); }
  function loadPhotos() {
    return tx('photos', 'readonly', function (s) { return s.index('owner').getAll(owner); }).then(function (r) { return r || []; });
  }

  // ---- reading and writing the form ----
  function q(sel) { return form ? form.querySelector(sel) : null; }
  function val(name) { var el = q('[name="' + name + '"]'); return el ? el.value : ''; }
  function answerOf(seq) {
    var checked = q('input[name="a_' + seq + '"]:checked');
    return { answer: checked ? checked.value : '', note: val('n_' + seq).trim() };
  }
  function resultOf(plan) { return { result_code: val('r_' + plan), follow_up: val('f_' + plan), summary: val('s_' + plan).trim() }; }
  // What the page says the server had (hidden ba_/bn_, br_/bf_/bs_); null before the visit started.
  function pageBase(kind, key) {
    if (kind === 'answers') { return { answer: val('ba_' + key), note: val('bn_' + key).trim() }; }
    if (!q('[name="br_' + key + '"]')) { return null; }
    return { result_code: val('br_' + key), follow_up: val('bf_' + key), summary: val('bs_' + key).trim() };
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function show(kind, key, v) {
    if (kind === 'answers') {
      form.querySelectorAll('input[name="a_' + key + '"]').forEach(function (r) { r.checked = r.value === v.answer; });
      var n = q('[name="n_' + key + '"]'); if (n) { n.value = v.note; }
    } else {
      ['r', 'f', 's'].forEach(function (k, i) { var el = q('[name="' + k + '_' + key + '"]'); if (el) { el.value = [v.result_code, v.follow_up, v.summary][i]; } });
    }
  }
  // The form's value differs from what is known: queue it (on the base it was changed from).
  function capture(kind, key) {
    var v = kind === 'answers' ? answerOf(key) : resultOf(key);
    var e = state[kind][key];
    var known = e ? (e.state === 'synced' ? e.value : e.base) : pageBase(kind, key);
    if (e && same(e.value, v)) { return false; }
    if (!e && known && same(known, v)) { return false; }
    if (!e && !known && kind === 'results' && !v.result_code && !v.follow_up && !v.summary) { return false; }
    if (!e) { e = state[kind][key] = { base: known, state: 'pending' }; }
    else if (e.state === 'synced') { e.base = e.value; e.state = 'pending'; }
    e.value = v;
    return true;
  }
  function captureAll() {
    if (!form) { return false; }
    var any = false;
    form.querySelectorAll('fieldset.point').forEach(function (f) { any = capture('answers', f.getAttribute('data-seq')) || any; });
    form.querySelectorAll('.fpart').forEach(function (p) { any = capture('results', p.getAttribute('data-plan')) || any; });
    return any;
  }

  // ---- what the inspector sees ----
  function pad(n) { return ('0' + n).slice(-2); }
  function hhmm(d) { d = d ? new Date(d) : new Date(); return pad(d.getHours()) + ':' + pad(d.getMinutes()); }
  function say(text, kind) { sync.textContent = text; sync.className = 'sync' + (kind ? ' ' + kind : ''); }
  function showErrors(list) {
    errors.innerHTML = '';
    list.forEach(function (m) { var d = document.createElement('div'); d.textContent = m; errors.appendChild(d); });
    errors.hidden = list.length === 0;
    if (list.length) { errors.scrollIntoView({ block: 'center' }); }
  }
  function errorMessages(body) {
    var e = body && body.error;
    if (!e) { return ['保存失败，请稍后重试']; }
    if (e.details && e.details.length) { return e.details.map(function (d) { return d.message; }); }
    return [e.message];
  }
  function entries(st) {
    var out = [];
    ['answers', 'results'].forEach(function (kind) {
      Object.keys(state[kind]).forEach(function (k) { var e = state[kind][k]; if (!st || e.state === st) { out.push({ kind: kind, key: k, e: e }); } });
    });
    return out;
  }
  // Answers without a choice are not sent (the server keeps a note only with an answer).
  function sendable(x) { return x.kind !== 'answers' || x.e.value.answer !== ''; }
  function counts() {
    var pending = entries('pending').filter(sendable).length + photos.filter(function (p) { return !p.error; }).length;
    return { pending: pending, conflicts: entries('conflict').length, failed: photos.filter(function (p) { return p.error; }).length };
  }
  var lastSaved = null;
  function status(extra) {
    var c = counts();
    var offline = navigator.onLine === false;
    if (net) { net.hidden = !offline; }
    sync.setAttribute('data-pending', String(c.pending));
    sync.setAttribute('data-conflicts', String(c.conflicts));
    var parts = [];
    if (c.pending) { parts.push(c.pending + ' 项待同步'); }
    if (c.conflicts) { parts.push(c.conflicts + ' 项与同事的记录冲突，请逐项处理'); }
    if (c.failed) { parts.push(c.failed + ' 张照片未能上传'); }
    if (blocked) { say(blocked + (parts.length ? '（本机还有 ' + parts.join('，') + '）' : ''), 'off'); return; }
    if (!parts.length) { say(extra || (lastSaved ? '已全部同步 · ' + hhmm(lastSaved) : ''), ''); return; }
    var tail = offline ? '（离线，联网后自动同步）' : (extra ? '（' + extra + '）' : '');
    sync.textContent = '';
    var b = document.createElement('span'); b.className = 'qcount'; b.textContent = parts.join('，');
    sync.appendChild(b); sync.appendChild(document.createTextNode(tail));
    if (c.conflicts) {
      sync.appendChild(button('查看', 'goto link', function () {
        var f = document.querySelector('.conflicted');
        if (f) { f.scrollIntoView({ block: 'start' }); var k = f.querySelector('.conflict button'); if (k) { k.focus({ preventScroll: true }); } }
      }));
    }
    sync.className = 'sync ' + (c.conflicts || offline ? 'off' : 'wait');
  }
  function updateCounts() {
    document.querySelectorAll('.fpart').forEach(function (p) {
      var n = p.querySelectorAll('fieldset.point input[type=radio]:checked').length;
      var c = p.querySelector('.count'); if (c) { c.textContent = n; }
    });
  }
  function fieldsetOf(kind, key) { return kind === 'answers' ? document.getElementById('point-' + key) : (form && form.querySelector('.fpart[data-plan="' + key + '"] .result')); }
  function button(text, cls, fn) { var b = document.createElement('button'); b.type = 'button'; b.className = cls; b.textContent = text; b.addEventListener('click', fn); return b; }

  // A conflict is shown where it happened, with both values and the two ways out.
  function drawConflicts() {
    document.querySelectorAll('.conflict').forEach(function (n) { n.remove(); });
    document.querySelectorAll('.conflicted').forEach(function (n) { n.classList.remove('conflicted'); });
    entries('conflict').forEach(function (x) {
      var box = fieldsetOf(x.kind, x.key); if (!box) { return; }
      box.classList.add('conflicted');
      var c = x.e.conflict;
      var d = document.createElement('div'); d.className = 'conflict'; d.setAttribute('role', 'alert');
      var p = document.createElement('p');
      p.textContent = c.message + '（' + (c.by ? c.by + ' ' : '') + hhmm(c.at) + ' 保存）。请选择保留哪一个：';
      var row = document.createElement('div'); row.className = 'row';
      row.appendChild(button('保留我的记录', 'keep', function () {
        // Sent again on the server's value: the inspector has seen it and overrides it.
        x.e.base = c.server; x.e.state = 'pending'; delete x.e.conflict;
        persist(); drawConflicts(); flush();
      }));
      row.appendChild(button('采用' + (c.by || '对方') + '的记录', 'sec take', function () {
        x.e.value = c.server; x.e.base = c.server; x.e.state = 'synced'; x.e.at = c.at; delete x.e.conflict;
        show(x.kind, x.key, c.server); updateCounts();
        persist(); drawConflicts(); status();
      }));
      d.appendChild(p); d.appendChild(row); box.appendChild(d);
    });
  }

  // Photos waiting on the phone, each with its thumbnail and, if refused, why and a way to drop it.
  function drawPhotos() {
    document.querySelectorAll('.photos .queued').forEach(function (n) { n.remove(); });
    document.querySelectorAll('.qerror').forEach(function (n) { n.remove(); });
    photos.forEach(function (ph) {
      var box = document.querySelector('#point-' + ph.seq + ' .photos'); if (!box) { return; }
      var s = document.createElement('span'); s.className = 'queued';
      var img = document.createElement('img'); img.alt = ph.name; img.src = URL.createObjectURL(ph.blob);
      var t = document.createElement('span'); t.className = 'tag ' + (ph.error ? 'off' : 'wait'); t.textContent = ph.name + (ph.error ? ' 未上传' : ' 待上传');
      s.appendChild(img); s.appendChild(t); box.appendChild(s);
      if (ph.error) {
        var d = document.createElement('div'); d.className = 'qerror'; d.setAttribute('role', 'alert');
        d.textContent = '照片“' + ph.name + '”未能上传：' + ph.error + ' ';
        d.appendChild(button('移除这张照片', 'sec', function () { dropPhoto(ph).then(function () { drawPhotos(); status(); }); }));
        box.parentNode.insertBefore(d, box.nextSibling);
      }
    });
  }
  function dropPhoto(ph) {
    photos = photos.filter(function (p) { return p !== ph; });
    return tx('photos', 'readwrite', function (s) { return s.delete(ph.id); }).catch(function () {});
  }

  // The record can no longer be changed: keep the queue, say so, let the inspector discard it.
  function block(message) {
    blocked = message;
    status();
    var list = [message + '。您在本机的修改未能保存。'];
    showErrors(list);
    if (!errors.querySelector('button')) {
      errors.appendChild(button('放弃本机未保存的修改', 'sec', function () {
        if (!window.confirm('放弃本机未保存的修改和照片？此操作不能撤销。')) { return; }
        state.answers = {}; state.results = {};
        Promise.all(photos.map(dropPhoto)).then(persist).then(function () { location.reload(); });
      }));
    }
  }

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body ? JSON.stringify(body) : undefined
    }).then(reply);
  }
  function reply(r) {
    return r.text().then(function (t) { var j = null; try { j = JSON.parse(t); } catch (e) { /* not JSON */ } return { ok: r.ok, status: r.status, body: j, redirected: r.redirected }; });
  }
  // A refusal that is about the session, not the record.
  function signedOut(r) { return r.status === 401 || r.redirected || (r.status === 403 && r.body && r.body.error && /csrf|登录|sign/i.test(r.body.error.code + r.body.error.message)); }

  // ---- sending ----
  var running = null;
  var retry = null;
  // Resolves { ok } once everything queued was sent, or { ok: false, why } when it cannot be
  // now. A call while a send is under way waits for it and then sends what is left.
  function flush() {
    if (running) { return running.then(function () { return flush(); }); }
    running = send().then(function (r) { running = null; return r; }, function (e) { running = null; throw e; });
    return running;
  }
  function send() {
    if (blocked) { return Promise.resolve({ ok: false, why: 'blocked' }); }
    var todo = entries('pending').filter(sendable);
    if (!todo.length) { return sendPhotos(); }
    if (navigator.onLine === false) { status(); return Promise.resolve({ ok: false, why: 'offline' }); }
    var body = { answers: [], results: [] };
    var sent = todo.map(function (x) {
      var v = JSON.parse(JSON.stringify(x.e.value));
      if (x.kind === 'answers') { body.answers.push({ seq: Number(x.key), answer: v.answer, note: v.note, base: x.e.base || undefined }); }
      else { body.results.push({ plan_id: x.key, result_code: v.result_code, follow_up: v.follow_up, summary: v.summary, base: x.e.base || undefined }); }
      return { x: x, v: v, i: (x.kind === 'answers' ? body.answers : body.results).length - 1 };
    });
    status('正在同步…');
    return api('PUT', '/api/v1/visits/' + visit + '/draft', body).then(function (r) {
      if (r.ok) {
        var conflicts = {};
        (r.body.conflicts || []).forEach(function (c) { conflicts[c.field] = c; });
        sent.forEach(function (s) {
          var c = conflicts[s.x.kind + '[' + s.i + ']'];
          var e = s.x.e;
          if (c) { e.state = 'conflict'; e.conflict = c; return; }
          // The server has the sent value now; a change made meanwhile is sent on it next.
          e.base = s.v;
          if (same(e.value, s.v)) { e.state = 'synced'; e.at = r.body.saved_at; }
        });
        lastSaved = r.body.saved_at;
        persist();
        cachePage();
        drawConflicts();
        var notes = [];
        if (r.body.withdrawn && r.body.withdrawn.length) { notes.push('记录有改动，' + r.body.withdrawn.join('、') + ' 的确认已撤销，需重新确认'); }
        showErrors(notes);
        status();
        return send();
      }
      if (r.status === 409) { block(errorMessages(r.body)[0]); return { ok: false, why: 'blocked' }; }
      if (signedOut(r)) { return signedOutNow(); }
      status('未同步');
      showErrors(errorMessages(r.body));
      return { ok: false, why: 'refused' };
    }, function () { return dropped(); });
  }
  function dropped() {
    status('网络中断，将自动重试');
    clearTimeout(retry);
    retry = setTimeout(flush, 5000);
    return { ok: false, why: 'offline' };
  }
  function signedOutNow() {
    showErrors(['登录已失效：本机的记录仍然保留，请重新登录后打开本页，记录会自动同步。']);
    var a = document.createElement('a'); a.href = '/console/login'; a.textContent = '重新登录'; errors.appendChild(a);
    status();
    return { ok: false, why: 'signed_out' };
  }
  function sendPhotos() {
    var ph = photos.filter(function (p) { return !p.error; })[0];
    if (!ph) { status(); return Promise.resolve({ ok: counts().conflicts === 0 && !photos.length, why: photos.length ? 'photo' : (counts().conflicts ? 'conflict' : '') }); }
    if (navigator.onLine === false) { status(); return Promise.resolve({ ok: false, why: 'offline' }); }
    var fd = new FormData();
    fd.append('file', ph.blob, ph.name);
    fd.append('seq', ph.seq);
    if (ph.lat != null) { fd.append('lat', ph.lat); fd.append('lng', ph.lng); if (ph.accuracy) { fd.append('accuracy', ph.accuracy); } }
    status('正在上传 ' + ph.name + '…');
    return fetch('/api/v1/visits/' + visit + '/attachments', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf }, body: fd })
      .then(reply).then(function (r) {
        if (r.ok) {
          return dropPhoto(ph).then(function () {
            var box = document.querySelector('#point-' + ph.seq + ' .photos');
            if (box) { var s = document.createElement('span'); s.className = 'tag ok'; s.textContent = '📎 ' + ph.name; box.appendChild(s); }
            lastSaved = new Date().toISOString();
            drawPhotos(); cachePage();
            return send();
          });
        }
        if (r.status === 409) { block(errorMessages(r.body)[0]); return { ok: false, why: 'blocked' }; }
        if (signedOut(r)) { return signedOutNow(); }
        // Too large, a forbidden type …: kept, explained, and the inspector decides.
        ph.error = errorMessages(r.body).join('；');
        tx('photos', 'readwrite', function (s) { return s.put(ph); }).catch(function () {});
        drawPhotos();
        return send();
      }, function () { return dropped(); });
  }

  // ---- events ----
  function onChange(e) {
    var t = e.target;
    if (!t.name || t.type === 'file') { return; }
    var m = /^(a|n)_(\d+)$/.exec(t.name);
    var changed = false;
    if (m) { changed = capture('answers', m[2]); }
    m = /^(r|f|s)_(.+)$/.exec(t.name);
    if (m) { changed = capture('results', m[2]); }
    updateCounts();
    if (!changed) { return; }
    persist();
    status();
    flush();
  }

  function locate() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        position = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy };
        resolve(position);
      }, function () { resolve(null); }, { timeout: 5000, maximumAge: 60000 });
    });
  }

  function addPhoto(input) {
    var file = input.files[0];
    var ph = { id: owner + '|' + Date.now() + '-' + Math.random().toString(36).slice(2), owner: owner, seq: Number(input.getAttribute('data-seq')), name: file.name || 'photo.jpg', type: file.type, blob: file };
    if (position) { ph.lat = position.lat; ph.lng = position.lng; ph.accuracy = position.accuracy; }
    input.value = '';
    var stored = db ? tx('photos', 'readwrite', function (s) { return s.put(ph); }) : Promise.resolve();
    return stored.then(function () {
      photos.push(ph); drawPhotos(); status(); flush();
    }, function () { showErrors(['本机存储空间不足，照片“' + ph.name + '”未能保存，请清理手机空间后重拍']); });
  }

  function confirmNow() {
    captureAll();
    persist();
    confirmBtn.disabled = true;
    say('正在保存，保存完成后确认…', 'wait');
    var done = function () { confirmBtn.disabled = false; };
    return flush().then(function (r) {
      var c = counts();
      if (!r.ok || c.pending || c.conflicts || c.failed) {
        var why = r.why === 'offline' || navigator.onLine === false ? '当前没有网络，还有 ' + c.pending + ' 项待同步。确认签字需要联网：联网后会自动同步，同步完成后再点“确认并签字”。'
          : c.conflicts ? '有 ' + c.conflicts + ' 项与同事的记录冲突，请先在标出的检查要点选择保留哪一个，再确认签字。'
          : c.failed ? '有 ' + c.failed + ' 张照片未能上传，请处理后再确认签字。'
          : r.why === 'blocked' ? blocked
          : r.why === 'signed_out' ? '登录已失效，请重新登录后再确认签字。'
          : '记录尚未全部保存，未确认。请按提示修改后再确认签字。';
        var short = r.why === 'offline' || navigator.onLine === false ? '没有网络（' + c.pending + ' 项待同步）'
          : c.conflicts ? c.conflicts + ' 项冲突待处理'
          : c.failed ? c.failed + ' 张照片未能上传'
          : r.why === 'blocked' ? '记录已不能修改'
          : r.why === 'signed_out' ? '登录已失效'
          : '记录未能全部保存';
        // The reason in full where alerts are read out; a short one in the bar at the bottom.
        say('未确认：' + short, 'off');
        if (r.why !== 'refused' && r.why !== 'blocked' && r.why !== 'signed_out') { showErrors([why]); }
        var first = document.querySelector('.conflicted');
        if (first) { first.scrollIntoView({ block: 'center' }); }
        done();
        return;
      }
      if (!window.confirm('确认本次检查记录无误并签字？确认后如有改动需重新确认。')) { say('未确认：您取消了签字。', 'off'); done(); return; }
      say('正在确认…', 'wait');
      return locate().then(function (pos) {
        return api('POST', '/api/v1/visits/' + visit + '/confirm', pos ? { position: pos } : {});
      }).then(function (r) {
        if (r.ok) {
          var w = r.body.waiting_for || [];
          say(r.body.submitted ? '全部确认，结果已提交部门审核' : '已确认，等待 ' + w.join('、') + ' 确认', '');
          showErrors([]);
          setTimeout(function () { location.href = '/console/visits/' + visit + '/field?ok=confirmed'; }, 600);
          return;
        }
        done();
        if (signedOut(r)) { signedOutNow(); say('未确认：登录已失效，请重新登录后再确认签字。', 'off'); return; }
        say('未确认：' + errorMessages(r.body)[0], 'off');
        showErrors(errorMessages(r.body));
      }, function () { done(); say('未确认：网络中断，请联网后再点“确认并签字”。', 'off'); });
    }, function () { done(); say('未确认：保存出错，请重试。', 'off'); });
  }

  // Before the queue is loaded nothing is sent, so no edit can race an older queued one.
  function wire() {
    if (!form) { return; }
    form.addEventListener('change', function (e) {
      if (e.target.type === 'file') { if (e.target.files.length) { addPhoto(e.target); } return; }
      onChange(e);
    });
    var timer = null;
    form.addEventListener('input', function (e) {
      if (e.target.tagName !== 'TEXTAREA') { return; }
      clearTimeout(timer);
      timer = setTimeout(function () { onChange(e); }, 800);
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      clearTimeout(timer);
      if (e.submitter && e.submitter.value === 'confirm') { confirmNow(); return; }
      captureAll(); persist(); status();
      flush().then(function (r) {
        if (r.ok) { say('已保存 · ' + hhmm(), ''); }
      });
    });
    var start = document.getElementById('start');
    if (start) {
      start.addEventListener('click', function () {
        if (navigator.onLine === false) { say('当前离线：可以直接录入，联网同步时会自动记为开始检查。', 'off'); return; }
        start.disabled = true;
        locate().then(function (pos) {
          return api('POST', '/api/v1/visits/' + visit + '/start', pos ? { position: pos } : {});
        }).then(function (r) {
          if (r.ok) { location.reload(); } else { start.disabled = false; showErrors(errorMessages(r.body)); }
        }, function () { start.disabled = false; say('网络中断：可以直接录入，联网同步时会自动记为开始检查。', 'off'); });
      });
    }
  }

  window.addEventListener('online', function () { status(); flush(); });
  window.addEventListener('offline', function () { status(); });

  openDb().then(function (d) {
    db = d;
    return Promise.all([
      tx('drafts', 'readonly', function (s) { return s.get(owner); }),
      loadPhotos()
    ]).catch(function () { return [null, []]; });
  }).then(function (got) {
    if (got[0]) { state = got[0]; }
    photos = got[1] || [];
    // The queue of the previous version of this page (localStorage, no bases): sent as before.
    try {
      var old = JSON.parse(localStorage.getItem('lj-draft-' + visit) || 'null');
      if (old) {
        Object.keys(old.answers || {}).forEach(function (k) { var a = old.answers[k]; if (!state.answers[k]) { state.answers[k] = { value: { answer: a.answer, note: a.note }, base: null, state: 'pending' }; } });
        Object.keys(old.results || {}).forEach(function (k) { var r = old.results[k]; if (!state.results[k]) { state.results[k] = { value: { result_code: r.result_code, follow_up: r.follow_up, summary: r.summary }, base: null, state: 'pending' }; } });
        localStorage.removeItem('lj-draft-' + visit);
      }
    } catch (e) { /* nothing usable */ }
    // Put back on the page what it does not show yet: entries still to send or in conflict, and
    // saved ones newer than this page (a copy from the phone's cache may be older).
    ['answers', 'results'].forEach(function (kind) {
      Object.keys(state[kind]).forEach(function (k) {
        var e = state[kind][k];
        if (e.state === 'synced' && Date.parse(e.at) <= rendered) { delete state[kind][k]; return; }
        if (form) { show(kind, k, e.value); }
      });
    });
    if (form) { persist(); }
    updateCounts();
    drawConflicts();
    drawPhotos();
    wire();
    if (!form && (entries('pending').length || entries('conflict').length || photos.length)) {
      var s = document.getElementById('visit-status');
      block('本次检查当前状态为“' + (s ? s.textContent : '') + '”，不能再修改记录');
      return;
    }
    status(document.getElementById('sync').textContent.trim());
    if (counts().pending) { flush(); }
  });
})();
