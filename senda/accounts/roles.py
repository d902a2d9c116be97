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
    SUPERVISOR = "supervisor", _("Supervisor")
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
    # Field work: register people (with consent), orient, refer and follow up. Which people
    # the user sees is decided by ``people_scope`` below.
    CASE_WORK = "casework.work"
    # Field work: see every person of the organisation, read-only (programme monitoring).
    CASE_VIEW_ALL = "casework.view_all"
    # Field work: merge duplicate people, reassign follow-ups, see the team's tasks.
    CASE_SUPERVISE = "casework.supervise"
    # Field work: erase a person's data on request (aggregates and tallies survive).
    PEOPLE_ERASE = "casework.erase"
    # Referrals: receive referrals sent to the organisation and record what happened.
    REFERRAL_RECEIVE = "casework.receive_referrals"
    # Outreach activities, vaccination sessions: record tallies (no personal data).
    OUTREACH_RECORD = "casework.outreach"
    # Trainings: organise training events and record participants and completion.
    TRAINING_MANAGE = "casework.trainings"
    # Audit: search the organisation's audit log.
    AUDIT_VIEW = "audit.view"
    # Aggregates: see aggregate figures (never a person).
    AGGREGATES_VIEW = "insights.aggregates"
    # Insights: define programmes and indicators, write donor reports' narratives, export
    # pseudonymised record-level data of the organisation.
    INSIGHTS_MANAGE = "insights.manage"
    # Surveys: import survey forms and submissions, name the design, read weighted results.
    SURVEYS_MANAGE = "surveys.manage"


CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ORG_ADMIN: frozenset(
        {
            Capability.DIRECTORY_EDIT,
            Capability.DIRECTORY_IMPORT,
            Capability.ORG_MANAGE,
            Capability.CAMPAIGN_MANAGE,
            Capability.INQUIRY_HANDLE,
            Capability.TRAINING_MANAGE,
            Capability.AUDIT_VIEW,
            Capability.AGGREGATES_VIEW,
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
    Role.INFO_POINT_STAFF: frozenset(
        {
            Capability.DIRECTORY_EDIT,
            Capability.INQUIRY_HANDLE,
            Capability.CASE_WORK,
            Capability.REFERRAL_RECEIVE,
            Capability.OUTREACH_RECORD,
        }
    ),
    Role.HEALTH_PROMOTER: frozenset({Capability.CASE_WORK, Capability.OUTREACH_RECORD}),
    Role.COMMUNITY_VOLUNTEER: frozenset({Capability.CASE_WORK, Capability.OUTREACH_RECORD}),
    Role.FOCAL_POINT: frozenset({Capability.DIRECTORY_EDIT, Capability.REFERRAL_RECEIVE}),
    Role.SUPERVISOR: frozenset(
        {
            Capability.CASE_WORK,
            Capability.CASE_SUPERVISE,
            Capability.PEOPLE_ERASE,
            Capability.REFERRAL_RECEIVE,
            Capability.OUTREACH_RECORD,
            Capability.TRAINING_MANAGE,
            Capability.AGGREGATES_VIEW,
        }
    ),
    Role.PROGRAMME_OFFICER: frozenset(
        {
            Capability.CAMPAIGN_MANAGE,
            Capability.CASE_VIEW_ALL,
            Capability.PEOPLE_ERASE,
            Capability.TRAINING_MANAGE,
            Capability.AGGREGATES_VIEW,
            Capability.INSIGHTS_MANAGE,
            Capability.SURVEYS_MANAGE,
        }
    ),
    Role.VIEWER: frozenset({Capability.AGGREGATES_VIEW}),
}

# Capabilities that open a person's record (or a referral about one): members holding any of
# them log in with a second factor.
PERSONAL_DATA_CAPABILITIES = frozenset(
    {
        Capability.CASE_WORK,
        Capability.CASE_VIEW_ALL,
        Capability.CASE_SUPERVISE,
        Capability.PEOPLE_ERASE,
        Capability.REFERRAL_RECEIVE,
        Capability.INQUIRY_HANDLE,
    }
)


class PeopleScope(StrEnum):
    """Which people a role sees: decided here once, applied in ``casework.queries``."""

    NONE = "none"  # no person at all (aggregates at most)
    OWN = "own"  # the people the user registered
    TEAM = "team"  # the people the user's team registered (a supervisor's team)
    ORGANISATION = "organisation"  # every person of the organisation


PEOPLE_SCOPES: dict[str, PeopleScope] = {
    Role.COMMUNITY_VOLUNTEER: PeopleScope.OWN,
    Role.HEALTH_PROMOTER: PeopleScope.ORGANISATION,
    Role.INFO_POINT_STAFF: PeopleScope.ORGANISATION,
    Role.SUPERVISOR: PeopleScope.TEAM,
    Role.PROGRAMME_OFFICER: PeopleScope.ORGANISATION,
}


def people_scope(role: str) -> PeopleScope:
    return PEOPLE_SCOPES.get(role, PeopleScope.NONE)


def role_handles_personal_data(role: str) -> bool:
    return bool(CAPABILITIES.get(role, frozenset()) & PERSONAL_DATA_CAPABILITIES)


def role_can(role: str, capability: Capability) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
