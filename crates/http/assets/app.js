// Confirmation before destructive actions: <form data-confirm="确定停用该账号？"> (or the same
// attribute on one submit button). With Bootstrap loaded the question is a modal dialog; without
// it, the browser's own confirm(); without JavaScript the form simply submits — the server
// checks the action either way (CSRF, one-time token, permissions, state).
function confirmModal() {
  var m = document.getElementById('confirm-modal');
  if (m) { return m; }
  m = document.createElement('div');
  m.className = 'modal fade';
  m.id = 'confirm-modal';
  m.tabIndex = -1;
  m.setAttribute('aria-labelledby', 'confirm-modal-title');
  m.setAttribute('aria-hidden', 'true');
  m.innerHTML = '<div class="modal-dialog modal-dialog-centered"><div class="modal-content">' +
    '<div class="modal-header"><h2 class="modal-title fs-5" id="confirm-modal-title">请确认</h2>' +
    '<button type="button" class="btn-close" data-bs-dismiss="modal" aria-label="关闭"></button></div>' +
    '<div class="modal-body"><p class="mb-0" data-confirm-text></p></div>' +
    '<div class="modal-footer"><button type="button" class="btn btn-outline-secondary" data-bs-dismiss="modal">取消</button>' +
    '<button type="button" class="btn btn-danger" data-confirm-ok>确定</button></div></div></div>';
  document.body.appendChild(m);
  return m;
}

// Asks `msg` in the console's dialog (or the browser's confirm() without Bootstrap); resolves
// true when the user chose `okLabel`.
function ask(msg, okLabel, cancelLabel) {
  return new Promise(function (resolve) {
    if (!window.bootstrap || !window.bootstrap.Modal) { resolve(window.confirm(msg)); return; }
    var m = confirmModal();
    m.querySelector('[data-confirm-text]').textContent = msg;
    var ok = m.querySelector('[data-confirm-ok]');
    var no = m.querySelector('.modal-footer [data-bs-dismiss=modal]');
    ok.textContent = okLabel;
    no.textContent = cancelLabel || '取消';
    var modal = window.bootstrap.Modal.getOrCreateInstance(m);
    var chosen = false;
    ok.onclick = function () { ok.onclick = null; chosen = true; modal.hide(); };
    m.addEventListener('hidden.bs.modal', function () {
      no.textContent = '取消';
      ok.onclick = null;
      resolve(chosen);
    }, { once: true });
    modal.show();
  });
}

document.addEventListener('submit', function (e) {
  var f = e.target;
  var by = e.submitter;
  var msg = (by && by.getAttribute('data-confirm')) || (f.getAttribute && f.getAttribute('data-confirm'));
  if (!msg || f.getAttribute('data-confirmed') === '1') { return; }
  e.preventDefault();
  if (!window.bootstrap || !window.bootstrap.Modal) {
    if (window.confirm(msg)) {
      f.setAttribute('data-confirmed', '1');
      f.requestSubmit(by || undefined);
      f.removeAttribute('data-confirmed');
    }
    return;
  }
  var m = confirmModal();
  m.querySelector('[data-confirm-text]').textContent = msg;
  var ok = m.querySelector('[data-confirm-ok]');
  var label = by && (by.textContent || by.value);
  ok.textContent = label ? label.trim() : '确定';
  var modal = window.bootstrap.Modal.getOrCreateInstance(m);
  ok.onclick = function () {
    ok.onclick = null;
    f.setAttribute('data-confirmed', '1');
    modal.hide();
    // requestSubmit keeps the clicked button's name and value (e.g. decision=approve).
    f.requestSubmit(by && by.form === f ? by : undefined);
    setTimeout(function () { f.removeAttribute('data-confirmed'); }, 0);
  };
  m.addEventListener('hidden.bs.modal', function () {
    if (f.getAttribute('data-confirmed') !== '1') { (by || f).focus && (by || f).focus(); }
  }, { once: true });
  modal.show();
});

