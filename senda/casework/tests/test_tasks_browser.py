"""Tasks and orientations in a real headless Chromium at phone size: a promoter opens the
field-work home, records an orientation, creates a task, and completes it with a note."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.casework.models import FollowUp, FollowUpStatus, Orientation
from senda.casework.tests.factories import FollowUpFactory, PersonFactory

pytestmark = pytest.mark.browser


def _signed_in(page: Any, base: str, user: User) -> None:
    """Sign the browser in with the second factor proven, as the real steps leave it."""
    client = login_verified(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base}]
    )


def test_a_promoter_orients_creates_and_completes_a_task_on_a_phone(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    organisation = OrganisationFactory.create(name="Salud Panamá", slug="salud-pa")
    promoter = member(organisation, Role.HEALTH_PROMOTER, username="promotora")
    person = PersonFactory.create(
        organisation=organisation, registered_by=promoter, given_name="Yoselin"
    )
    overdue = FollowUpFactory.create(
        person=person, due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    base = live_server.url
    _signed_in(page, base, promoter)

    # The home lists the overdue task with the person's code and name, and fits the screen.
    page.goto(f"{base}/en/staff/field/")
    overdue_section = page.inner_text("section[aria-labelledby=overdue-title]")
    assert person.code in overdue_section and "Yoselin" in overdue_section
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # An orientation by WhatsApp about vaccination.
    page.goto(f"{base}/en/staff/field/orientations/new/{person.pk}/")
    page.click("main button[type=submit]")  # nothing chosen: the form says so
    assert "This field is required." in page.inner_text("main")
    page.check("label:has-text('Vaccination') input")
    page.select_option("#id_channel", "whatsapp")
    page.select_option("#id_place_type", "metro")
    page.select_option("#id_outcome", "follow_up")
    page.click("main button[type=submit]")
    # Back to the person's page (or the home while there is none).
    page.wait_for_url(lambda url: "/orientations/new/" not in url)
    orientation = Orientation.objects.get()
    assert orientation.channel == "whatsapp"
    assert [topic.slug for topic in orientation.topics.all()] == ["vaccination"]

    # A task for tomorrow, then the overdue one is done with a note.
    page.goto(f"{base}/en/staff/field/tasks/new/{person.pk}/")
    page.fill("#id_title", "Ask about the second dose")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page.fill("#id_due_on", tomorrow.isoformat())
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('Ask about the second dose')")
    assert FollowUp.objects.filter(title="Ask about the second dose", due_on=tomorrow).exists()

    page.goto(f"{base}/en/staff/field/tasks/{overdue.pk}/")
    page.fill("#id_note", "She went on Monday.")
    page.click("section.task-action button[type=submit]")
    page.wait_for_url(f"{base}/en/staff/field/tasks/")
    done = FollowUp.objects.get(pk=overdue.pk)
    assert (done.status, done.note) == (FollowUpStatus.DONE, "She went on Monday.")
    page.goto(f"{base}/en/staff/field/tasks/?show=done")
    assert person.code in page.inner_text("main")
