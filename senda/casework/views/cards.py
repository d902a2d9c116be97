"""The cards of the two busiest field-work lists, the referral inbox and the task lists,
written here rather than in a template.

A list page shows 25 cards of some 20 values each. Measured on a 1,000,000-person database
(``bench/casework_bench.py``), Django's template engine spent about 4 ms on them, as long as
the database spent on the whole page: every variable node costs a lookup, escaping and
localisation, and a date filter some 50 microseconds. Here every value is escaped
(``html.escape``, what Django's ``escape`` does), every text is translated once a page, not
once a card, and the markup is exactly what the templates wrote. The pages' other parts
stay in their templates.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape as _e

from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from senda.casework.models import FollowUpStatus
from senda.casework.queries.referrals import ReferralSummary
from senda.casework.queries.tasks import TaskCounts, TaskRow

# The inbox's steps done in one tap (a form); the others open the referral at that step.
QUICK_STEPS = frozenset({"receive", "accept", "attend"})


@dataclass(frozen=True)
class Cards:
    """A list's cards: shown as HTML, counted as cards (``|length``, ``{% if %}``)."""

    html: SafeString
    count: int

    def __html__(self) -> SafeString:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0


NO_CARDS = Cards(html=mark_safe(""), count=0)


class _Escaped:
    """``_e`` of the texts a page repeats on every card (labels, service and place names),
    each escaped once a page."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        escaped = self._texts.get(text)
        if escaped is None:
            escaped = self._texts[text] = _e(text)
        return escaped


class _ShortDates:
    """Days as the date filter wrote them with ``SHORT_DATE_FORMAT`` (the active language),
    each distinct day formatted once a page."""

    def __init__(self) -> None:
        self._texts: dict[datetime.date, str] = {}

    def __call__(self, day: datetime.date) -> str:
        text = self._texts.get(day)
        if text is None:
            text = self._texts[day] = formats.date_format(day, "SHORT_DATE_FORMAT")
        return text


def inbox_cards(
    referrals: Iterable[ReferralSummary], *, inbox_url: str, csrf_token: Callable[[], str]
) -> Cards:
    """The inbox's referral cards: card code, reason, urgency, place, sender, when sent, status
    and the next steps (the quick ones as one-tap forms). A referral's page is the inbox's
    address and its id."""
    referrals = list(referrals)
    if not referrals:
        return NO_CARDS
    escaped = _Escaped()
    sent_label, from_label = _e(_("Sent")), _e(_("from"))
    overdue_tag = f' <span class="tag overdue">{_e(_("Overdue"))}</span>'
    inbox = _e(inbox_url)
    token = ""
    parts = ['<ul class="referral-cards">']
    for referral in referrals:
        # A UUID, an ISO date and a formatted time are digits, letters and separators that
        # escaping leaves as they are.
        url = f"{inbox}{referral.id}/"
        sent = timezone.localtime(referral.sent_at)  # the date filter's time zone
        parts.append(
            f'\n<li class="referral-card urgency-{escaped(referral.urgency)}">\n'
            f'<p><a href="{url}"><strong>{_e(referral.person_code)}</strong></a>'
            f" · {escaped(referral.reason_label)} · "
            f'<span class="urgency">{escaped(referral.urgency_label)}</span></p>\n'
            f"<p>{escaped(referral.service_name)} · {escaped(referral.location_name)}"
            f" · {from_label} {escaped(referral.referring_organisation_name)}</p>\n"
            f'<p>{sent_label} <time datetime="{sent.isoformat()}">'
            f"{sent.strftime('%Y-%m-%d %H:%M')}</time> · "
            f'<span class="referral-status status-{escaped(referral.status)}">'
            f"{escaped(referral.status_label)}</span>"
            f"{overdue_tag if referral.is_overdue else ''}</p>\n"
        )
        if referral.steps:
            parts.append('<div class="quick-steps">')
            for step in referral.steps:
                slug, label = escaped(step.slug), escaped(step.label)
                if step.slug in QUICK_STEPS:
                    token = token or _e(csrf_token())
                    parts.append(
                        f'\n<form method="post" action="{url}{slug}/">'
                        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
                        '<input type="hidden" name="back" value="inbox">'
                        f'<button type="submit">{label}</button></form>\n'
                    )
                else:
                    parts.append(
                        f'<a class="button secondary" href="{url}#step-{slug}">{label}</a>'
                    )
            parts.append("</div>")
        parts.append("\n</li>")
    parts.append("</ul>")
    # Every other value above went through ``_e``.
    return Cards(html=mark_safe("".join(parts)), count=len(referrals))


def task_cards(rows: Iterable[TaskRow], *, task_list_url: str, show_worker: bool = False) -> Cards:
    """Task cards: the title, the person's card code and given name (what the worker needs
    to call them), the phone only when they agreed to be contacted, when it is due or was
    done, and (``show_worker``) whose it is. A task's page is the list's address and its id."""
    rows = list(rows)
    if not rows:
        return NO_CARDS
    short_date, escaped = _ShortDates(), _Escaped()
    tasks_url = _e(task_list_url)
    no_contact = f' · <span class="muted">{_e(_("Does not want to be contacted"))}</span>'
    overdue_tag = f'<span class="tag overdue">{_e(_("Overdue"))}</span> '
    due_label = _e(_("Due"))
    nobody = _("Nobody yet") if show_worker else ""
    parts = ['<ul class="task-cards">']
    for task in rows:
        if task.phone:
            whatsapp = ' <span class="tag">WhatsApp</span>' if task.phone_has_whatsapp else ""
            reach = (
                f' · <a href="tel:{_e(task.phone.replace(" ", ""))}">{_e(task.phone)}</a>{whatsapp}'
            )
        elif not task.consents_to_contact:
            reach = no_contact
        else:
            reach = ""
        if task.status == FollowUpStatus.OPEN:
            day = task.due_on
            due = (
                f"{overdue_tag if task.is_overdue else ''}{due_label}"
                f' <time datetime="{day.isoformat()}">{escaped(short_date(day))}</time>'
            )
        else:
            completed = timezone.localtime(task.completed_at) if task.completed_at else None
            due = (
                f'{escaped(task.status_label)} <time datetime="'
                f'{completed.isoformat() if completed else ""}">'
                f"{escaped(short_date(completed.date())) if completed else ''}</time>"
            )
        worker = f" · {escaped(task.assigned_name or nobody)}" if show_worker else ""
        parts.append(
            f'\n<li class="task-card{" is-overdue" if task.is_overdue else ""}">\n'
            # A UUID and an ISO date are letters, digits and separators: nothing to escape.
            f'<p class="task-title"><a href="{tasks_url}{task.id}/">'
            f"{escaped(task.title)}</a></p>\n"
            f'<p class="task-person"><span class="code">{_e(task.person_code)}</span>'
            f" · {_e(task.given_name)}{reach}</p>\n"
            f'<p class="task-due small">{due}{worker}</p>\n</li>'
        )
    parts.append("</ul>")
    # Every other value above went through ``_e``.
    return Cards(html=mark_safe("".join(parts)), count=len(rows))


# ---------------------------------------------------------------------------------------------
# The filters above the two lists: a loop of a few items each, but a template's loop with a
# test or two per item cost as long as the whole menu.


def inbox_filters(
    views: Iterable[tuple[str, str, int | None]], *, show: str, centre: uuid.UUID | None
) -> SafeString:
    """The inbox's filter links, each with its count when it has one (the ``<li>`` items)."""
    centre_query = f"&amp;centre={_e(str(centre))}" if centre else ""
    parts = []
    for key, label, count in views:
        current = ' aria-current="page"' if key == show else ""
        counted = f' <span class="count">{int(count)}</span>' if count is not None else ""
        parts.append(
            f'\n<li><a href="?show={_e(key)}{centre_query}"{current}>{_e(label)}{counted}</a></li>'
        )
    # Every value above went through ``_e`` (or is a number).
    return mark_safe("".join(parts))


def centre_options(
    centres: Iterable[tuple[uuid.UUID, str]], *, selected: uuid.UUID | None
) -> SafeString:
    """The ``<option>`` of each centre of the inbox's centre filter."""
    options = []
    for pk, name in centres:
        chosen = " selected" if pk == selected else ""
        options.append(f'<option value="{_e(str(pk))}"{chosen}>{_e(name)}</option>')
    # Every value above went through ``_e``.
    return mark_safe("".join(options))


def task_tabs(shows: Sequence[tuple[str, str]], *, show: str, counts: TaskCounts) -> SafeString:
    """The "my tasks" tabs (the ``<li>`` items), with the number of open tasks in each."""
    counted = {"today": counts.today, "overdue": counts.overdue, "upcoming": counts.upcoming}
    parts = []
    for key, label in shows:
        current = ' aria-current="page"' if key == show else ""
        count = counted.get(key)
        number = f' <span class="count">{int(count)}</span>' if count is not None else ""
        parts.append(f'\n<li><a href="?show={_e(key)}"{current}>{_e(str(label))}{number}</a></li>')
    # Every value above went through ``_e`` (or is a number).
    return mark_safe("".join(parts))
