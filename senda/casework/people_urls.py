"""Staff pages of field work: people."""

from __future__ import annotations

from django.urls import URLPattern, path

from senda.casework.views import people

urlpatterns: list[URLPattern] = [
    path("people/", people.people_list, name="people_list"),
    # The field-work home links to the search under this name.
    path("people/", people.people_list, name="person_search"),
    path("people/new/", people.person_register, name="person_register"),
    path("people/duplicates/", people.people_duplicates, name="people_duplicates"),
    path("people/<uuid:person_id>/", people.person_detail, name="person_detail"),
    path("people/<uuid:person_id>/edit/", people.person_edit, name="person_edit"),
    path("people/<uuid:person_id>/consent/", people.person_consent, name="person_consent"),
    path("people/<uuid:person_id>/merge/", people.person_merge, name="person_merge"),
    path("people/<uuid:person_id>/erase/", people.person_erase, name="person_erase"),
]
