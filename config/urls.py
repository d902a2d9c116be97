from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("hsds/", include("senda.directory.hsds_urls")),
    path("q/", include("senda.campaigns.short_urls")),
    path("", include("senda.portal.root_urls")),
]

# Pages: Spanish at "/", English at "/en/", so a link always says its language.
urlpatterns += i18n_patterns(
    path("accounts/", include("senda.accounts.urls")),
    path("staff/directory/import/", include("senda.directory.import_urls")),
    path("staff/directory/", include("senda.directory.urls")),
    path("staff/guides/", include("senda.pathways.staff_urls")),
    path("staff/campaigns/", include("senda.campaigns.staff_urls")),
    path("staff/inquiries/", include("senda.inquiries.staff_urls")),
    path("staff/audit/", include("senda.core.audit_urls")),
    path("staff/field/devices/", include("senda.sync.staff_urls")),
    path("staff/field/", include("senda.casework.urls")),
    path("staff/insights/", include("senda.insights.urls")),
    path("staff/surveys/", include("senda.surveys.urls")),
    path("field/", include("senda.sync.app_urls")),
    path("guides/", include("senda.pathways.urls")),
    path("c/", include("senda.campaigns.urls")),
    path("ask/", include("senda.inquiries.urls")),
    path("", include("senda.portal.urls")),
    prefix_default_language=False,
)
