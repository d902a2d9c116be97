// Senda's service worker. Public pages are fetched from the network first; the pages of the
// guides, the checklist and the portal that a person has opened are kept, so they still open
// without a connection. Nothing of staff pages, forms or the API is ever kept, and neither is
// "near me" (its address holds the person's position).
//
// The checklist works offline for any answers, not only those opened online: the offline
// checklist page of the person's language (it holds the published guides as data, see
// senda/pathways/offline.py) is kept with its script and style sheets when the worker installs
// and refreshed (a cheap 304 when nothing changed) when the person opens the guides online.
// Without a connection, a checklist address never opened gets that page, which reads the
// answers in the address and shows the same screen or result.
"use strict";
const VERSION = "senda-v1";
const CORE = ["/", "/en/", "/offline/", "/en/offline/"];
const KEEP = [/^\/(en\/)?$/, /^\/(en\/)?guides\//, /^\/(en\/)?search\//, /^\/(en\/)?services\//,
  /^\/(en\/)?c\//, /^\/(en\/)?offline\/$/, /^\/static\//];
const SHELL = { es: "/guides/checklist/offline/", en: "/en/guides/checklist/offline/" };
const CHECKLIST = /^\/(en\/)?guides\/checklist\/$/;
const GUIDES = /^\/(en\/)?guides\//;
// Opening the guides online refreshes the offline checklist at most this often.
const REFRESH_MS = 10 * 60 * 1000;
const refreshed = {};

function languageOf(pathname) {
  return pathname === "/en" || pathname.indexOf("/en/") === 0 ? "en" : "es";
}

// Fetch the offline checklist of a language, asking the server whether it changed (its ETag
// changes when a guide is republished), and keep it with the script and style sheets it names.
// Fetched without cookies: the same public page for everyone, never a signed-in person's.
function keepShell(language) {
  const address = SHELL[language];
  refreshed[language] = Date.now();
  return fetch(address, { cache: "no-cache", credentials: "omit" }).then(function (response) {
    if (!response.ok) return undefined;
    return response.clone().text().then(function (html) {
      const assets = [];
      html.replace(/(?:src|href)="(\/static\/[^"?#]+)"/g, function (match, path) {
        if (assets.indexOf(path) === -1) assets.push(path);
        return match;
      });
      return caches.open(VERSION).then(function (cache) {
        return cache.put(address, response).then(function () {
          return Promise.all(assets.map(function (asset) {
            // Static addresses carry a hash of their content: a kept one is still right.
            return cache.match(asset).then(function (hit) { return hit || cache.add(asset); });
          }));
        });
      });
    });
  }).catch(function () {});
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    return cache.addAll(CORE).catch(function () {});
  }).then(function () {
    // The offline checklist in the language of the page that installed the worker.
    return self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  }).then(function (windows) {
    const languages = windows.map(function (client) {
      return languageOf(new URL(client.url).pathname);
    }).filter(function (language, index, all) { return all.indexOf(language) === index; });
    return Promise.all((languages.length ? languages : ["es"]).map(keepShell));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    // Only this worker's own older caches: the field app's ("senda-field-...") are its own.
    return Promise.all(names.filter(function (n) { return n !== VERSION && /^senda-v\d+$/.test(n); })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(url) {
  return url.origin === self.location.origin && KEEP.some(function (re) { return re.test(url.pathname); });
}

function offlinePage(url) {
  const language = languageOf(url.pathname);
  const notice = language === "en" ? "/en/offline/" : "/offline/";
  if (!CHECKLIST.test(url.pathname)) return caches.match(notice);
  return caches.match(SHELL[language]).then(function (shell) {
    return shell || caches.match(notice);
  });
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
    if (request.mode === "navigate" && GUIDES.test(url.pathname)) {
      const language = languageOf(url.pathname);
      if (!refreshed[language] || Date.now() - refreshed[language] > REFRESH_MS) {
        event.waitUntil(keepShell(language));
      }
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (hit) {
      if (hit) return hit;
      if (request.mode === "navigate") return offlinePage(url);
      return Response.error();
    });
  }));
});
