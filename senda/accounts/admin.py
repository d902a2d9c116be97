from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from senda.accounts.models import Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class SendaUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_superuser", "is_active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "country", "is_network_editor", "is_active"]
    prepopulated_fields = {"slug": ("name",)}
