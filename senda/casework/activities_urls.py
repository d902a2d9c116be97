"""Staff pages of field work: outreach activities, vaccination sessions, trainings, teams and
centre assignments."""

from __future__ import annotations

from django.urls import URLPattern, path

from senda.casework.views import activities, teams, trainings

urlpatterns: list[URLPattern] = [
    path("outreach/", activities.outreach_list, name="outreach_list"),
    path("outreach/new/", activities.outreach_create, name="outreach_create"),
    path("outreach/<uuid:activity_id>/", activities.outreach_detail, name="outreach_detail"),
    path("outreach/<uuid:activity_id>/edit/", activities.outreach_edit, name="outreach_edit"),
    path("outreach/<uuid:activity_id>/delete/", activities.outreach_delete, name="outreach_delete"),
    path("vaccination/", activities.session_list, name="session_list"),
    path("vaccination/new/", activities.session_create, name="session_create"),
    path("vaccination/<uuid:session_id>/", activities.session_detail, name="session_detail"),
    path("vaccination/<uuid:session_id>/edit/", activities.session_edit, name="session_edit"),
    path("vaccination/<uuid:session_id>/delete/", activities.session_delete, name="session_delete"),
    path("trainings/", trainings.training_list, name="training_list"),
    path("trainings/new/", trainings.training_create, name="training_create"),
    path("trainings/who-is-trained/", trainings.training_matrix, name="training_matrix"),
    path("trainings/<uuid:training_id>/", trainings.training_detail, name="training_detail"),
    path("trainings/<uuid:training_id>/edit/", trainings.training_edit, name="training_edit"),
    path("trainings/<uuid:training_id>/delete/", trainings.training_delete, name="training_delete"),
    path(
        "trainings/<uuid:training_id>/participants/",
        trainings.participant_add,
        name="training_participant_add",
    ),
    path(
        "trainings/<uuid:training_id>/participants/<int:participant_id>/status/",
        trainings.participant_status,
        name="training_participant_status",
    ),
    path(
        "trainings/<uuid:training_id>/participants/<int:participant_id>/remove/",
        trainings.participant_remove,
        name="training_participant_remove",
    ),
    path("teams/", teams.team_list, name="team_list"),
    path("teams/new/", teams.team_create, name="team_create"),
    path("teams/<uuid:team_id>/", teams.team_detail, name="team_detail"),
    path("teams/<uuid:team_id>/delete/", teams.team_delete, name="team_delete"),
    path("teams/<uuid:team_id>/members/", teams.team_member_add, name="team_member_add"),
    path(
        "teams/<uuid:team_id>/members/<int:user_id>/remove/",
        teams.team_member_remove,
        name="team_member_remove",
    ),
    path("centres/", teams.centre_list, name="centre_list"),
    path("centres/<int:assignment_id>/remove/", teams.centre_unassign, name="centre_unassign"),
]
