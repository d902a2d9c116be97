"""The editors' HSDS upload page: upload a file, then follow its import until it is done.

Works without JavaScript: the job page refreshes itself every two seconds while it runs.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from senda.accounts.models import Organisation, User
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.directory.hsds import jobs
from senda.directory.hsds.importer import WRITE_ORDER
from senda.directory.models_import import ImportJob

RECENT_JOBS = 20

# What an import counts, as the result table names it.
RESULT_LABELS = {
    "taxonomy": _("Taxonomies"),
    "taxonomy_term": _("Categories"),
    "organization": _("Provider organisations"),
    "location": _("Locations"),
    "service": _("Services"),
    "service_at_location": _("Services at locations"),
    "address": _("Addresses"),
    "phone": _("Phones"),
    "schedule": _("Opening hours"),
    "cost_option": _("Costs"),
    "required_document": _("Required documents"),
    "language": _("Languages"),
    "service_area": _("Service areas"),
    "accessibility": _("Accessibility"),
    "contact": _("Contacts"),
    "attribute": _("Attributes"),
}


class ImportUploadForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Into the directory of"))
    file = forms.FileField(
        label=_("HSDS file"),
        help_text=_(
            "A .json file (HSDS 3.0 services, organizations or an API page), or a .zip with "
            "an HSDS CSV data package or several JSON files."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.zip"}),
    )
    publish = forms.ChoiceField(
        label=_("Imported services"),
        choices=[
            ("publish", _("Publish them at once")),
            ("draft", _("Keep them as drafts to review")),
        ],
        initial="publish",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(key, str(o)) for key, o in self.organisations.items()]
        if len(organisations) == 1:
            # Nothing to choose: the field is not shown and the one organisation is taken.
            field.required = False
            field.widget = forms.HiddenInput()

    def clean_organisation(self) -> Organisation:
        chosen = self.cleaned_data.get("organisation") or ""
        if len(self.organisations) == 1:
            return next(iter(self.organisations.values()))
        return self.organisations[chosen]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not str(upload.name).lower().endswith(jobs.ALLOWED_SUFFIXES):
            raise forms.ValidationError(
                _("Upload a .json file or a .zip (a CSV data package or JSON files).")
            )
        return upload


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def import_home(request: HttpRequest) -> HttpResponse:
    """The upload form and the organisation's recent imports."""
    user = _user(request)
    organisations = jobs.organisations_user_can_import_for(user=user)
    if not organisations:
        raise PermissionDenied
    posted = request.method == "POST"
    form = ImportUploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organisations=organisations,
    )
    if posted and form.is_valid():
        try:
            job = jobs.import_job_create(
                actor=user,
                owner=form.cleaned_data["organisation"],
                upload=form.cleaned_data["file"],
                publish=form.cleaned_data["publish"] == "publish",
                language=get_language() or "",
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied from exc
        except ValidationError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            jobs.import_job_start(job)
            return redirect("directory_import:job", job_id=job.pk)
    recent = jobs.import_jobs_visible_to(user=user)[:RECENT_JOBS]
    return render(request, "directory/import_home.html", {"form": form, "jobs": recent})


def _result_rows(job: ImportJob) -> list[dict[str, Any]]:
    result = job.result or {}
    rows = []
    for entity in WRITE_ORDER:
        created = result.get("created", {}).get(entity, 0)
        updated = result.get("updated", {}).get(entity, 0)
        removed = result.get("removed", {}).get(entity, 0)
        if created or updated or removed:
            label = RESULT_LABELS.get(entity, entity)
            rows.append(
                {"label": label, "created": created, "updated": updated, "removed": removed}
            )
    return rows


@login_required
def import_job_detail(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Progress while the import runs; then what was imported, or why nothing was."""
    try:
        job = jobs.import_job_get(user=_user(request), job_id=job_id)
    except NotFoundError as exc:
        raise Http404 from exc
    return render(
        request,
        "directory/import_job.html",
        {
            "job": job,
            "rows": _result_rows(job),
            "warnings": (job.result or {}).get("warnings", []),
        },
    )
