"""Reading follow-up tasks: "my tasks", a supervisor's team tasks, one task, the counts.

The lists stay a couple of indexed queries (the ``followup_mine`` index) and load
only what a task shows of the person: the card code, the given name and the phone, decrypting
no more rows than the page shows.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability
from senda.casework.access import (
    NOTHING,
    active_memberships,
    follow_ups_visible_to,
    organisations_where,
    team_member_ids,
)
from senda.casework.models import FollowUp, FollowUpRule, FollowUpStatus, Topic
from senda.core.audit import audit_read
from senda.core.errors import PermissionDeniedError
from senda.core.queries import get_or_not_found

TODAY = "today"
OVERDUE = "overdue"
UPCOMING = "upcoming"
DONE = "done"
OPEN = "open"
SHOWS: dict[str, Any] = {
    TODAY: _("Today"),
    OVERDUE: pgettext_lazy("task filter", "Overdue"),
    UPCOMING: _("Upcoming"),
    DONE: _("Done"),
}
TEAM_SHOWS: dict[str, Any] = {OPEN: _("All open"), **SHOWS}

# What a task row needs; the person's other encrypted fields are never read for a list.
TASK_ROW_FIELDS = (
    "id",
    "organisation_id",
    "person_id",
    "referral_id",
    "assigned_to_id",
    "rule_id",
    "title",
    "due_on",
    "status",
    "completed_at",
    "created_at",
    "person__id",
    "person__code",
    "person__given_name",
    "person__phone",
    "person__phone_has_whatsapp",
    "person__consents_to_contact",
    "rule__id",
    "rule__title",
    "rule__language",
    "rule__translations",
    "assigned_to__id",
    "assigned_to__username",
    "assigned_to__first_name",
    "assigned_to__last_name",
)

CASE_WORK_ROLES = frozenset(
    role for role, capabilities in CAPABILITIES.items() if Capability.CASE_WORK in capabilities
)


def case_workers(*, organisation: Organisation) -> list[User]:
    """The active members of ``organisation`` whose role does case work (task assignees)."""
    memberships = (
        Membership.objects.filter(
            organisation=organisation,
            is_active=True,
            role__in=CASE_WORK_ROLES,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    return [membership.user for membership in memberships]


def is_case_worker(user: User | None, organisation: Organisation) -> bool:
    """Whether ``user`` does case work in ``organisation`` (an active member, such a role)."""
    if user is None or not user.is_active:
        return False
    return Membership.objects.filter(
        user=user, organisation=organisation, is_active=True, role__in=CASE_WORK_ROLES
    ).exists()


def reassignable_workers(*, actor: User, organisation: Organisation) -> list[User]:
    """Whom a supervisor may give a task to in ``organisation``: their team's case workers
    (themselves included). Empty for anyone who does not supervise there."""
    if organisation not in organisations_where(actor, Capability.CASE_SUPERVISE):
        return []
    team = team_member_ids(actor, organisation)
    return [user for user in case_workers(organisation=organisation) if user.pk in team]


def _rows(tasks: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    return (
        tasks.filter(person__erased_at__isnull=True, person__merged_into__isnull=True)
        .select_related("person", "rule", "assigned_to")
        .only(*TASK_ROW_FIELDS)
    )


def _by_show(tasks: QuerySet[FollowUp], show: str, today: datetime.date) -> QuerySet[FollowUp]:
    if show == DONE:
        return tasks.filter(status=FollowUpStatus.DONE).order_by("-due_on", "-completed_at")
    tasks = tasks.filter(status=FollowUpStatus.OPEN)
    if show == TODAY:
        return tasks.filter(due_on=today).order_by("created_at")
    if show == OVERDUE:
        return tasks.filter(due_on__lt=today).order_by("due_on", "created_at")
    if show == UPCOMING:
        return tasks.filter(due_on__gt=today).order_by("due_on", "created_at")
    return tasks.order_by("due_on", "created_at")


def may_work_on_tasks(*, user: User) -> bool:
    return bool(organisations_where(user, Capability.CASE_WORK))


def _mine(user: User) -> QuerySet[FollowUp]:
    workable = organisations_where(user, Capability.CASE_WORK)
    if not workable:
        raise PermissionDeniedError(_("Your role does not include follow-up tasks."))
    return FollowUp.objects.filter(assigned_to=user, organisation__in=workable)


def my_tasks(
    *, user: User, show: str = TODAY, today: datetime.date | None = None
) -> QuerySet[FollowUp]:
    """The user's own tasks: due today, overdue, upcoming or done. Refused to roles without
    case work."""
    return _rows(_by_show(_mine(user), show, today or timezone.localdate()))


@dataclass(frozen=True)
class TaskCounts:
    today: int
    overdue: int
    upcoming: int


def my_task_counts(*, user: User, today: datetime.date | None = None) -> TaskCounts:
    """How many open tasks the user has due today, overdue and upcoming (one query)."""
    today = today or timezone.localdate()
    counts = (
        _mine(user)
        .filter(
            status=FollowUpStatus.OPEN,
            person__erased_at__isnull=True,
            person__merged_into__isnull=True,
        )
        # Counted on the person (never null, so the same count as the rows): a column of the
        # followup_mine index, which then answers alone (the primary key is not in it).
        .aggregate(
            today=Count("person", filter=Q(due_on=today)),
            overdue=Count("person", filter=Q(due_on__lt=today)),
            upcoming=Count("person", filter=Q(due_on__gt=today)),
        )
    )
    return TaskCounts(**counts)


def supervised_organisations(*, user: User) -> list[Organisation]:
    return organisations_where(user, Capability.CASE_SUPERVISE)


def team_workers(*, user: User) -> list[User]:
    """The case workers whose tasks a supervisor sees (their teams, themselves included)."""
    workers: dict[int, User] = {}
    for organisation in supervised_organisations(user=user):
        for worker in reassignable_workers(actor=user, organisation=organisation):
            workers[worker.pk] = worker
    return list(workers.values())


def team_tasks(
    *,
    user: User,
    show: str = OPEN,
    worker_id: int | None = None,
    today: datetime.date | None = None,
) -> QuerySet[FollowUp]:
    """A supervisor's team's tasks (the team's members and their own), by state and worker."""
    organisations = supervised_organisations(user=user)
    if not organisations:
        raise PermissionDeniedError(_("Only a supervisor sees the team's tasks."))
    condition = NOTHING
    for organisation in organisations:
        condition |= Q(
            organisation=organisation, assigned_to__in=team_member_ids(user, organisation)
        )
    tasks = FollowUp.objects.filter(condition)
    if worker_id is not None:
        tasks = tasks.filter(assigned_to_id=worker_id)
    return _rows(_by_show(tasks, show, today or timezone.localdate()))


def team_task_counts(*, user: User, today: datetime.date | None = None) -> TaskCounts:
    """Open tasks of the supervisor's team, due today, overdue and upcoming."""
    today = today or timezone.localdate()
    counts = (
        team_tasks(user=user, show=OPEN, today=today)
        .order_by()
        .aggregate(
            today=Count("pk", filter=Q(due_on=today)),
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            upcoming=Count("pk", filter=Q(due_on__gt=today)),
        )
    )
    return TaskCounts(**counts)


def followup_get(*, user: User, follow_up_id: object, record_read: bool = True) -> FollowUp:
    """One task the user sees, with what it shows of the person. Showing it is a read of the
    person's record: audited unless ``record_read`` is off (a write that audits itself)."""
    task = get_or_not_found(
        follow_ups_visible_to(user=user).select_related(
            "organisation", "person", "rule", "assigned_to", "created_by", "completed_by"
        ),
        follow_up_id,
    )
    if record_read:
        followup_record_read(user=user, task=task)
    return task


def followup_record_read(*, user: User, task: FollowUp) -> None:
    """Audit that ``user`` was shown the person's part of ``task`` (code, name, phone)."""
    audit_read(
        actor=user,
        obj=task.person,
        organisation=task.organisation,
        details={"via": "follow_up", "follow_up": str(task.pk)},
    )


def follow_ups_for_person(*, user: User, person_id: uuid.UUID | str) -> QuerySet[FollowUp]:
    """The tasks about one person that the user sees (for the person page)."""
    return (
        follow_ups_visible_to(user=user)
        .filter(person_id=person_id)
        .select_related("rule", "assigned_to")
        .order_by("status", "due_on")
    )


def may_work_on(*, user: User, task: FollowUp) -> bool:
    """Whether the user may complete or cancel ``task`` (it is visible to them already)."""
    return task.status == FollowUpStatus.OPEN and any(
        organisation.pk == task.organisation_id
        for organisation in organisations_where(user, Capability.CASE_WORK)
    )


def may_reassign(*, user: User, task: FollowUp) -> bool:
    """Whether a supervisor may give ``task`` to someone else of their team."""
    if task.status != FollowUpStatus.OPEN:
        return False
    for organisation in supervised_organisations(user=user):
        if organisation.pk == task.organisation_id:
            team = team_member_ids(user, organisation)
            return task.assigned_to_id is None or task.assigned_to_id in team
    return False


def may_see_lists(*, user: User) -> bool:
    """Programme officers, supervisors and training managers read the configurable lists."""
    wanted = {Capability.CASE_VIEW_ALL, Capability.CASE_SUPERVISE, Capability.TRAINING_MANAGE}
    return any(organisations_where(user, capability) for capability in wanted)


def configurable_lists(*, user: User) -> tuple[list[Topic], list[FollowUpRule]]:
    """The topic lists and the follow-up rules that apply to the user's organisations
    (programme-wide and their own), read-only: superusers change them in the admin."""
    if not may_see_lists(user=user):
        raise PermissionDeniedError(_("Your role does not include the field-work lists."))
    organisation_ids = [membership.organisation_id for membership in active_memberships(user)]
    topics = list(Topic.objects.all())
    rules = list(
        FollowUpRule.objects.filter(
            Q(organisation__isnull=True) | Q(organisation_id__in=organisation_ids)
        ).select_related("organisation")
    )
    return topics, rules
