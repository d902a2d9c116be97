"""The staff menu is made once per language and set of capabilities, and shows exactly what
the menu template shows for the user: their links, in their language, with the form token of
the page they are on."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from senda.accounts.models import Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import OrganisationFactory, UserFactory, member
from senda.core.templatetags import staff_menu

pytestmark = pytest.mark.django_db

MENU = re.compile(r'<nav class="main" aria-label="[^"]*"><ul>.*?</ul></nav>', re.S)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def menu_of(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    found = MENU.search(response.content.decode())
    assert found is not None
    return found.group(0)


def without_token(menu: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', menu)


def fresh_menu(user: User, language: str, token: str) -> str:
    """The menu template rendered for ``user`` now, as the staff base template did inline."""
    from django.template.loader import render_to_string

    membership = user.active_membership()
    capabilities = CAPABILITIES.get(membership.role, frozenset()) if membership else frozenset()
    with translation.override(language):
        return render_to_string(
            staff_menu.MENU_TEMPLATE,
            {
                "can": {
                    capability.value.replace(".", "_"): capability in capabilities
                    for capability in Capability
                },
                "network_editor": bool(membership and membership.organisation.is_network_editor),
                "csrf_token": token,
            },
        )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_menu_the_template_makes(
    role: str, users_a: dict[str, User], org_a: Organisation
) -> None:
    user = users_a[role]
    client = login_verified(Client(), user)
    page = reverse("accounts:password_change")
    staff_menu._kept.clear()

    first, again = menu_of(client, page), menu_of(client, page)  # made, then kept

    token = TOKEN.search(again)
    assert token is not None
    assert again == fresh_menu(user, "es", token.group(1))
    assert without_token(first) == without_token(again)
    links = re.findall(r'href="([^"]+)"', again)
    assert (reverse("accounts:members") in links) == (role == Role.ORG_ADMIN)
    assert (reverse("casework:home") in links) == (
        role
        in {
            Role.ORG_ADMIN,
            Role.INFO_POINT_STAFF,
            Role.HEALTH_PROMOTER,
            Role.COMMUNITY_VOLUNTEER,
            Role.FOCAL_POINT,
            Role.SUPERVISOR,
            Role.PROGRAMME_OFFICER,
        }
    )


def test_the_kept_menu_carries_this_pages_token_and_logs_out(users_a: dict[str, User]) -> None:
    client = login_verified(Client(), users_a[Role.HEALTH_PROMOTER])
    page = reverse("casework:task_list")
    menu_of(client, page)

    menu = menu_of(client, page)  # from the kept text
    token = TOKEN.search(menu)
    assert token is not None and len(token.group(1)) == 64

    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_each_language_has_its_own_menu(users_a: dict[str, User]) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    client = login_verified(Client(), user)
    with translation.override("en"):
        english_page = reverse("casework:task_list")
    spanish_page = reverse("casework:task_list")
    assert english_page.startswith("/en/") and not spanish_page.startswith("/en/")

    english, spanish = menu_of(client, english_page), menu_of(client, spanish_page)

    assert 'href="/en/staff/field/"' in english
    assert 'href="/staff/field/"' in spanish and "/en/" not in spanish
    assert without_token(english) == without_token(
        fresh_menu(user, "en", "x").replace('value="x"', 'value=""')
    )
    assert without_token(spanish) == without_token(
        fresh_menu(user, "es", "x").replace('value="x"', 'value=""')
    )


def test_the_requests_link_follows_the_organisation_not_the_first_menu_kept() -> None:
    # Content editors publish directory content; in a network-editor organisation they also
    # see the requests inbox. Same capabilities, different menus.
    editor_of_network = member(
        OrganisationFactory.create(is_network_editor=True), Role.CONTENT_EDITOR
    )
    editor = member(OrganisationFactory.create(), Role.CONTENT_EDITOR)
    page = reverse("accounts:password_change")
    requests = reverse("inquiries_staff:inbox")

    network_menu = menu_of(login_verified(Client(), editor_of_network), page)
    plain_menu = menu_of(login_verified(Client(), editor), page)

    assert f'href="{requests}"' in network_menu
    assert f'href="{requests}"' not in plain_menu


def test_a_page_without_a_form_token_gets_no_token_field(users_a: dict[str, User]) -> None:
    from django.template import Context, Template

    user = users_a[Role.HEALTH_PROMOTER]
    template = Template("{% load staff_menu %}{% staff_menu %}")
    context = {"can": {"casework_work": True}, "active_membership": user.active_membership()}

    shown = template.render(Context({**context, "csrf_token": "NOTPROVIDED"}))
    with_token = template.render(Context({**context, "csrf_token": "abc"}))

    assert "csrfmiddlewaretoken" not in shown and 'href="/staff/field/"' in shown
    assert 'name="csrfmiddlewaretoken" value="abc"' in with_token


def test_the_footer_names_the_user_organisation_and_role(users_a: dict[str, User]) -> None:
    user = users_a[Role.FOCAL_POINT]
    membership = user.active_membership()
    assert membership is not None
    client = login_verified(Client(), user)
    with translation.override("en"):
        english_page = reverse("accounts:password_change")
        english_role = str(Role(Role.FOCAL_POINT).label)
    with translation.override("es"):
        spanish_page = reverse("accounts:password_change")
        spanish_role = str(Role(Role.FOCAL_POINT).label)

    english = client.get(english_page).content.decode()
    spanish = client.get(spanish_page).content.decode()

    organisation = escape(membership.organisation.name)
    assert f"<p>{user.username} · {organisation} · {english_role}</p>" in english
    assert f"<p>{user.username} · {organisation} · {escape(spanish_role)}</p>" in spanish


def test_no_footer_without_a_membership() -> None:
    client = login_verified(Client(), UserFactory.create(username="nobody-here"))

    html = client.get(reverse("accounts:password_change")).content.decode()

    assert "nobody-here ·" not in html
