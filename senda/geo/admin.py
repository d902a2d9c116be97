from __future__ import annotations

from django.contrib import admin

from senda.geo.models import AdminArea, Country


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "timezone"]


@admin.register(AdminArea)
class AdminAreaAdmin(admin.ModelAdmin):
    list_display = ["pcode", "name", "country", "level", "parent"]
    list_filter = ["country", "level"]
    search_fields = ["pcode", "name"]
