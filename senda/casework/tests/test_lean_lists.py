"""The busiest field-work lists read lean (plain SQL, rows, cards written once a page): they
must show exactly what the ORM queries and the templates showed, and read each thing once."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework import access
from senda.casework.models import (
    CentreAssignment,
    FollowUpRule,
    FollowUpStatus,
    FollowUpTrigger,
    Person,
    Referral,
    ReferralReason,
    ReferralStatus,
)
from senda.casework.queries import referrals as referral_queries
from senda.casework.queries import tasks as task_queries
from senda.casework.queries.people import card_code_taken, duplicate_candidates
from senda.casework.tests.factories import (
    FollowUpFactory,
    PersonFactory,
    ReferralFactory,
    TeamFactory,
    health_service,
)
from senda.casework.views import cards

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login_verified(Client(), user)


def _sql(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


# ---------------------------------------------------------------------------------------------
# The referral inbox


@pytest.fixture
def inbox(users_a: dict[str, User], users_b: dict[str, User], org_b: Organisation) -> Any:
    """Referrals to two centres of organisation B, in every open status, one overdue, one
    finished; their people registered in organisation A."""
    promoter = users_a[Role.HEALTH_PROMOTER]
    first, second = health_service(org_b), health_service(org_b)
    now = timezone.now()

    def refer(at: Any, status: str, **fields: Any) -> Referral:
        person = PersonFactory.create(organisation=promoter_org(promoter), registered_by=promoter)
        return ReferralFactory.create(person=person, at=at, status=status, **fields)

    referrals = {
        "sent": refer(first, ReferralStatus.SENT, sent_at=now - datetime.timedelta(days=1)),
        "overdue": refer(first, ReferralStatus.SENT, sent_at=now - datetime.timedelta(days=5)),
        "received": refer(second, ReferralStatus.RECEIVED),
        "accepted": refer(first, ReferralStatus.ACCEPTED),
        "attended": refer(second, ReferralStatus.ATTENDED),
        "closed": refer(first, ReferralStatus.CLOSED, outcome="vaccinated"),
    }
    return users_b[Role.FOCAL_POINT], first, second, referrals


def promoter_org(promoter: User) -> Organisation:
    membership = promoter.active_membership()
    assert membership is not None
    return membership.organisation


def test_the_inbox_cards_show_each_step_and_count_nothing_twice(inbox: Any) -> None:
    focal, _first, _second, referrals = inbox
    client = _client(focal)
    client.get(reverse("casework:referral_inbox"))  # the session settles

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("casework:referral_inbox"))

    html = response.content.decode()
    assert response.status_code == 200
    statements = _sql(queries)
    # The open filter's total is one of the counts: no second count of the same referrals;
    # memberships (with the user) and centre assignments are read once.
    assert not any("COUNT(*)" in sql for sql in statements)
    assert sum('FROM "casework_centreassignment"' in sql for sql in statements) == 1
    assert sum('"accounts_membership"' in sql for sql in statements) == 1
    assert html.count('<li class="referral-card') == 5
    inbox_url = reverse("casework:referral_inbox")
    sent = referrals["sent"]
    # A sent referral is received in one tap (a form with the CSRF token, back to the inbox).
    assert f'<form method="post" action="{inbox_url}{sent.pk}/receive/">' in html
    assert 'name="csrfmiddlewaretoken" value="' in html
    assert '<input type="hidden" name="back" value="inbox">' in html
    # Declining and closing need a form: links to the referral at that step.
    received, attended = referrals["received"], referrals["attended"]
    assert f'href="{inbox_url}{received.pk}/#step-decline"' in html
    assert f'<form method="post" action="{inbox_url}{received.pk}/accept/">' in html
    assert f'href="{inbox_url}{attended.pk}/#step-close"' in html
    assert str(referrals["closed"].pk) not in html
    # When it was sent, in the site's time zone, as the template's date filter wrote it.
    local = timezone.localtime(sent.sent_at)
    assert f'<time datetime="{local.isoformat()}">{local:%Y-%m-%d %H:%M}</time>' in html
    assert html.count('<span class="tag overdue">') == 1
    # Card codes only.
    assert sent.person.code in html and sent.person.given_name not in html


def test_the_inbox_reads_in_the_readers_language(inbox: Any) -> None:
    focal, first, _second, _referrals = inbox
    service = first.service
    service.translations = {"en": {"name": "Vaccines for everyone"}}
    service.save()
    client = _client(focal)
    spanish = client.get(reverse("casework:referral_inbox")).content.decode()
    with translation.override("en"):
        english = client.get(reverse("casework:referral_inbox")).content.decode()
    with translation.override("es"):
        spanish_reason = str(ReferralReason.VACCINATION.label)
        spanish_status = str(ReferralStatus.ACCEPTED.label)
    assert service.name in spanish and "Vaccines for everyone" not in spanish
    assert "Vaccines for everyone" in english
    assert spanish_reason in spanish and "Vaccination" in english
    assert spanish_status in spanish and ">Accepted<" in english
    assert "Mark received" in english and "from " in english


def test_the_inbox_query_answers_as_the_orm_filters(inbox: Any, org_b: Organisation) -> None:
    focal, first, second, referrals = inbox
    # A third centre the focal point is not assigned to, once assigned to the first two.
    other = ReferralFactory.create(
        person=referrals["sent"].person, at=health_service(org_b), status=ReferralStatus.SENT
    )
    now = timezone.now()

    def expected(user: User, view: str, location_id: Any = None) -> list[Any]:
        rows = Referral.objects.filter(access.referrals_received_q(user)).filter(
            referral_queries.inbox_view_q(view, now)
        )
        if location_id is not None:
            rows = rows.filter(location_id=location_id)
        order = ["-sent_at"] if view in ("closed", "all") else ["sent_at", "id"]
        return list(rows.order_by(*order).values_list("pk", flat=True))

    for assigned in (False, True):
        if assigned:
            for at in (first, second):
                CentreAssignment.objects.create(
                    organisation=org_b, user=focal, location=at.location
                )
            focal = User.objects.get(pk=focal.pk)  # what a user is, is read once per object
        for location_id in (None, first.location_id):
            counts = referral_queries.referral_inbox_counts(
                user=focal, location_id=location_id, now=now
            )
            for view in referral_queries.INBOX_VIEWS:
                page = referral_queries.referral_inbox(
                    user=focal, view=view, location_id=location_id, now=now, per_page=3
                )
                ids = expected(focal, view, location_id)
                assert [item.id for item in page.items] == ids[:3], (assigned, view)
                assert page.total == len(ids)
                if view in counts:
                    assert counts[view] == len(ids)
                second_page = referral_queries.referral_inbox(
                    user=focal, view=view, location_id=location_id, now=now, per_page=3, page=2
                )
                assert [item.id for item in second_page.items] == ids[3:6]
    assert other.pk not in expected(focal, "all")


def test_the_inbox_centres_are_the_assigned_ones_else_where_services_are(
    inbox: Any, org_b: Organisation
) -> None:
    focal, first, second, _referrals = inbox
    every = {
        location_id for location_id, _name in referral_queries.referral_inbox_locations(user=focal)
    }
    assert {first.location_id, second.location_id} <= every
    CentreAssignment.objects.create(organisation=org_b, user=focal, location=second.location)
    focal = User.objects.get(pk=focal.pk)
    assert referral_queries.referral_inbox_locations(user=focal) == [
        (second.location_id, str(second.location))
    ]


# ---------------------------------------------------------------------------------------------
# Task lists


def _tasks(worker: User, count: int, **fields: Any) -> list[Any]:
    organisation = promoter_org(worker)
    return [
        FollowUpFactory.create(
            person=PersonFactory.create(organisation=organisation, registered_by=worker), **fields
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("show", ["today", "overdue", "upcoming", "done"])
def test_my_task_rows_are_my_tasks(show: str, users_a: dict[str, User]) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    today = timezone.localdate()
    for days in (-3, -1, 0, 0, 2, 5):
        _tasks(promoter, 2, due_on=today + datetime.timedelta(days=days))
    _tasks(promoter, 3, status=FollowUpStatus.DONE, completed_at=timezone.now())
    erased = _tasks(promoter, 1, due_on=today)[0].person
    Person.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    _tasks(users_a[Role.INFO_POINT_STAFF], 2, due_on=today)

    expected = [task.pk for task in task_queries.my_tasks(user=promoter, show=show, today=today)]
    counts = task_queries.my_task_counts(user=promoter, today=today)
    rows = task_queries.my_task_rows(user=promoter, show=show, today=today)
    assert len(rows) == len(expected)
    assert [row.id for row in rows[0:100]] == expected
    assert [row.id for row in rows[1:3]] == expected[1:3]
    if show != "done":
        assert getattr(counts, show) == len(expected)
        with CaptureQueriesContext(connection) as queries:
            known = task_queries.my_task_rows(user=promoter, show=show, today=today, counts=counts)
            assert len(known) == len(expected)
        assert not queries.captured_queries  # the length came from the counts


def test_task_cards_show_what_the_worker_needs(users_a: dict[str, User]) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    organisation = promoter_org(promoter)
    today = timezone.localdate()
    rule = FollowUpRule.objects.create(
        trigger=FollowUpTrigger.PERSON_REGISTERED,
        days_after=7,
        title="Llamar para saber cómo está",
        language="es",
        translations={"en": {"title": "Call to ask how they are"}},
    )
    reachable = PersonFactory.create(
        organisation=organisation,
        registered_by=promoter,
        phone="+507 6123 4567",
        phone_has_whatsapp=True,
    )
    silent = PersonFactory.create(
        organisation=organisation,
        registered_by=promoter,
        consents_to_contact=False,
        phone="+507 6999 0000",
    )
    FollowUpFactory.create(person=reachable, rule=rule, due_on=today - datetime.timedelta(days=2))
    FollowUpFactory.create(person=silent, title="Visitar <en casa>", due_on=today)
    done_at = timezone.now() - datetime.timedelta(days=1)
    FollowUpFactory.create(
        person=reachable, status=FollowUpStatus.DONE, completed_at=done_at, due_on=today
    )
    client = _client(promoter)

    with translation.override("en"):
        overdue = client.get(reverse("casework:task_list"), {"show": "overdue"}).content.decode()
        today_html = client.get(reverse("casework:task_list"), {"show": "today"}).content.decode()
        done = client.get(reverse("casework:task_list"), {"show": "done"}).content.decode()
        due_text = formats.date_format(today - datetime.timedelta(days=2), "SHORT_DATE_FORMAT")
        done_text = formats.date_format(timezone.localtime(done_at).date(), "SHORT_DATE_FORMAT")
    spanish = client.get(reverse("casework:task_list"), {"show": "overdue"}).content.decode()

    assert "Call to ask how they are" in overdue and "Llamar para saber cómo está" in spanish
    assert '<li class="task-card is-overdue">' in overdue
    assert '<a href="tel:+50761234567">+507 6123 4567</a> <span class="tag">WhatsApp</span>' in (
        overdue
    )
    assert f"{today - datetime.timedelta(days=2):%Y-%m-%d}" in overdue and due_text in overdue
    # Escaped, and no phone for someone who does not want to be contacted.
    assert "Visitar &lt;en casa&gt;" in today_html
    assert "+507 6999" not in today_html and "Does not want to be contacted" in today_html
    assert f'Done <time datetime="{timezone.localtime(done_at).isoformat()}">{done_text}' in done


def test_team_task_cards_name_the_worker(users_a: dict[str, User]) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    volunteer.first_name, volunteer.last_name = "Ana", "Pérez"
    volunteer.save()
    TeamFactory.create(
        organisation=promoter_org(supervisor), supervisor=supervisor, members=[volunteer]
    )
    _tasks(volunteer, 1)
    unassigned = _tasks(volunteer, 1)[0]
    unassigned.assigned_to = None
    unassigned.save()
    with translation.override("en"):
        html = _client(supervisor).get(reverse("casework:team_tasks")).content.decode()
    assert html.count('<li class="task-card') == 1  # a task nobody has is nobody's team's
    assert " · Ana Pérez</p>" in html


# ---------------------------------------------------------------------------------------------
# The duplicate check and what a user is


def test_the_duplicate_check_sees_only_what_the_user_sees(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    promoter = users_a[Role.HEALTH_PROMOTER]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    by_volunteer = PersonFactory.create(
        organisation=org_a, registered_by=volunteer, given_name="Yuleisy", year_of_birth=1990
    )
    by_promoter = PersonFactory.create(
        organisation=org_a, registered_by=promoter, given_name="Yuleisi", year_of_birth=1991
    )

    def candidates(user: User, organisation: Organisation, **fields: Any) -> set[uuid.UUID]:
        found = duplicate_candidates(
            user=user,
            organisation=organisation,
            given_name=fields.get("given_name", "Yuleisy"),
            family_name="",
            phone=fields.get("phone", ""),
            year_of_birth=1990,
            age_group="",
            exclude=fields.get("exclude"),
        )
        assert all(isinstance(person, Person) for person in found)
        return {person.pk for person in found}

    assert candidates(promoter, org_a) == {by_volunteer.pk, by_promoter.pk}
    assert candidates(supervisor, org_a) == {by_volunteer.pk}  # the team's registrations
    assert candidates(volunteer, org_a) == {by_volunteer.pk}
    assert candidates(promoter, org_a, exclude=by_volunteer) == {by_promoter.pk}
    assert candidates(promoter, org_a, phone=by_promoter.phone, given_name="Zzz") == {
        by_promoter.pk
    }
    # Where the user sees nobody, nothing is even asked.
    with CaptureQueriesContext(connection) as queries:
        assert candidates(promoter, org_b) == set()
    assert not queries.captured_queries
    loaded = duplicate_candidates(
        user=promoter,
        organisation=org_a,
        given_name="Yuleisy",
        family_name="",
        phone="",
        year_of_birth=1990,
        age_group="",
    )
    assert {person.given_name for person in loaded} == {"Yuleisy", "Yuleisi"}  # decrypted


def test_what_a_user_is_is_read_once_and_answers_the_footer(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    supervisor = User.objects.get(pk=users_a[Role.SUPERVISOR].pk)
    TeamFactory.create(
        organisation=org_a, supervisor=supervisor, members=[users_a[Role.COMMUNITY_VOLUNTEER]]
    )
    with CaptureQueriesContext(connection) as queries:
        memberships = access.active_memberships(supervisor)
        assert supervisor.active_membership() == memberships[0]
        first = access.team_member_ids(supervisor, org_a)
        first.add(-1)  # a caller's copy
        assert access.team_member_ids(supervisor, org_a) == {
            supervisor.pk,
            users_a[Role.COMMUNITY_VOLUNTEER].pk,
        }
        access.people_scope_q(supervisor)
        access.follow_ups_visible_to(user=supervisor)
    assert len(queries.captured_queries) == 2  # the memberships, the team
    assert access.people_visible_to(user=supervisor).count() == 0  # nobody registered yet


def test_a_card_code_is_taken_once_printed(users_a: dict[str, User]) -> None:
    person = PersonFactory.create(registered_by=users_a[Role.HEALTH_PROMOTER])
    assert card_code_taken(code=person.code)
    assert not card_code_taken(code="PA-0000-0000")


# ---------------------------------------------------------------------------------------------
# The filters above the lists, written in Python: the markup the templates' loops wrote


def _template(source: str, context: dict[str, Any]) -> str:
    from django.template import Context, Template

    return Template(source).render(Context(context))


def test_the_inbox_filters_are_the_templates_links() -> None:
    centre = uuid.uuid4()
    views = [("open", "Open <all>", 12), ("new", "New & fresh", 0), ("closed", "Finished", None)]
    loop = (
        "{% for key, label, count in views %}\n"
        '<li><a href="?show={{ key }}{% if centre %}&amp;centre={{ centre }}{% endif %}"'
        '{% if key == show %} aria-current="page"{% endif %}>{{ label }}'
        '{% if count is not None %} <span class="count">{{ count }}</span>{% endif %}</a></li>'
        "{% endfor %}"
    )

    for chosen in (None, centre):
        for show in ("open", "new", "closed"):
            written = str(cards.inbox_filters(views, show=show, centre=chosen))
            assert written == _template(loop, {"views": views, "show": show, "centre": chosen})
    assert "Open &lt;all&gt;" in written and "New &amp; fresh" in written


def test_the_centre_options_are_the_templates_options() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    centres = [(first, 'Centro "Norte"'), (second, "Salud <sur>")]
    loop = (
        '{% for id, name in centres %}<option value="{{ id }}"'
        "{% if id == centre %} selected{% endif %}>{{ name }}</option>{% endfor %}"
    )

    for selected in (None, first, second):
        written = str(cards.centre_options(centres, selected=selected))
        assert written == _template(loop, {"centres": centres, "centre": selected})
    assert written.count(" selected") == 1


def test_the_task_tabs_are_the_templates_tabs() -> None:
    counts = task_queries.TaskCounts(today=3, overdue=12, upcoming=0)
    shows = list(task_queries.SHOWS.items())
    loop = (
        "{% for key, label in shows %}\n"
        '<li><a href="?show={{ key }}"{% if key == show %} aria-current="page"{% endif %}>'
        '{{ label }}{% if key == "today" %} <span class="count">{{ counts.today }}</span>'
        '{% elif key == "overdue" %} <span class="count">{{ counts.overdue }}</span>'
        '{% elif key == "upcoming" %} <span class="count">{{ counts.upcoming }}</span>'
        "{% endif %}</a></li>{% endfor %}"
    )

    for language in ("es", "en"):
        with translation.override(language):
            for show in task_queries.SHOWS:
                written = str(cards.task_tabs(shows, show=show, counts=counts))
                expected = _template(loop, {"shows": shows, "show": show, "counts": counts})
                assert written == expected
