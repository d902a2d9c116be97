from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from senda.accounts import actions, login_actions, login_throttle, queries, two_factor
from senda.accounts.forms import MemberAddForm, MemberRoleForm, OwnPasswordForm
from senda.accounts.models import User
from senda.core.audit import client_address
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.middleware import start_session_clock


def _locked_message() -> str:
    minutes = login_throttle.lockout_seconds() // 60
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _safe_next(request: HttpRequest, default: str = "") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """The password step, throttled per user name and per address; then the second factor."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))
        address = client_address(request)
        if login_throttle.is_locked(username=username, address=address):
            # Refused without checking the password: a lock must not confirm a guess.
            login_actions.login_failed(
                username=username, address=address, step="password", locked_already=True
            )
            return self._refused(_locked_message())
        return super().post(request, *args, **kwargs)

    def _refused(self, message: str) -> HttpResponse:
        context = self.get_context_data(form=self.get_form(), refusal=message)
        return self.render_to_response(context, status=429)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        result = login_actions.login_failed(
            username=str(self.request.POST.get("username", "")),
            address=client_address(self.request),
            step="password",
        )
        if result.username_locked or result.address_locked:
            return self._refused(_locked_message())
        return super().form_invalid(form)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        assert isinstance(user, User)
        auth_login(self.request, user)
        start_session_clock(self.request.session)
        login_actions.login_succeeded(user=user, step="password")
        next_url = self.get_success_url()
        if two_factor.needs_second_factor(user):
            return redirect(two_factor.second_factor_url(user, next_url))
        return HttpResponseRedirect(next_url)


class LogoutView(auth_views.LogoutView):
    pass


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login: a code from the app, or a recovery code."""
    user = _user(request)
    next_url = _safe_next(request)
    if two_factor.confirmed_device(user) is None:
        return redirect(two_factor.second_factor_url(user, next_url))
    if two_factor.session_is_verified(request.session, user):
        return redirect(next_url)
    error = ""
    status = 200
    if request.method == "POST":
        address = client_address(request)
        code = str(request.POST.get("code", ""))[:64]
        if login_throttle.is_locked(username=user.get_username(), address=address):
            login_actions.login_failed(
                username=user.get_username(),
                address=address,
                step="second_factor",
                locked_already=True,
            )
            return _locked_out(request)
        method = two_factor.second_factor_verify(user=user, code=code)
        if method is None:
            result = login_actions.login_failed(
                username=user.get_username(), address=address, step="second_factor"
            )
            if result.username_locked or result.address_locked:
                return _locked_out(request)
            error = _("This code is not right. Type the code your app shows now.")
            status = 400
        else:
            _verified(request, user)
            if method == "recovery_code":
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code: %(count)d is left.",
                        "You used a recovery code: %(count)d are left.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(next_url)
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"next": next_url, "error": error},
        status=status,
    )


def _verified(request: HttpRequest, user: User) -> None:
    # A new session key once the session gains the second factor (no fixation).
    request.session.cycle_key()
    two_factor.mark_session_verified(request.session, user)
    login_actions.login_succeeded(user=user, step="second_factor")


def _locked_out(request: HttpRequest) -> HttpResponse:
    # The password step must be passed again after a lockout on the second factor.
    auth_logout(request)
    messages.error(request, _locked_message())
    return redirect("accounts:login")


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app (QR code and secret), or see that it is set up."""
    user = _user(request)
    next_url = _safe_next(request)
    device = two_factor.confirmed_device(user)
    if device is not None:
        if not two_factor.session_is_verified(request.session, user):
            return redirect(two_factor.second_factor_url(user, next_url))
        return render(
            request,
            "accounts/two_factor_status.html",
            {
                "device": device,
                "recovery_codes_left": two_factor.recovery_codes_left(user),
                "required": two_factor.must_use_totp(user),
            },
        )
    error = ""
    status = 200
    if request.method == "POST":
        try:
            codes = two_factor.totp_enrol_confirm(
                user=user, code=str(request.POST.get("code", ""))[:64]
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
            status = 400
        else:
            _verified(request, user)
            return render(
                request,
                "accounts/two_factor_recovery_codes.html",
                {"codes": codes, "next": next_url},
            )
    pending = two_factor.totp_enrol_start(user=user)
    secret = two_factor.device_secret(pending)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "qr_svg": two_factor.qr_code_svg(two_factor.provisioning_uri(pending)),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "required": two_factor.must_use_totp(user),
            "next": next_url,
            "error": error,
        },
        status=status,
    )


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
        if what == "reset-second-factor":
            actions.member_reset_second_factor(actor=user, membership_id=membership_id)
            messages.success(
                request, _("The second factor was reset: they set it up again at their next login.")
            )
        elif what == "role":
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
