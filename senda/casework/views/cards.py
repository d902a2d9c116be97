"""The cards of the two busiest field-work lists, the referral inbox and the task lists,
written here rather than in a template.

A list page shows 25 cards of some 20 values each. Measured on a 1,000,000-person database
(``bench/casework_bench.py``), Django's template engine spent about 4 ms on them, as long as
the database spent on the whole page: every variable node costs a lookup, escaping and
localisation, and a date filter some 50 microseconds. Here every value is escaped
(``format_html``), every text is translated once a page, not once a card, and the markup is
exactly what the templates wrote. The pages' other parts stay in their templates.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.html import format_html
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
    sent_label, from_label, overdue_label = _("Sent"), _("from"), _("Overdue")
    token = ""
    parts = ['<ul class="referral-cards">']
    for referral in referrals:
        url = f"{inbox_url}{referral.id}/"
        sent = timezone.localtime(referral.sent_at)  # the date filter's time zone
        parts.append(
            format_html(
                '\n<li class="referral-card urgency-{}">\n'
                '<p><a href="{}"><strong>{}</strong></a> · {} · '
                '<span class="urgency">{}</span></p>\n'
                "<p>{} · {} · {} {}</p>\n"
                '<p>{} <time datetime="{}">{}</time> · '
                '<span class="referral-status status-{}">{}</span>{}</p>\n',
                referral.urgency,
                url,
                referral.person_code,
                referral.reason_label,
                referral.urgency_label,
                referral.service_name,
                referral.location_name,
                from_label,
                referral.referring_organisation_name,
                sent_label,
                sent.isoformat(),
                sent.strftime("%Y-%m-%d %H:%M"),
                referral.status,
                referral.status_label,
                format_html(' <span class="tag overdue">{}</span>', overdue_label)
                if referral.is_overdue
                else "",
            )
        )
        if referral.steps:
            parts.append('<div class="quick-steps">')
            for step in referral.steps:
                if step.slug in QUICK_STEPS:
                    token = token or csrf_token()
                    parts.append(
                        format_html(
                            '\n<form method="post" action="{}{}/">'
                            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                            '<input type="hidden" name="back" value="inbox">'
                            '<button type="submit">{}</button></form>\n',
                            url,
                            step.slug,
                            token,
                            step.label,
                        )
                    )
                else:
                    parts.append(
                        format_html(
                            '<a class="button secondary" href="{}#step-{}">{}</a>',
                            url,
                            step.slug,
                            step.label,
                        )
                    )
            parts.append("</div>")
        parts.append("\n</li>")
    parts.append("</ul>")
    return Cards(html=mark_safe("".join(parts)), count=len(referrals))


def task_cards(rows: Iterable[TaskRow], *, task_list_url: str, show_worker: bool = False) -> Cards:
    """Task cards: the title, the person's card code and given name (what the worker needs
    to call them), the phone only when they agreed to be contacted, when it is due or was
    done, and (``show_worker``) whose it is. A task's page is the list's address and its id."""
    rows = list(rows)
    if not rows:
        return NO_CARDS
    short_date = _ShortDates()
    no_contact, overdue_label, due_label = (
        _("Does not want to be contacted"),
        _("Overdue"),
        _("Due"),
    )
    nobody = _("Nobody yet") if show_worker else ""
    parts = ['<ul class="task-cards">']
    for task in rows:
        reach: str
        if task.phone:
            whatsapp = (
                mark_safe(' <span class="tag">WhatsApp</span>') if task.phone_has_whatsapp else ""
            )
            reach = format_html(
                ' · <a href="tel:{}">{}</a>{}', task.phone.replace(" ", ""), task.phone, whatsapp
            )
        elif not task.consents_to_contact:
            reach = format_html(' · <span class="muted">{}</span>', no_contact)
        else:
            reach = ""
        if task.status == FollowUpStatus.OPEN:
            due = format_html(
                '{}{} <time datetime="{}">{}</time>',
                format_html('<span class="tag overdue">{}</span> ', overdue_label)
                if task.is_overdue
                else "",
                due_label,
                task.due_on.isoformat(),
                short_date(task.due_on),
            )
        else:
            completed = timezone.localtime(task.completed_at) if task.completed_at else None
            due = format_html(
                '{} <time datetime="{}">{}</time>',
                task.status_label,
                completed.isoformat() if completed else "",
                short_date(completed.date()) if completed else "",
            )
        parts.append(
            format_html(
                '\n<li class="task-card{}">\n'
                '<p class="task-title"><a href="{}{}/">{}</a></p>\n'
                '<p class="task-person"><span class="code">{}</span> · {}{}</p>\n'
                '<p class="task-due small">{}{}</p>\n</li>',
                " is-overdue" if task.is_overdue else "",
                task_list_url,
                task.id,
                task.title,
                task.person_code,
                task.given_name,
                reach,
                due,
                format_html(" · {}", task.assigned_name or nobody) if show_worker else "",
            )
        )
    parts.append("</ul>")
    return Cards(html=mark_safe("".join(parts)), count=len(rows))
