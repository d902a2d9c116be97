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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape as _e

from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from senda.casework.models import FollowUpStatus
from senda.casework.queries.referrals import ReferralSummary
from senda.casework.queries.tasks import TaskRow

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
    sent_label, from_label = _e(_("Sent")), _e(_("from"))
    overdue_tag = f' <span class="tag overdue">{_e(_("Overdue"))}</span>'
    token = ""
    parts = ['<ul class="referral-cards">']
    for referral in referrals:
        url = _e(f"{inbox_url}{referral.id}/")
        sent = timezone.localtime(referral.sent_at)  # the date filter's time zone
        parts.append(
            f'\n<li class="referral-card urgency-{_e(referral.urgency)}">\n'
            f'<p><a href="{url}"><strong>{_e(referral.person_code)}</strong></a>'
            f" · {_e(referral.reason_label)} · "
            f'<span class="urgency">{_e(referral.urgency_label)}</span></p>\n'
            f"<p>{_e(referral.service_name)} · {_e(referral.location_name)} · {from_label}"
            f" {_e(referral.referring_organisation_name)}</p>\n"
            f'<p>{sent_label} <time datetime="{_e(sent.isoformat())}">'
            f"{_e(sent.strftime('%Y-%m-%d %H:%M'))}</time> · "
            f'<span class="referral-status status-{_e(referral.status)}">'
            f"{_e(referral.status_label)}</span>{overdue_tag if referral.is_overdue else ''}</p>\n"
        )
        if referral.steps:
            parts.append('<div class="quick-steps">')
            for step in referral.steps:
                slug, label = _e(step.slug), _e(step.label)
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
    # Every value above went through ``_e``.
    return Cards(html=mark_safe("".join(parts)), count=len(referrals))


def task_cards(rows: Iterable[TaskRow], *, task_list_url: str, show_worker: bool = False) -> Cards:
    """Task cards: the title, the person's card code and given name (what the worker needs
    to call them), the phone only when they agreed to be contacted, when it is due or was
    done, and (``show_worker``) whose it is. A task's page is the list's address and its id."""
    rows = list(rows)
    if not rows:
        return NO_CARDS
    short_date = _ShortDates()
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
                f' <time datetime="{_e(day.isoformat())}">{_e(short_date(day))}</time>'
            )
        else:
            completed = timezone.localtime(task.completed_at) if task.completed_at else None
            due = (
                f'{_e(task.status_label)} <time datetime="'
                f'{_e(completed.isoformat()) if completed else ""}">'
                f"{_e(short_date(completed.date())) if completed else ''}</time>"
            )
        worker = f" · {_e(task.assigned_name or nobody)}" if show_worker else ""
        parts.append(
            f'\n<li class="task-card{" is-overdue" if task.is_overdue else ""}">\n'
            f'<p class="task-title"><a href="{_e(task_list_url)}{_e(str(task.id))}/">'
            f"{_e(task.title)}</a></p>\n"
            f'<p class="task-person"><span class="code">{_e(task.person_code)}</span>'
            f" · {_e(task.given_name)}{reach}</p>\n"
            f'<p class="task-due small">{due}{worker}</p>\n</li>'
        )
    parts.append("</ul>")
    # Every value above went through ``_e``.
    return Cards(html=mark_safe("".join(parts)), count=len(rows))
