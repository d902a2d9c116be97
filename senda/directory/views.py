from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from senda.directory import queries


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    services = queries.services_editable_by(user=request.user).order_by("name")  # type: ignore[arg-type]
    return render(request, "directory/staff_home.html", {"services": services})
