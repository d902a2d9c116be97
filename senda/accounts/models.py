"""Organisations (tenants), users and their memberships with one role per organisation."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.accounts.roles import Capability, Role, role_can


class Organisation(models.Model):
    """A partner organisation using Senda: the tenant every owned row carries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    country = models.ForeignKey(
        "geo.Country", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("country")
    )
    is_network_editor = models.BooleanField(
        _("network editor"),
        default=False,
        help_text=_("Its content editors review and publish every organisation's services."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set when an admin resets the password; asked at the next login."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def active_memberships(self) -> list[Membership]:
        """The memberships the user works under: active, in active organisations (read with
        them), oldest first. Read once per user object: the request's user is read with them
        (``senda.accounts.backends``), so a page reads them in the same query as the user."""
        cached: list[Membership] | None = getattr(self, "_active_memberships", None)
        if cached is None:
            cached = list(
                self.memberships.select_related("organisation")
                .filter(is_active=True, organisation__is_active=True)
                .order_by("created_at", "pk")
            )
            self._active_memberships = cached
        return cached

    def active_membership(self) -> Membership | None:
        """The membership the user works under (the first active one)."""
        memberships = self.active_memberships()
        return memberships[0] if memberships else None

    def can(self, capability: Capability, organisation: Organisation | None = None) -> bool:
        """Whether the user holds ``capability`` in ``organisation`` (or in any of theirs)."""
        if not self.is_active:
            return False
        memberships = self.memberships.filter(is_active=True, organisation__is_active=True)
        if organisation is not None:
            memberships = memberships.filter(organisation=organisation)
        return any(role_can(m.role, capability) for m in memberships)

    def organisations_with(self, capability: Capability) -> list[Organisation]:
        memberships = self.memberships.select_related("organisation").filter(
            is_active=True, organisation__is_active=True
        )
        return [m.organisation for m in memberships if role_can(m.role, capability)]


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_role_per_org")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A bearer token for a device or script; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class TotpDevice(models.Model):
    """A user's authenticator app (RFC 6238). The shared secret is stored encrypted."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step whose code was accepted: a code is accepted once only.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"TOTP ({self.user})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code for when the phone is lost; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code ({self.user})"
