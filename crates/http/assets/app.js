// Confirmation before destructive actions: <form data-confirm="确定停用该账号？">.
document.addEventListener('submit', function (e) {
  var f = e.target;
  var msg = f.getAttribute && f.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
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
