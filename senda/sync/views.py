"""Staff pages of the field app: the devices a person may see, and revoking one."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from senda.accounts.models import User
from senda.core.views import staff_page_with
from senda.sync import actions, queries

staff_page = staff_page_with("sync/staff/forbidden.html")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_page requires a signed-in user
    return user


@staff_page
def device_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    queries.require_devices_page(user=user)
    devices = list(queries.devices_visible_to(user=user))
    return render(request, "sync/staff/devices.html", {"devices": devices})


@staff_page
@require_http_methods(["GET", "POST"])
def device_revoke(request: HttpRequest, device_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    queries.require_devices_page(user=user)
    device = queries.device_get(user=user, device_id=device_id)
    if request.method == "POST":
        actions.device_revoke(actor=user, device_id=device.pk)
        messages.success(
            request,
            _("The phone is revoked: its data will be deleted the next time it connects."),
        )
        return redirect("sync:device_list")
    return render(request, "sync/staff/revoke.html", {"device": device})
