"""The header's link to the same page in the other language: what Django's ``translate_url``
gives for the page, read from the page's own URL match."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client, RequestFactory
from django.urls import resolve, translate_url
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.tests.factories import FollowUpFactory
from senda.core.templatetags.senda import other_language_url

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<nav aria-label="[^"]*" class="lang">\s*<a href="([^"]*)" hreflang="(\w+)"')


def language_link(client: Client, path: str) -> tuple[str, str]:
    found = LINK.search(client.get(path).content.decode())
    assert found is not None
    return html.unescape(found.group(1)), found.group(2)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/staff/field/tasks/?show=overdue&page=2",
            ("/en/staff/field/tasks/?show=overdue&page=2", "en"),
        ),
        ("/en/staff/field/tasks/", ("/staff/field/tasks/", "es")),
        (
            "/en/staff/field/referrals/inbox/?show=new",
            ("/staff/field/referrals/inbox/?show=new", "es"),
        ),
    ],
)
def test_a_staff_page_links_to_itself_in_the_other_language(
    path: str, expected: tuple[str, str], users_a: dict[str, User]
) -> None:
    client = login_verified(Client(), users_a[Role.INFO_POINT_STAFF])

    assert language_link(client, path) == expected


def test_a_page_with_arguments_keeps_them(users_a: dict[str, User], org_a: Organisation) -> None:
    worker = users_a[Role.HEALTH_PROMOTER]
    task = FollowUpFactory.create(person__registered_by=worker, person__organisation=org_a)
    client = login_verified(Client(), worker)

    link, language = language_link(client, f"/en/staff/field/tasks/{task.pk}/")

    assert (link, language) == (f"/staff/field/tasks/{task.pk}/", "es")


def test_public_pages_and_pages_not_found() -> None:
    client = Client()

    assert language_link(client, "/en/") == ("/", "es")
    assert language_link(client, "/") == ("/en/", "en")
    # No match to read from: Django's translate_url, which leaves the address as it is.
    assert language_link(client, "/en/no-such-page/") == ("/en/no-such-page/", "es")


@pytest.mark.parametrize(
    "path",
    ["/en/staff/field/tasks/?show=today", "/staff/directory/", "/en/", "/?q=vacunas%20gratis"],
)
def test_the_same_as_translate_url(path: str) -> None:
    request = RequestFactory().get(path)
    with translation.override("en" if path.startswith("/en/") else "es"):
        request.resolver_match = resolve(request.path_info)
        for language in ("es", "en"):
            assert other_language_url({"request": request}, language) == translate_url(
                request.get_full_path(), language
            )
