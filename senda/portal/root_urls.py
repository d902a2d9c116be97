from django.urls import URLPattern, path

from senda.portal import pwa

# At the site's root, outside the language prefixes: a service worker's scope is its path.
urlpatterns: list[URLPattern] = [
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
]
