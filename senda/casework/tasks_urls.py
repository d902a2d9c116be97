"""Staff pages of field work: the home, follow-up tasks, orientations and the lists."""

from __future__ import annotations

from django.urls import URLPattern, path

from senda.casework.views import orientations, tasks

urlpatterns: list[URLPattern] = [
    path("", tasks.home, name="home"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/team/", tasks.team_tasks, name="team_tasks"),
    path("tasks/new/<uuid:person_id>/", tasks.task_new, name="task_new"),
    path("tasks/<uuid:follow_up_id>/", tasks.task_detail, name="task_detail"),
    path("tasks/<uuid:follow_up_id>/complete/", tasks.task_complete, name="task_complete"),
    path("tasks/<uuid:follow_up_id>/cancel/", tasks.task_cancel, name="task_cancel"),
    path("tasks/<uuid:follow_up_id>/reassign/", tasks.task_reassign, name="task_reassign"),
    path("lists/", tasks.lists, name="lists"),
    path(
        "orientations/new/<uuid:person_id>/",
        orientations.orientation_new,
        name="orientation_new",
    ),
]
