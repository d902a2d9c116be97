"""Field work in Django's admin (superusers only, see ``senda.core.admin``): the configurable
lists. People, referrals and tasks are never edited here: only through the actions, which check
permissions and write the audit log."""

from __future__ import annotations

from django.contrib import admin

from senda.casework.models import FollowUpRule, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "use", "slug", "position", "is_active"]
    list_filter = ["use", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name", "slug"]
    ordering = ["use", "position", "slug"]
    fields = ["use", "slug", "name", "language", "translations", "position", "is_active"]


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "trigger",
        "reason",
        "days_after",
        "requires_contact",
        "organisation",
        "is_active",
    ]
    list_filter = ["trigger", "is_active", "requires_contact"]
    list_select_related = ["organisation"]
    search_fields = ["title"]
    fields = [
        "organisation",
        "trigger",
        "reason",
        "days_after",
        "title",
        "language",
        "translations",
        "requires_contact",
        "is_active",
    ]
