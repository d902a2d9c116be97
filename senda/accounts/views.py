from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from senda.accounts import actions, queries
from senda.accounts.forms import MemberAddForm, MemberRoleForm, OwnPasswordForm
from senda.accounts.models import User
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = OwnPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.user_change_own_password(
                user=_user(request), new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            update_session_auth_hash(request, _user(request))
            messages.success(request, _("Your password was changed."))
            return redirect("directory:staff_home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def members(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organisations = queries.organisations_managed_by(user=user)
    if not organisations:
        raise Http404
    form = MemberAddForm(request.POST or None)
    temporary_password = None
    new_username = None
    if request.method == "POST" and form.is_valid():
        organisation = next(
            (o for o in organisations if str(o.pk) == request.POST.get("organisation")),
            organisations[0],
        )
        try:
            _membership, temporary_password = actions.member_add(
                actor=user, organisation=organisation, **form.cleaned_data
            )
            new_username = form.cleaned_data["username"]
        except ValidationError as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": new_username})
            form = MemberAddForm()
    return render(
        request,
        "accounts/members.html",
        {
            "organisations": organisations,
            "memberships": queries.members_visible_to(user=user),
            "form": form,
            "role_form": MemberRoleForm(),
            "temporary_password": temporary_password,
            "new_username": new_username,
        },
    )


@login_required
@require_POST
def member_action(request: HttpRequest, membership_id: int, what: str) -> HttpResponse:
    user = _user(request)
    try:
        if what == "reset-password":
            password = actions.member_reset_password(actor=user, membership_id=membership_id)
            return render(
                request, "accounts/temporary_password.html", {"temporary_password": password}
            )
        if what == "role":
            form = MemberRoleForm(request.POST)
            if form.is_valid():
                actions.member_change_role(
                    actor=user, membership_id=membership_id, role=form.cleaned_data["role"]
                )
                messages.success(request, _("The role was changed."))
        elif what == "deactivate":
            actions.member_deactivate(actor=user, membership_id=membership_id)
            messages.success(request, _("The member no longer has access."))
        else:
            raise Http404
    except NotFoundError as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDeniedError as exc:
        messages.error(request, str(exc))
    return redirect("accounts:members")
