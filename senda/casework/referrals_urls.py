"""Staff pages of field work: referrals."""

from __future__ import annotations

from django.urls import URLPattern, path

from senda.casework.views import referrals as views

urlpatterns: list[URLPattern] = [
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/inbox/", views.referral_inbox, name="referral_inbox"),
    path(
        "referrals/inbox/<uuid:referral_id>/",
        views.referral_received,
        name="referral_received",
    ),
    path(
        "referrals/inbox/<uuid:referral_id>/<slug:step>/",
        views.referral_step,
        name="referral_step",
    ),
    path("referrals/new/<uuid:person_id>/", views.referral_create, name="referral_create"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/cancel/", views.referral_cancel, name="referral_cancel"),
]
