"""The staff menu, made once per process for each language and set of capabilities.

Every staff page shows it: a dozen links, each a URL reversal and a translation, cost more
than some pages' own queries. What the menu shows depends only on what the user's role may do
(``can``), on whether their organisation edits the network's directory, on the language and
on where the site is mounted; ``staff_menu.html`` is rendered with those values alone (so
nothing else can change it) and kept, keyed by all of them. Only the logout form's token is
the request's own: it is put into the kept text on every page.
"""

from __future__ import annotations

import threading
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from senda.accounts.roles import Role

register = template.Library()

MENU_TEMPLATE = "staff_menu.html"
# Stands for the form token while the menu is made: text no menu item can contain.
_TOKEN_MARK = "senda-staff-menu-form-token"  # noqa: S105 (not a secret)
# A few roles times two languages: the bound only guards against the unexpected.
_MAX_KEPT = 256

_kept: dict[tuple[Any, ...], tuple[Any, str, str | None]] = {}
_lock = threading.Lock()


def _menu_context(context: template.Context, token: str) -> dict[str, Any]:
    can = context.get("can") or {}
    membership = context.get("active_membership")
    organisation = getattr(membership, "organisation", None)
    return {
        "can": {name: True for name, allowed in can.items() if allowed},
        "network_editor": bool(getattr(organisation, "is_network_editor", False)),
        "csrf_token": token,
    }


@register.simple_tag(takes_context=True)
def staff_menu(context: template.Context) -> SafeString:
    """``staff_menu.html`` for this user's capabilities in the active language."""
    token = str(context.get("csrf_token") or "")
    menu = get_template(MENU_TEMPLATE)
    if not token or token == "NOTPROVIDED":  # noqa: S105 (Django's "no token" value)
        # No form token on this page (``{% csrf_token %}`` writes no field then): not kept.
        return mark_safe(menu.render(_menu_context(context, token)))
    values = _menu_context(context, _TOKEN_MARK)
    key = (
        get_language(),
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        frozenset(values["can"]),
        values["network_editor"],
    )
    source = getattr(menu, "template", menu)
    kept = _kept.get(key)
    # A template changed on disk (development) is a new template object: made again.
    if kept is None or kept[0] is not source:
        before, mark, after = menu.render(values).partition(_TOKEN_MARK)
        kept = (source, before, after if mark else None)
        with _lock:
            if len(_kept) >= _MAX_KEPT:
                _kept.clear()
            _kept[key] = kept
    if kept[2] is None:
        return mark_safe(kept[1])
    # The menu's text was escaped when it was made; the token is escaped here.
    return mark_safe(f"{kept[1]}{escape(token)}{kept[2]}")


@register.simple_tag(takes_context=True)
def staff_footer(context: template.Context) -> SafeString:
    """Who is signed in, in which organisation and as what: the staff pages' footer (a tag:
    three template lookups, one of them ``get_role_display``, cost as much as the menu)."""
    membership = context.get("active_membership")
    if not membership:
        return mark_safe("")
    role = membership.role
    return format_html(
        "<p>{} · {} · {}</p>",
        context["user"].get_username(),
        membership.organisation,
        Role(role).label if role in Role.values else role,
    )
