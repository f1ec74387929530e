// The field form's service worker: after one visit, the phone field form (现场检查) opens and
// reloads without signal. Served as /assets/field-sw.js with `Service-Worker-Allowed: /console/`
// and registered for the scope /console/ by field.js.
//
// What it keeps (one cache, `lj-field-v1`): each field form page the inspector opened
// (/console/visits/{id}/field — the page carries the visit's merged checklist and its answers),
// the task list, and the assets those pages load. Pages and assets are fetched from the network
// first, so a phone with signal always sees the current record; the copy is used when the
// network fails or answers nothing for a few seconds. Answers and photos made offline are not
// kept here but in IndexedDB by field.js, which sends them when the connection returns.
//
// Signed-in pages are personal: the cache is emptied on 退出 (POST /console/logout), and a page
// the server no longer gives (signed out, no longer on the team) is dropped from it.
'use strict';

var CACHE = 'lj-field-v1';
var FIELD = /^\/console\/visits\/[0-9a-f-]{36}\/field$/;
var LIST = '/console/visits';
var WAIT_MS = 5000;

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(CACHE)
    .then(function (c) { return c.addAll(['/assets/field.css', '/assets/field.js']); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('lj-field-') === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// The network's answer, or a rejection after `ms` without one (a signal too weak to use).
function soon(p, ms) {
  return new Promise(function (resolve, reject) {
    var t = setTimeout(function () { reject(new Error('timeout')); }, ms);
    p.then(function (r) { clearTimeout(t); resolve(r); }, function (e) { clearTimeout(t); reject(e); });
  });
}

function offlinePage() {
  return new Response('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><title>没有网络</title></head>' +
    '<body style="font:16px/1.6 sans-serif;padding:16px"><h1 style="font-size:20px">没有网络</h1>' +
    '<p>此页面没有保存在本机。打开过的现场检查表可以离线使用：请从任务列表进入，或联网后重试。</p>' +
    '<p><a href="/console/visits">返回检查任务</a></p></body></html>',
    { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

// Network first; the stored copy when the network fails or is too slow.
function networkFirst(req, key, fallback) {
  var stored = function () {
    return caches.open(CACHE).then(function (c) { return c.match(key); })
      .then(function (hit) { return hit || (fallback ? fallback() : Response.error()); });
  };
  if (self.navigator && self.navigator.onLine === false) { return stored(); }
  return soon(fetch(req), WAIT_MS).then(function (res) {
    // A redirect followed (a script's fetch of a page whose session ended) is the login page,
    // never a copy of the page asked for.
    if (res.ok && res.type === 'basic' && !res.redirected) {
      var copy = res.clone();
      caches.open(CACHE).then(function (c) { return c.put(key, copy); });
      return res;
    }
    // Signed out (a redirect to the login page), gone or no longer the inspector's: the copy
    // must not outlive the right to see it.
    if (res.type === 'opaqueredirect' || res.redirected || res.status === 401 || res.status === 403 || res.status === 404) {
      caches.open(CACHE).then(function (c) { return c.delete(key); });
      return res;
    }
    if (res.status >= 500) {
      return caches.open(CACHE).then(function (c) { return c.match(key); }).then(function (hit) { return hit || res; });
    }
    return res;
  }, stored);
}

self.addEventListener('fetch', function (e) {
  var req = e.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (req.method === 'POST' && url.pathname === '/console/logout') {
    e.waitUntil(caches.delete(CACHE));
    return;
  }
  if (req.method !== 'GET') { return; }
  if (FIELD.test(url.pathname)) {
    // One copy per visit whatever the query (?ok=confirmed is a notice, not another page).
    e.respondWith(networkFirst(req, url.pathname, offlinePage));
  } else if (url.pathname === LIST && req.mode === 'navigate') {
    e.respondWith(networkFirst(req, url.pathname + url.search, function () {
      return caches.open(CACHE).then(function (c) { return c.match(LIST); })
        .then(function (hit) { return hit || offlinePage(); });
    }));
  } else if (url.pathname.indexOf('/assets/') === 0) {
    e.respondWith(networkFirst(req, url.pathname, null));
  }
});
