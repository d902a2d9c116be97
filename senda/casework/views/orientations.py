"""Staff page to record an orientation with a person."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from senda.accounts.models import User
from senda.casework.access import people_visible_to
from senda.casework.actions.orientations import orientation_record
from senda.casework.models import ContactChannel, OrientationOutcome, Person, PlaceType, Topic
from senda.casework.queries import orientations as queries
from senda.casework.templatetags.casework_tasks import optional_url
from senda.casework.views.common import (
    acting_user,
    staff_page,
)
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.geo.models import AdminArea
from senda.geo.queries import areas_of


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.tr("name"))


class OrientationForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("When"),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    topics = TopicChoiceField(
        label=gettext_lazy("Topics"),
        queryset=Topic.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=ContactChannel.choices)
    place_type = forms.ChoiceField(label=gettext_lazy("Place"), choices=PlaceType.choices)
    area = forms.ModelChoiceField(
        label=gettext_lazy("Area"), queryset=AdminArea.objects.none(), required=False
    )
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=OrientationOutcome.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Only what is needed to follow up. It is stored encrypted."),
    )

    def __init__(self, *args: Any, country_code: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = self.fields["topics"]
        assert isinstance(topics, forms.ModelMultipleChoiceField)
        topics.queryset = queries.orientation_topics()
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)
        if country_code:
            area.queryset = areas_of(country_code=country_code)
        else:
            del self.fields["area"]


def _person(user: User, person_id: uuid.UUID) -> Person:
    try:
        return queries.person_for_orientation(user=user, person_id=person_id)
    except NotFoundError:
        if people_visible_to(user=user).filter(pk=person_id).exists():
            raise PermissionDeniedError(
                _("Your role does not include recording orientations with this person.")
            ) from None
        raise


def _country(person: Person) -> str | None:
    if person.area is not None:
        return person.area.country_id
    return person.organisation.country_id


def _done_url(person: Person) -> str:
    return optional_url("casework:person_detail", person.pk) or optional_url("casework:home")


@staff_page
@require_http_methods(["GET", "POST"])
def orientation_new(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Record an orientation with a person: topics, channel, place and outcome."""
    user = acting_user(request)
    person = _person(user, person_id)
    country = _country(person)
    if request.method != "POST":
        initial = {
            "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
            "area": person.area_id,
            "channel": ContactChannel.IN_PERSON,
        }
        form = OrientationForm(initial=initial, country_code=country)
        return render(request, "casework/orientations/new.html", {"form": form, "person": person})
    form = OrientationForm(request.POST, country_code=country)
    if form.is_valid():
        data = form.cleaned_data
        try:
            orientation_record(
                actor=user,
                person=person,
                occurred_at=data["occurred_at"],
                topics=list(data["topics"]),
                channel=data["channel"],
                place_type=data["place_type"],
                area=data.get("area"),
                outcome=data["outcome"],
                note=data["note"],
            )
        except ValidationError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect(_done_url(person))
    return render(
        request, "casework/orientations/new.html", {"form": form, "person": person}, status=400
    )
