"""Reading follow-up tasks: "my tasks", a supervisor's team tasks, one task, the counts.

The lists stay a couple of indexed queries (the ``followup_mine`` index) and load
only what a task shows of the person: the card code, the given name and the phone, decrypting
no more rows than the page shows.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.db.models import Count, Model, Q, QuerySet
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
from senda.casework.models import FollowUp, FollowUpRule, FollowUpStatus, Person, Topic
from senda.casework.queries import plain
from senda.core.audit import audit_read
from senda.core.crypto import decrypt_many
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
    where, parameters, _order = _mine_where(user, None, today)
    # Counted on the person (never null, so the same count as the rows): a column of the
    # followup_mine index, which then answers alone (the primary key is not in it).
    person, due_on = plain.column(FollowUp, "person", "f"), plain.column(FollowUp, "due_on", "f")
    day = plain.param(FollowUp, "due_on", today)
    counted = [plain.counted(person, f"{due_on} {comparison} %s") for comparison in ("=", "<", ">")]
    (row,) = plain.fetch(
        f"SELECT {', '.join(counted)}{_mine_from()} WHERE {where}",
        [day, day, day, *parameters],
        [None, None, None],
    )
    today_count, overdue, upcoming = (int(value or 0) for value in row)
    return TaskCounts(today=today_count, overdue=overdue, upcoming=upcoming)


# ---------------------------------------------------------------------------------------------
# Lean rows for the task pages (my tasks, the home page, team tasks)


@dataclass(frozen=True, slots=True)
class TaskRow:
    """What a task card shows: the title in the reader's language, the person's card code and
    given name, and their phone only when they agreed to be contacted."""

    id: uuid.UUID
    title: str
    status: str
    status_label: str
    due_on: datetime.date
    completed_at: datetime.datetime | None
    is_overdue: bool
    person_code: str
    given_name: str
    phone: str  # "" unless the person agreed to be contacted
    phone_has_whatsapp: bool
    consents_to_contact: bool
    assigned_name: str  # "" when nobody is assigned


class TaskRows(Sequence[TaskRow]):
    """A list of task rows read a page at a time (for ``Paginator``): its length is counted
    only when asked, or given (a count the page read already); a slice is one query."""

    def __init__(
        self,
        count: Callable[[], int],
        read: Callable[[int, int], list[TaskRow]],
        total: int | None = None,
    ) -> None:
        self._count, self._read, self._total = count, read, total

    def __len__(self) -> int:
        if self._total is None:
            self._total = self._count()
        return self._total

    @overload
    def __getitem__(self, index: int) -> TaskRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[TaskRow]: ...

    def __getitem__(self, index: int | slice) -> TaskRow | list[TaskRow]:
        if isinstance(index, int):
            return self._read(index, index + 1)[0]
        start, stop = index.start or 0, index.stop
        assert index.step is None and start >= 0 and stop is not None and stop >= start
        return self._read(start, stop) if stop > start else []


def _task_row(
    values: Sequence[Any],
    *,
    today: datetime.date,
    language: str,
    statuses: dict[str, str],
) -> TaskRow:
    """A row from its values in ``_ROW_COLUMNS`` order and the assignee's names, the person's
    name and phone in clear (the phone only of someone who agreed to be contacted)."""
    (
        task_id, title, due_on, status, completed_at,
        rule_id, rule_title, rule_language, rule_translations,
        code, given_name, phone, phone_has_whatsapp, consents_to_contact,
        first_name, last_name, username,
    ) = values  # fmt: skip
    if rule_id is not None:
        # What ``task_title`` shows: a rule's task in the reader's language.
        title = plain.translated(rule_title, "title", rule_language, rule_translations, language)
    return TaskRow(
        id=task_id,
        title=title,
        status=status,
        status_label=statuses[status],
        due_on=due_on,
        completed_at=completed_at,
        is_overdue=status == FollowUpStatus.OPEN and due_on < today,
        person_code=code,
        given_name=given_name or "",
        phone=(phone or "") if consents_to_contact else "",
        phone_has_whatsapp=bool(phone_has_whatsapp),
        consents_to_contact=bool(consents_to_contact),
        assigned_name=f"{first_name or ''} {last_name or ''}".strip() or (username or ""),
    )


# The columns of a row, in ``_task_row``'s order: (model, field, table alias); the person's
# encrypted fields are decrypted by ``my_task_rows`` (the phone only when it is shown).
_ROW_COLUMNS: tuple[tuple[type[Model], str, str, bool], ...] = (
    (FollowUp, "id", "f", True),
    (FollowUp, "title", "f", False),
    (FollowUp, "due_on", "f", True),
    (FollowUp, "status", "f", False),
    (FollowUp, "completed_at", "f", True),
    (FollowUp, "rule", "f", False),
    (FollowUpRule, "title", "r", False),
    (FollowUpRule, "language", "r", False),
    (FollowUpRule, "translations", "r", True),
    (Person, "code", "p", False),
    (Person, "given_name", "p", False),
    (Person, "phone", "p", False),
    (Person, "phone_has_whatsapp", "p", True),
    (Person, "consents_to_contact", "p", True),
)
_NO_ASSIGNEE = (None, None, None)
# Where the person's sealed fields and their consent to be contacted are in a row.
_GIVEN_NAME, _PHONE, _CONSENTS_TO_CONTACT = 10, 11, 13


def _mine_where(user: User, show: str | None, today: datetime.date) -> tuple[str, list[Any], str]:
    """The WHERE of "my tasks" (as ``_mine`` and ``_by_show``; ``show`` None: every open task)
    and its ORDER BY, for tables ``casework_followup f`` and ``casework_person p``."""
    workable = organisations_where(user, Capability.CASE_WORK)
    if not workable:
        raise PermissionDeniedError(_("Your role does not include follow-up tasks."))
    status, due_on = plain.column(FollowUp, "status", "f"), plain.column(FollowUp, "due_on", "f")
    conditions = [
        f"{plain.column(FollowUp, 'assigned_to', 'f')} = %s",
        f"{plain.column(FollowUp, 'organisation', 'f')} IN ({plain.placeholders(len(workable))})",
    ]
    parameters: list[Any] = [
        plain.param(FollowUp, "assigned_to", user.pk),
        *plain.params(FollowUp, "organisation", [organisation.pk for organisation in workable]),
    ]
    order = f"{due_on} ASC, {plain.column(FollowUp, 'created_at', 'f')} ASC"
    if show == DONE:
        conditions.append(f"{status} = %s")
        parameters.append(FollowUpStatus.DONE)
        order = f"{due_on} DESC, {plain.column(FollowUp, 'completed_at', 'f')} DESC"
    else:
        conditions.append(f"{status} = %s")
        parameters.append(FollowUpStatus.OPEN)
        comparison = {TODAY: "=", OVERDUE: "<", UPCOMING: ">"}.get(show or "")
        if comparison:
            conditions.append(f"{due_on} {comparison} %s")
            parameters.append(plain.param(FollowUp, "due_on", today))
        if show == TODAY:
            order = f"{plain.column(FollowUp, 'created_at', 'f')} ASC"
    conditions.append(f"{plain.column(Person, 'erased_at', 'p')} IS NULL")
    conditions.append(f"{plain.column(Person, 'merged_into', 'p')} IS NULL")
    return " AND ".join(conditions), parameters, order


def _mine_from() -> str:
    return (
        f" FROM {plain.table(FollowUp)} f INNER JOIN {plain.table(Person)} p"
        f" ON {plain.column(FollowUp, 'person', 'f')} = {plain.column(Person, 'id', 'p')}"
    )


def my_task_rows(
    *,
    user: User,
    show: str = TODAY,
    today: datetime.date | None = None,
    counts: TaskCounts | None = None,
) -> TaskRows:
    """The user's own tasks as in ``my_tasks``, as lean rows read a page at a time (the pages
    of field work). ``counts``: the user's ``my_task_counts`` for the same day, if read already
    (an open list's length is then one of them). Refused to roles without case work."""
    today = today or timezone.localdate()
    where, parameters, order = _mine_where(user, show, today)
    known = {TODAY: "today", OVERDUE: "overdue", UPCOMING: "upcoming"}.get(show)
    total = getattr(counts, known) if counts is not None and known else None

    def count() -> int:
        (row,) = plain.fetch(f"SELECT COUNT(*){_mine_from()} WHERE {where}", parameters, [None])
        return int(row[0])

    def read(start: int, stop: int) -> list[TaskRow]:
        rule = plain.table(FollowUpRule)
        select = ", ".join(
            plain.column(model, name, alias) for model, name, alias, _convert in _ROW_COLUMNS
        )
        rows = plain.fetch(
            f"SELECT {select}{_mine_from()}"
            f" LEFT OUTER JOIN {rule} r"
            f" ON {plain.column(FollowUp, 'rule', 'f')} = {plain.column(FollowUpRule, 'id', 'r')}"
            f" WHERE {where} ORDER BY {order} LIMIT {int(stop - start)} OFFSET {int(start)}",
            parameters,
            [(model, name) if convert else None for model, name, _alias, convert in _ROW_COLUMNS],
        )
        # The page's names and phones decrypted in one pass; a phone only when it is shown
        # (the phone of someone who declined contact stays sealed).
        sealed: list[str | None] = []
        for row in rows:
            sealed.append(row[_GIVEN_NAME])
            sealed.append(row[_PHONE] if row[_CONSENTS_TO_CONTACT] else None)
        clear = iter(decrypt_many(sealed))
        for row in rows:
            row[_GIVEN_NAME], row[_PHONE] = next(clear), next(clear)
        language, statuses = plain.page_language(), plain.labels(FollowUpStatus)
        return [
            _task_row((*row, *_NO_ASSIGNEE), today=today, language=language, statuses=statuses)
            for row in rows
        ]

    return TaskRows(count, read, total)


def task_rows_of(tasks: QuerySet[FollowUp], *, today: datetime.date) -> TaskRows:
    """Lean rows of a list of tasks already filtered and ordered by a query here (a
    supervisor's team tasks), with the worker's name."""
    fields = (
        "id", "title", "due_on", "status", "completed_at",
        "rule_id", "rule__title", "rule__language", "rule__translations",
        "person__code", "person__given_name", "person__phone", "person__phone_has_whatsapp",
        "person__consents_to_contact",
        "assigned_to__first_name", "assigned_to__last_name", "assigned_to__username",
    )  # fmt: skip

    def read(start: int, stop: int) -> list[TaskRow]:
        language, statuses = plain.page_language(), plain.labels(FollowUpStatus)
        return [
            _task_row(values, today=today, language=language, statuses=statuses)
            for values in tasks.values_list(*fields)[start:stop]
        ]

    return TaskRows(tasks.count, read)


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
