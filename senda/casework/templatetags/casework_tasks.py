"""Template helpers of the tasks part: links that tolerate a page not built yet, a task's
title in the reader's language, and the orientations shown on the person page."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from senda.accounts.models import User
from senda.casework.models import FollowUp
from senda.casework.queries.orientations import may_record_with, orientations_for_person

register = template.Library()


@register.simple_tag
def optional_url(name: str, *args: Any) -> str:
    """``{% optional_url "casework:person_search" as url %}``: the address of a page, or ""
    when that page does not exist (yet): the link is left out and the page never breaks."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""


@register.filter
def task_title(task: FollowUp) -> str:
    """A task made by a rule reads in the reader's language; one written by hand as written."""
    rule = task.rule if task.rule_id is not None else None
    return str(rule.tr("title")) if rule is not None else task.title


@register.simple_tag(takes_context=True)
def person_orientations(context: template.Context, person: Any) -> dict[str, Any]:
    """The orientations of ``person`` that the signed-in user sees, and whether they may
    record one (for ``casework/orientations/_for_person.html``)."""
    user = context.get("user")
    if not isinstance(user, User) or person is None:
        return {"orientations": [], "may_record": False}
    return {
        "orientations": list(orientations_for_person(user=user, person_id=person.pk)),
        "may_record": may_record_with(user=user, person=person),
    }