// Table forms: <button type="button" data-add-row="ID"> appends an empty copy of the last row of
// tbody#ID (more licences, cooperating departments, check points), without a framework.
document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('[data-add-row]');
  if (!b) { return; }
  var body = document.getElementById(b.getAttribute('data-add-row'));
  var last = body && body.lastElementChild;
  if (!last) { return; }
  var row = last.cloneNode(true);
  row.querySelectorAll('input, textarea').forEach(function (i) { i.value = ''; });
  row.querySelectorAll('select').forEach(function (s) { s.selectedIndex = 0; });
  row.querySelectorAll('.err').forEach(function (p) { p.parentNode.removeChild(p); });
  body.appendChild(row);
});

// Print and back buttons (no inline handlers: the pages' Content-Security-Policy forbids them).
document.addEventListener('click', function (e) {
  var p = e.target.closest && e.target.closest('[data-print]');
  if (p) { e.preventDefault(); window.print(); return; }
  var b = e.target.closest && e.target.closest('[data-back]');
  if (b && window.history.length > 1) { e.preventDefault(); window.history.back(); }
});

// 待见证的抽取: 32 random bytes generated in the browser (crypto.getRandomValues), shown once in
// the field so that the supervisor can keep them before submitting (issue 11).
document.querySelectorAll('[data-random-for]').forEach(function (b) {
  b.addEventListener('click', function () {
    var a = new Uint8Array(32);
    crypto.getRandomValues(a);
    var hex = Array.prototype.map.call(a, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
    document.getElementById(b.getAttribute('data-random-for')).value = hex;
  });
});

// Tables that stack into cards on phones (table.stack-sm, common.css) label each cell by its
// column; cells the template did not label get their column's heading here.
document.querySelectorAll('table.stack-sm').forEach(function (t) {
  var heads = Array.prototype.map.call(t.querySelectorAll('thead th'), function (th) { return th.textContent.trim(); });
  t.querySelectorAll('tbody tr').forEach(function (tr) {
    Array.prototype.forEach.call(tr.children, function (td, i) {
      if (!td.hasAttribute('data-label') && heads[i]) { td.setAttribute('data-label', heads[i]); }
    });
  });
});

// Field errors (<p class="invalid-feedback"> after a field): mark the field invalid, tie the
// message to it for screen readers, and list "field: message" links in the form's error alert
// so that each message names its field. Without JavaScript the messages still stand next to
// their fields.
document.querySelectorAll('main .invalid-feedback').forEach(function (p, i) {
  var box = p.parentNode;
  var field = box && box.querySelector('input:not([type=hidden]), select, textarea');
  if (!field) { return; }
  field.classList.add('is-invalid');
  field.setAttribute('aria-invalid', 'true');
  if (!p.id) { p.id = 'field-error-' + i; }
  field.setAttribute('aria-describedby', ((field.getAttribute('aria-describedby') || '') + ' ' + p.id).trim());
  var label = field.labels && field.labels[0];
  var name = label ? label.textContent.replace(/[（(].*$/, '').replace(/\*/g, '').trim() : '';
  var alert = document.querySelector('main .alert-danger[role=alert]');
  if (alert && name && field.id && alert.textContent.indexOf(p.textContent.trim()) === -1) {
    var list = alert.querySelector('ul.field-errors');
    if (!list) { list = document.createElement('ul'); list.className = 'field-errors mb-0 mt-1'; alert.appendChild(list); }
    var li = document.createElement('li');
    var a = document.createElement('a');
    a.href = '#' + field.id;
    a.className = 'alert-link';
    a.textContent = name;
    li.appendChild(a);
    li.appendChild(document.createTextNode('：' + p.textContent.trim()));
    list.appendChild(li);
  }
});

// Notices (what the last action did) are Bootstrap toasts: rendered shown by the server, so
// they read without JavaScript; here they go away after a while (not while the pointer or the
// focus is on them: Bootstrap waits) and can be closed. Without animation: the toast is on
// screen already, and a fade-in would hide it for a moment.
document.querySelectorAll('.toast[data-notice]').forEach(function (t) {
  if (!window.bootstrap || !window.bootstrap.Toast) { return; }
  window.bootstrap.Toast.getOrCreateInstance(t, { delay: 8000, animation: false }).show();
});

// 退出 on a shared phone: the field form (field.js) keeps answers and photos in IndexedDB
// ('lianjian-field') until they reach the server, and its service worker keeps copies of the
// pages (caches 'lj-field-*'). Signing out must not leave them readable on the device: when
// something is still unsent the user is told how much would be lost and may stay; on 退出 the
// queue and the copies are deleted, then the form is sent.
var FIELD_DB = 'lianjian-field';
function fieldDb() {
  if (!window.indexedDB) { return Promise.resolve(null); }
  var exists = indexedDB.databases ? indexedDB.databases().then(function (l) {
    return l.some(function (d) { return d.name === FIELD_DB; });
  }, function () { return true; }) : Promise.resolve(true);
  return exists.then(function (yes) {
    if (!yes) { return null; }
    return new Promise(function (resolve) {
      var rq;
      try { rq = indexedDB.open(FIELD_DB); } catch (e) { resolve(null); return; }
      rq.onsuccess = function () {
        var d = rq.result;
        // Another tab upgrading or deleting the database: let it.
        d.onversionchange = function () { d.close(); };
        if (!d.objectStoreNames.contains('drafts') || !d.objectStoreNames.contains('photos')) { d.close(); resolve(null); return; }
        resolve(d);
      };
      rq.onerror = function () { resolve(null); };
      rq.onblocked = function () { resolve(null); };
    });
  });
}
// Unsent answers and results (pending or in conflict) and photos waiting, over every visit
// and user kept on this device.
function unsynced(d) {
  return new Promise(function (resolve) {
    var n = 0;
    var t = d.transaction(['drafts', 'photos'], 'readonly');
    t.objectStore('drafts').getAll().onsuccess = function (e) {
      (e.target.result || []).forEach(function (st) {
        ['answers', 'results'].forEach(function (k) {
          Object.keys(st[k] || {}).forEach(function (key) { if (st[k][key].state !== 'synced') { n += 1; } });
        });
      });
    };
    t.objectStore('photos').count().onsuccess = function (e) { n += e.target.result; };
    t.oncomplete = function () { resolve(n); };
    t.onerror = t.onabort = function () { resolve(n); };
  });
}
function clearField(d) {
  var db = d ? new Promise(function (resolve) {
    var t = d.transaction(['drafts', 'photos'], 'readwrite');
    t.objectStore('drafts').clear();
    t.objectStore('photos').clear();
    t.oncomplete = t.onerror = t.onabort = function () { d.close(); resolve(); };
  }) : Promise.resolve();
  var copies = window.caches ? caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('lj-field-') === 0; }).map(function (k) { return caches.delete(k); }));
  }).catch(function () {}) : Promise.resolve();
  return Promise.all([db, copies]);
}
document.addEventListener('submit', function (e) {
  var f = e.target;
  if (!f.matches || !f.matches('form[action="/console/logout"]')) { return; }
  e.preventDefault();
  e.stopImmediatePropagation();
  if (f.getAttribute('data-busy') === '1') { return; }
  f.setAttribute('data-busy', '1');
  var go = function (d) { clearField(d).then(function () { f.submit(); }); };
  fieldDb().then(function (d) {
    if (!d) { go(null); return; }
    unsynced(d).then(function (n) {
      if (n === 0) { go(d); return; }
      ask('本机还有 ' + n + ' 项现场检查记录（答案、结论或照片）尚未同步到服务器。退出将从本机删除这些记录，无法恢复。联网打开现场检查表可先完成同步。',
        '仍然退出（删除 ' + n + ' 项）', '留在本页').then(function (yes) {
        if (yes) { go(d); } else { d.close(); f.removeAttribute('data-busy'); }
      });
    });
  }, function () { go(null); });
}, true);
