"""Roles and what each may do. Checked in queries and actions, never in templates."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation admin")
    CONTENT_EDITOR = "content_editor", _("Content editor")
    INFO_POINT_STAFF = "info_point_staff", _("Information-point staff")
    HEALTH_PROMOTER = "health_promoter", _("Health promoter")
    COMMUNITY_VOLUNTEER = "community_volunteer", _("Community volunteer")
    FOCAL_POINT = "focal_point", _("Health-centre focal point")
    PROGRAMME_OFFICER = "programme_officer", _("Programme officer")
    VIEWER = "viewer", _("Viewer")


class Capability(StrEnum):
    # Directory: edit the organisation's own services and locations (drafts, verification).
    DIRECTORY_EDIT = "directory.edit"
    # Directory: review and publish or archive services; network-wide in a network-editor org.
    DIRECTORY_PUBLISH = "directory.publish"
    # Directory: import HSDS files.
    DIRECTORY_IMPORT = "directory.import"
    # Organisation: manage members, roles and password resets.
    ORG_MANAGE = "org.manage"
    # Guides: write and translate guides and channels (drafts).
    GUIDE_EDIT = "guides.edit"
    # Guides: publish guides (a published version is kept for readers).
    GUIDE_PUBLISH = "guides.publish"
    # Campaigns: manage campaigns, landing pages and placements; see campaign reach.
    CAMPAIGN_MANAGE = "campaigns.manage"
    # Inquiries: see, assign and answer requests for personalised information.
    INQUIRY_HANDLE = "inquiries.handle"


CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ORG_ADMIN: frozenset(
        {
            Capability.DIRECTORY_EDIT,
            Capability.DIRECTORY_IMPORT,
            Capability.ORG_MANAGE,
            Capability.CAMPAIGN_MANAGE,
            Capability.INQUIRY_HANDLE,
        }
    ),
    Role.CONTENT_EDITOR: frozenset(
        {
            Capability.DIRECTORY_EDIT,
            Capability.DIRECTORY_PUBLISH,
            Capability.DIRECTORY_IMPORT,
            Capability.GUIDE_EDIT,
            Capability.GUIDE_PUBLISH,
            Capability.CAMPAIGN_MANAGE,
        }
    ),
    Role.INFO_POINT_STAFF: frozenset({Capability.DIRECTORY_EDIT, Capability.INQUIRY_HANDLE}),
    Role.HEALTH_PROMOTER: frozenset(),
    Role.COMMUNITY_VOLUNTEER: frozenset(),
    Role.FOCAL_POINT: frozenset({Capability.DIRECTORY_EDIT}),
    Role.PROGRAMME_OFFICER: frozenset({Capability.CAMPAIGN_MANAGE}),
    Role.VIEWER: frozenset(),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
