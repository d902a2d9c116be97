"""Reads of surveys: who sees a survey is who sees its programme (aggregates only); who
manages it is a programme officer of the programme's lead organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from senda.accounts.roles import Capability, role_can
from senda.core.errors import NotFoundError
from senda.core.queries import get_or_not_found
from senda.insights.models import Programme
from senda.insights.queries import programmes_visible_to
from senda.surveys.models import Submission, Survey, SurveyQuestion

if TYPE_CHECKING:
    from uuid import UUID

    from senda.accounts.models import User


def _membership_with(user: User, capability: Capability) -> UUID | None:
    """The organisation the user works under, when their role there holds ``capability``."""
    if not user.is_authenticated or not user.is_active:
        return None
    membership = user.active_membership()
    if membership is None or not role_can(membership.role, capability):
        return None
    return membership.organisation_id


def programmes_managed_by(*, user: User) -> QuerySet[Programme]:
    """The programmes ``user`` may add surveys to: those led by their organisation, when
    their role manages surveys."""
    organisation_id = _membership_with(user, Capability.SURVEYS_MANAGE)
    if organisation_id is None:
        return Programme.objects.none()
    return Programme.objects.filter(lead_id=organisation_id).order_by("name")


def may_manage_surveys(user: User) -> bool:
    """Whether ``user`` may create surveys at all (the list page's "new survey")."""
    return _membership_with(user, Capability.SURVEYS_MANAGE) is not None


def may_manage_survey(*, user: User, survey: Survey) -> bool:
    """Whether ``user`` may import into, configure or replace ``survey``."""
    organisation_id = _membership_with(user, Capability.SURVEYS_MANAGE)
    return organisation_id is not None and survey.programme.lead_id == organisation_id


def _visible(*, user: User) -> QuerySet[Survey]:
    # One rule for who sees a programme, the one of senda.insights.
    visible = programmes_visible_to(user=user).values("pk")
    return Survey.objects.filter(programme__in=visible)


def surveys_visible_to(*, user: User) -> QuerySet[Survey]:
    """The surveys of the programmes ``user`` sees, with their programme and submission count
    (``submission_count``), newest first within each programme."""
    return (
        _visible(user=user)
        .select_related("programme", "programme__lead", "baseline")
        .annotate(submission_count=Count("submissions"))
        .order_by("programme__name", "-created_at")
    )


def survey_get(*, user: User, survey_id: UUID | str) -> Survey:
    """One survey ``user`` sees; ``NotFoundError`` for anything else. (No count of
    submissions: counting every survey's interviews costs more than reading one.)"""
    return get_or_not_found(
        _visible(user=user).select_related("programme", "programme__lead", "baseline"),
        survey_id,
    )


def survey_questions(*, user: User, survey: Survey) -> QuerySet[SurveyQuestion]:
    """The questions of ``survey`` (which ``user`` must see), in form order."""
    if not _visible(user=user).filter(pk=survey.pk).exists():
        raise NotFoundError("survey")
    return SurveyQuestion.objects.filter(survey=survey).order_by("position")


def survey_submissions(*, user: User, survey: Survey) -> QuerySet[Submission]:
    """The submissions of ``survey`` (which ``user`` must see)."""
    if not _visible(user=user).filter(pk=survey.pk).exists():
        raise NotFoundError("survey")
    return Submission.objects.filter(survey=survey)


def baseline_choices(*, user: User, programme: Programme) -> QuerySet[Survey]:
    """The surveys of ``programme`` a follow-up may be compared with."""
    return surveys_visible_to(user=user).filter(programme=programme, round="baseline")
