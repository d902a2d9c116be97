from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from senda.accounts.roles import Role


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class OwnPasswordForm(forms.Form):
    new_password1 = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput, strip=False
    )
    new_password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput, strip=False
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords are not the same."))
        return data
