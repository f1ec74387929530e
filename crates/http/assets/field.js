// The phone field form (现场检查): every answer is saved to the server as it is entered
// (PUT /api/v1/visits/{id}/draft). Changes not yet acknowledged by the server stay in
// localStorage, so a dropped connection or a reload loses nothing; they are sent again when the
// connection returns. Sending the same change twice is harmless (the server compares).
(function () {
  var root = document.getElementById('field');
  var form = document.getElementById('draft');
  if (!root || !form) { return; }
  var visit = root.getAttribute('data-visit');
  var csrf = root.getAttribute('data-csrf');
  var key = 'lj-draft-' + visit;
  var sync = document.getElementById('sync');
  var errors = document.getElementById('errors');
  var nojs = document.getElementById('nojs-upload');
  if (nojs) { nojs.hidden = true; }
  var position = null;
  var busy = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(key)) || { answers: {}, results: {} }; } catch (e) { return { answers: {}, results: {} }; }
  }
  function store(p) { try { localStorage.setItem(key, JSON.stringify(p)); } catch (e) { /* private mode: memory only */ } }
  var pending = load();

  function count(p) { return Object.keys(p.answers).length + Object.keys(p.results).length; }
  function say(text, bad) { sync.textContent = text; sync.className = 'sync' + (bad ? ' off' : ''); }
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
  function now() { var d = new Date(); return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2); }

  function answerOf(seq) {
    var checked = form.querySelector('input[name="a_' + seq + '"]:checked');
    var note = form.querySelector('[name="n_' + seq + '"]');
    return { seq: Number(seq), answer: checked ? checked.value : '', note: note ? note.value : '' };
  }
  function resultOf(plan) {
    function v(n) { var el = form.querySelector('[name="' + n + '_' + plan + '"]'); return el ? el.value : ''; }
    return { plan_id: plan, result_code: v('r'), follow_up: v('f'), summary: v('s') };
  }

  // Put back what was entered but not yet saved (after a reload while offline).
  Object.keys(pending.answers).forEach(function (seq) {
    var a = pending.answers[seq];
    if (a.answer) { var r = form.querySelector('input[name="a_' + seq + '"][value="' + a.answer + '"]'); if (r) { r.checked = true; } }
    var n = form.querySelector('[name="n_' + seq + '"]'); if (n) { n.value = a.note; }
  });
  Object.keys(pending.results).forEach(function (plan) {
    var r = pending.results[plan];
    ['r', 'f', 's'].forEach(function (k, i) {
      var el = form.querySelector('[name="' + k + '_' + plan + '"]');
      if (el) { el.value = [r.result_code, r.follow_up, r.summary][i]; }
    });
  });

  function onChange(e) {
    var t = e.target;
    if (!t.name || t.type === 'file') { return; }
    var m = /^(a|n)_(\d+)$/.exec(t.name);
    if (m) { pending.answers[m[2]] = answerOf(m[2]); }
    m = /^(r|f|s)_(.+)$/.exec(t.name);
    if (m) { pending.results[m[2]] = resultOf(m[2]); }
    store(pending);
    flush();
  }
  form.addEventListener('change', onChange);
  form.addEventListener('input', function (e) { if (e.target.tagName === 'TEXTAREA') { clearTimeout(form._t); form._t = setTimeout(function () { onChange(e); }, 800); } });

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.text().then(function (t) { var j = null; try { j = JSON.parse(t); } catch (e) { /* not JSON */ } return { ok: r.ok, status: r.status, body: j }; });
    });
  }

  // Sends what is pending; resolves true when nothing is left.
  function flush() {
    if (busy) { return Promise.resolve(false); }
    var sent = JSON.parse(JSON.stringify(pending));
    var answers = Object.keys(sent.answers).map(function (k) { return sent.answers[k]; });
    var results = Object.keys(sent.results).map(function (k) { return sent.results[k]; });
    if (!answers.length && !results.length) { return Promise.resolve(true); }
    if (navigator.onLine === false) { say('离线：' + count(pending) + ' 项待同步，联网后自动保存', true); return Promise.resolve(false); }
    busy = true;
    say('正在保存…');
    return api('PUT', '/api/v1/visits/' + visit + '/draft', { answers: answers, results: results }).then(function (r) {
      busy = false;
      if (r.ok) {
        // Drop what was sent, unless it changed again meanwhile.
        Object.keys(sent.answers).forEach(function (k) { if (JSON.stringify(pending.answers[k]) === JSON.stringify(sent.answers[k])) { delete pending.answers[k]; } });
        Object.keys(sent.results).forEach(function (k) { if (JSON.stringify(pending.results[k]) === JSON.stringify(sent.results[k])) { delete pending.results[k]; } });
        store(pending);
        showErrors([]);
        say('已保存 ' + now());
        updateCounts();
        return count(pending) === 0 ? true : flush();
      }
      say('未保存', true);
      showErrors(errorMessages(r.body));
      return false;
    }, function () {
      busy = false;
      say('网络中断：' + count(pending) + ' 项待同步，将自动重试', true);
      setTimeout(flush, 5000);
      return false;
    });
  }
  window.addEventListener('online', flush);

  function updateCounts() {
    document.querySelectorAll('.fpart').forEach(function (p) {
      var n = p.querySelectorAll('fieldset.point input[type=radio]:checked').length;
      var c = p.querySelector('.count'); if (c) { c.textContent = n; }
    });
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

  var start = document.getElementById('start');
  if (start) {
    start.addEventListener('click', function () {
      start.disabled = true;
      locate().then(function (pos) {
        return api('POST', '/api/v1/visits/' + visit + '/start', pos ? { position: pos } : {});
      }).then(function (r) {
        if (r.ok) { location.reload(); } else { start.disabled = false; showErrors(errorMessages(r.body)); }
      }, function () { start.disabled = false; say('网络中断，请联网后再开始', true); });
    });
  }

  // Photos and documents: uploaded at once (they are too large to keep on the phone).
  form.addEventListener('change', function (e) {
    var input = e.target;
    if (input.type !== 'file' || !input.files.length) { return; }
    var file = input.files[0];
    var fd = new FormData();
    fd.append('file', file, file.name);
    if (input.getAttribute('data-seq')) { fd.append('seq', input.getAttribute('data-seq')); }
    if (position) { fd.append('lat', position.lat); fd.append('lng', position.lng); if (position.accuracy) { fd.append('accuracy', position.accuracy); } }
    var box = input.closest('fieldset').querySelector('.photos');
    say('正在上传 ' + file.name + '…');
    fetch('/api/v1/visits/' + visit + '/attachments', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf }, body: fd })
      .then(function (r) { return r.text().then(function (t) { var j = null; try { j = JSON.parse(t); } catch (x) { /* */ } return { ok: r.ok, body: j }; }); })
      .then(function (r) {
        input.value = '';
        if (r.ok) {
          var s = document.createElement('span'); s.className = 'tag ok'; s.textContent = '📎 ' + file.name; box.appendChild(s);
          say('已上传 ' + file.name + ' ' + now()); showErrors([]);
        } else { say('上传失败', true); showErrors(errorMessages(r.body)); }
      }, function () { input.value = ''; say('网络中断，照片未上传，请联网后重新选择', true); });
  });

  // Save / confirm buttons: save first, then confirm.
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var confirmIt = e.submitter && e.submitter.value === 'confirm';
    form.querySelectorAll('fieldset.point').forEach(function (f) { var s = f.getAttribute('data-seq'); pending.answers[s] = answerOf(s); });
    form.querySelectorAll('.fpart').forEach(function (p) { var plan = p.getAttribute('data-plan'); pending.results[plan] = resultOf(plan); });
    store(pending);
    flush().then(function (done) {
      if (!done || !confirmIt) { return; }
      if (!window.confirm('确认本次检查记录无误并签字？确认后如有改动需重新确认。')) { return; }
      locate().then(function (pos) {
        return api('POST', '/api/v1/visits/' + visit + '/confirm', pos ? { position: pos } : {});
      }).then(function (r) {
        if (r.ok) {
          var w = r.body.waiting_for || [];
          say(r.body.submitted ? '全部确认，结果已提交部门审核' : '已确认，等待 ' + w.join('、') + ' 确认');
          setTimeout(function () { location.href = '/console/visits/' + visit + '/field?ok=confirmed'; }, 600);
        } else { say('未确认', true); showErrors(errorMessages(r.body)); }
      }, function () { say('网络中断，请联网后再确认', true); });
    });
  });

  updateCounts();
  if (count(pending)) { flush(); }
})();
