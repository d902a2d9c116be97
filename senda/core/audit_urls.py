from django.urls import path

from senda.core import audit_views

app_name = "core_audit"

urlpatterns = [path("", audit_views.audit_search, name="search")]
