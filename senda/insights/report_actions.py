"""Writes of the donor report: its narrative (programme officers of the lead), and the audit
entry of each download of the report."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.insights.models import DonorReport, Programme
from senda.insights.report_queries import NARRATIVE_FIELDS, may_edit_report

# Enough for several pages of narrative per field; a limit so a paste gone wrong is refused.
NARRATIVE_LIMIT = 20_000


def _audit_organisation(actor: User) -> Organisation | None:
    membership = actor.active_membership()
    return membership.organisation if membership is not None else None


@transaction.atomic
def donor_report_save(
    *,
    actor: User,
    programme: Programme,
    period_start: datetime.date,
    period_end: datetime.date,
    narrative: Mapping[str, str],
) -> DonorReport:
    """Write the narrative of ``programme``'s report for the period (created on first save).
    Programme officers of the lead only; each field at most ``NARRATIVE_LIMIT`` characters.
    Audited with the fields that changed (not their text)."""
    if not may_edit_report(user=actor, programme=programme):
        raise PermissionDeniedError(
            _("Only the programme officers of the lead organisation write the report.")
        )
    errors: dict[str, list[str]] = {}
    if period_start > period_end:
        errors["end"] = [_("The end of the period cannot be before its start.")]
    cleaned: dict[str, str] = {}
    for name in NARRATIVE_FIELDS:
        text = str(narrative.get(name, "") or "").replace("\r\n", "\n").strip()
        if len(text) > NARRATIVE_LIMIT:
            errors[name] = [
                _("Keep this to %(limit)s characters at most (it has %(length)s).")
                % {"limit": f"{NARRATIVE_LIMIT:,}", "length": f"{len(text):,}"}
            ]
        cleaned[name] = text
    if errors:
        raise ValidationError(errors)
    report = (
        DonorReport.objects.select_for_update()
        .filter(programme=programme, period_start=period_start, period_end=period_end)
        .first()
    )
    created = report is None
    if report is None:
        report = DonorReport(programme=programme, period_start=period_start, period_end=period_end)
    changed = [name for name in NARRATIVE_FIELDS if getattr(report, name) != cleaned[name]]
    for name in NARRATIVE_FIELDS:
        setattr(report, name, cleaned[name])
    report.updated_by = actor
    report.save()
    audit(
        actor=actor,
        action="insights.donor_report_save",
        obj=report,
        organisation=_audit_organisation(actor),
        details={
            "programme": programme.pk,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "created": created,
            "changed": changed,
        },
    )
    return report


@transaction.atomic
def donor_report_exported(
    *,
    actor: User,
    programme: Programme,
    period_start: datetime.date,
    period_end: datetime.date,
    file_format: str,
) -> None:
    """Record that ``actor`` downloaded the report (every export is audited)."""
    audit(
        actor=actor,
        action="insights.donor_report_export",
        obj=programme,
        organisation=_audit_organisation(actor),
        details={
            "period": [period_start.isoformat(), period_end.isoformat()],
            "format": file_format,
        },
    )
