// The field app's service worker (served by senda/sync/app_views.py, which puts VERSION, SHELL
// and PRECACHE above this text). It keeps the app's page, scripts, styles, icons and
// translations, so that the app opens with no network at all; a new version of any of them is
// a new worker, which fetches them all again before it takes over.
//
// It keeps nothing personal: the page is the same for everyone and the data lives encrypted in
// IndexedDB. The sync API, the login and every other address go to the network untouched.
"use strict";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    // "reload": past the browser's HTTP cache, so the new version is really new.
    return Promise.all(PRECACHE.map(function (url) {
      return fetch(new Request(url, { cache: "reload", credentials: "same-origin" }))
        .then(function (response) {
          if (!response.ok) throw new Error(url + " " + response.status);
          return cache.put(url, response);
        });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  // Only this app's older versions (in this language) are removed; the public site's worker
  // and the other language's app keep theirs.
  const prefix = VERSION.replace(/-[0-9a-f]+$/, "-");
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(prefix) === 0 && name !== VERSION;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    // The app's page: the kept copy at once (no waiting on a weak signal); the browser
    // checks for a new worker on its own.
    event.respondWith(caches.open(VERSION).then(function (cache) {
      return cache.match(SHELL).then(function (hit) {
        return hit || fetch(SHELL, { credentials: "same-origin" }).then(function (response) {
          if (response.ok) cache.put(SHELL, response.clone());
          return response;
        });
      });
    }));
    return;
  }
  if (PRECACHE.indexOf(url.pathname) === -1) return;
  event.respondWith(caches.open(VERSION).then(function (cache) {
    return cache.match(url.pathname).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        // A kept file gone (the browser evicted it): kept again while there is a connection.
        if (response.ok) cache.put(url.pathname, response.clone());
        return response;
      });
    });
  }));
});
