// Senda's service worker. Public pages are fetched from the network first; the pages of the
// guides, the checklist and the portal that a person has opened are kept, so they still open
// without a connection. Nothing of staff pages, forms or the API is ever kept, and neither is
// "near me" (its address holds the person's position).
"use strict";
const VERSION = "senda-v1";
const CORE = ["/", "/en/", "/offline/", "/en/offline/"];
const KEEP = [/^\/(en\/)?$/, /^\/(en\/)?guides\//, /^\/(en\/)?search\//, /^\/(en\/)?services\//,
  /^\/(en\/)?c\//, /^\/(en\/)?offline\/$/, /^\/static\//];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    return cache.addAll(CORE).catch(function () {});
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== VERSION; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(url) {
  return url.origin === self.location.origin && KEEP.some(function (re) { return re.test(url.pathname); });
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!keepable(url)) return;
  event.respondWith(fetch(request).then(function (response) {
    const noStore = (response.headers.get("Cache-Control") || "").indexOf("no-store") !== -1;
    if (response.ok && response.type === "basic" && !noStore) {
      const copy = response.clone();
      caches.open(VERSION).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (hit) {
      if (hit) return hit;
      if (request.mode === "navigate") {
        const offline = url.pathname.indexOf("/en/") === 0 ? "/en/offline/" : "/offline/";
        return caches.match(offline);
      }
      return Response.error();
    });
  }));
});
