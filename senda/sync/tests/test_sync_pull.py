"""Downloads: the first sync's snapshot page by page (resumable), then only what changed;
records that leave the scope go as removed; nobody receives what they may not see."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import pytest
from django.db.models import Count, Max
from django.test import Client
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import MembershipFactory, OrganisationFactory, member
from senda.casework.actions import people as people_actions
from senda.casework.actions import referrals as referral_actions
from senda.casework.models import FollowUpStatus, Person, TopicUse
from senda.casework.tests.factories import (
    FollowUpFactory,
    PersonFactory,
    ReferralFactory,
    TeamFactory,
    TopicFactory,
    health_service,
)
from senda.core.models import AuditEntry
from senda.geo.models import AdminArea
from senda.sync import feed, protocol, queries, records
from senda.sync.models import Device
from senda.sync.tests.helpers import in_panama, phone, pull_all, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoter(org_a: Organisation, users_a: dict[str, User]) -> User:
    in_panama(org_a)
    return users_a[Role.HEALTH_PROMOTER]


def ids_of(found: list[dict[str, Any]], kind: str, *, deleted: bool = False) -> list[str]:
    return [r["id"] for r in found if r["kind"] == kind and r["deleted"] is deleted]


def test_first_sync_pages_through_the_scope_and_resumes_where_it_stopped(
    org_a: Organisation, org_b: Organisation, promoter: User
) -> None:
    people = [PersonFactory.create(organisation=org_a, registered_by=promoter) for _ in range(7)]
    service = health_service(org_b)
    referral = referral_actions.referral_create(
        actor=promoter, person=people[0], service_at_location=service, reason="vaccination"
    )
    task = FollowUpFactory.create(person=people[1], assigned_to=promoter, organisation=org_a)
    _device, token = register(promoter)
    client = phone(token)

    first = client.get("/api/sync/pull", {"limit": 4}).json()
    assert len(first["records"]) == 4 and first["more"] is True
    assert {r["kind"] for r in first["records"]} == {"topic"}
    # An interrupted first sync continues from its cursor: nothing twice, nothing missing.
    rest, _cursor = pull_all(client, limit=5, cursor=first["cursor"])
    snapshot = first["records"] + rest
    person_ids = ids_of(snapshot, "person")
    assert sorted(set(person_ids)) == sorted(str(p.pk) for p in people)
    assert ids_of(snapshot, "referral")[0] == str(referral.pk)
    assert str(task.pk) in ids_of(snapshot, "follow_up")
    assert str(service.pk) in ids_of(snapshot, "service")
    assert "PA0805" in ids_of(snapshot, "area")
    assert len(ids_of(snapshot, "topic")) == 9
    # The snapshot itself sends each record once (the feed after it may repeat changes).
    topics_and_areas = [r["id"] for r in snapshot if r["kind"] in {"topic", "area"}]
    assert len(topics_and_areas) == len(set(topics_and_areas))
    person = next(r for r in snapshot if r["id"] == str(people[0].pk))
    assert person["data"]["given_name"] == people[0].given_name
    assert person["data"]["phone"] == people[0].phone  # decrypted for the device


def test_after_the_first_sync_only_what_changed_comes(
    org_a: Organisation,
    org_b: Organisation,
    promoter: User,
    users_b: dict[str, User],
) -> None:
    people = [PersonFactory.create(organisation=org_a, registered_by=promoter) for _ in range(3)]
    referral = referral_actions.referral_create(
        actor=promoter,
        person=people[0],
        service_at_location=health_service(org_b),
        reason="vaccination",
    )
    _device, token = register(promoter)
    client = phone(token)
    _everything, cursor = pull_all(client)

    nothing_new, cursor = pull_all(client, cursor=cursor)
    assert nothing_new == []
    # The health centre acts on the referral; the promoter's next pull has it.
    focal_point = users_b[Role.FOCAL_POINT]
    referral_actions.referral_mark_received(actor=focal_point, referral_id=referral.pk)
    referral_actions.referral_accept(actor=focal_point, referral_id=referral.pk)
    referral_actions.referral_mark_attended(actor=focal_point, referral_id=referral.pk, note="Vino")
    changed, cursor = pull_all(client, cursor=cursor)
    referrals = [r for r in changed if r["kind"] == "referral"]
    assert [r["id"] for r in referrals] == [str(referral.pk)]
    assert referrals[0]["data"]["status"] == "attended"
    assert [e["to"] for e in referrals[0]["data"]["history"]][-1] == "attended"
    assert not [r for r in changed if r["kind"] == "person" and r["id"] != str(people[0].pk)]
    # A change made on the server to a person comes too.
    people_actions.person_update(actor=promoter, person=people[2], phone="+507 6000-0001")
    changed, cursor = pull_all(client, cursor=cursor)
    assert [(r["kind"], r["data"].get("phone")) for r in changed if r["kind"] == "person"] == [
        ("person", "+507 6000-0001")
    ]


def test_erasure_and_withdrawn_consent_send_removals(
    org_a: Organisation, org_b: Organisation, promoter: User, users_a: dict[str, User]
) -> None:
    erased, withdrawn = (
        PersonFactory.create(organisation=org_a, registered_by=promoter) for _ in range(2)
    )
    referral = referral_actions.referral_create(
        actor=promoter,
        person=erased,
        service_at_location=health_service(org_b),
        reason="vaccination",
    )
    _device, token = register(promoter)
    client = phone(token)
    _everything, cursor = pull_all(client)

    people_actions.person_erase(
        actor=users_a[Role.PROGRAMME_OFFICER],
        person=erased,
        reason="request",
    )
    people_actions.consent_withdraw(actor=promoter, person=withdrawn, scope="record")
    changed, _cursor = pull_all(client, cursor=cursor)
    removed = {(r["kind"], r["id"]) for r in changed if r["deleted"]}
    assert ("person", str(erased.pk)) in removed
    assert ("person", str(withdrawn.pk)) in removed
    assert ("referral", str(referral.pk)) in removed
    assert all(r["data"] == {} for r in changed if r["deleted"])
    assert not [r for r in changed if not r["deleted"] and r["kind"] == "person"]


def test_a_volunteer_never_receives_another_volunteers_people(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    in_panama(org_a)
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    other = member(org_a, Role.COMMUNITY_VOLUNTEER, username="a-other-volunteer")
    mine = PersonFactory.create(organisation=org_a, registered_by=volunteer)
    theirs = PersonFactory.create(organisation=org_a, registered_by=other)
    elsewhere = PersonFactory.create(
        organisation=org_b, registered_by=users_b[Role.HEALTH_PROMOTER]
    )
    _device, token = register(volunteer)
    client = phone(token)
    snapshot, cursor = pull_all(client)
    assert set(ids_of(snapshot, "person")) == {str(mine.pk)}
    # Changes to the others' people (even their erasure) never reach this phone.
    people_actions.person_update(actor=other, person=theirs, phone="+507 6000-0002")
    people_actions.consent_withdraw(actor=other, person=theirs, scope="record")
    people_actions.person_update(
        actor=users_b[Role.HEALTH_PROMOTER], person=elsewhere, phone="+507 6000-0003"
    )
    changed, _cursor = pull_all(client, cursor=cursor)
    assert {r["id"] for r in changed} <= {str(mine.pk)}
    sent = " ".join(str(r) for r in snapshot + changed)
    assert str(theirs.pk) not in sent and str(elsewhere.pk) not in sent


def test_a_promoter_gets_the_organisations_people_and_only_them(
    org_a: Organisation,
    org_b: Organisation,
    promoter: User,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    ours = PersonFactory.create(organisation=org_a, registered_by=users_a[Role.COMMUNITY_VOLUNTEER])
    theirs = PersonFactory.create(organisation=org_b, registered_by=users_b[Role.HEALTH_PROMOTER])
    _device, token = register(promoter)
    snapshot, _cursor = pull_all(phone(token))
    people = set(ids_of(snapshot, "person"))
    assert str(ours.pk) in people and str(theirs.pk) not in people


def test_a_tampered_or_foreign_cursor_is_refused(promoter: User, users_a: dict[str, User]) -> None:
    _device, token = register(promoter)
    client = phone(token)
    cursor = client.get("/api/sync/pull", {"limit": 2}).json()["cursor"]
    tampered = client.get("/api/sync/pull", {"cursor": cursor[:-3] + "abc"})
    assert tampered.status_code == 400 and tampered.json()["code"] == "bad_cursor"
    assert client.get("/api/sync/pull", {"cursor": "nonsense"}).json()["code"] == "bad_cursor"
    _other, other_token = register(users_a[Role.INFO_POINT_STAFF])
    foreign = phone(other_token).get("/api/sync/pull", {"cursor": cursor})
    assert foreign.status_code == 400 and foreign.json()["code"] == "bad_cursor"


def test_a_page_costs_a_fixed_number_of_queries(
    org_a: Organisation, org_b: Organisation, promoter: User, django_assert_max_num_queries: Any
) -> None:
    service = health_service(org_b)
    people = [PersonFactory.create(organisation=org_a, registered_by=promoter) for _ in range(30)]
    for person in people[:10]:
        referral_actions.referral_create(
            actor=promoter, person=person, service_at_location=service, reason="vaccination"
        )
        FollowUpFactory.create(person=person, assigned_to=promoter, organisation=org_a)
    device, _token = register(promoter)
    device = type(device).objects.select_related("user", "organisation").get(pk=device.pk)
    cursor = None
    with django_assert_max_num_queries(40):
        first = protocol.pull(device=device, cursor=cursor, limit=500)
    assert len(ids_of(first["records"], "person")) == 30
    with django_assert_max_num_queries(40):
        feed_page = protocol.pull(device=device, cursor=first["cursor"], limit=500)
    # The feed starts where the snapshot did: nothing of it comes again.
    assert feed_page["records"] == []


def test_a_first_sync_watches_the_commits_still_in_flight_when_it_starts(
    org_a: Organisation, promoter: User
) -> None:
    """An id handed out before the first sync began but committed after the snapshot was
    read (PostgreSQL): the feed sends it; what the snapshot had does not come again."""
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    late = PersonFactory.create(organisation=org_a, registered_by=promoter)
    device, token = register(promoter)
    client = phone(token)
    top = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # Id top+2 committed; top+1 still "in flight" when the first sync starts.
    AuditEntry.objects.create(
        id=top + 2,
        action="casework.person_update",
        object_type="casework.person",
        object_id=str(person.pk),
    )
    snapshot = client.get("/api/sync/pull").json()
    assert set(ids_of(snapshot["records"], "person")) == {str(person.pk), str(late.pk)}
    position = feed.decode(snapshot["cursor"], device_id=str(device.pk)).feed
    assert position.last == top + 2
    # (On PostgreSQL, the ids of earlier tests' rolled-back rows are holes too.)
    assert (top + 1, top + 1) in [(a, b) for a, b, _seen in position.gaps]
    page = client.get("/api/sync/pull", {"cursor": snapshot["cursor"]}).json()
    assert page["records"] == []
    # The late one commits, below where the feed starts: the next pull sends it.
    AuditEntry.objects.create(
        id=top + 1,
        action="casework.person_update",
        object_type="casework.person",
        object_id=str(late.pk),
    )
    page = client.get("/api/sync/pull", {"cursor": page["cursor"]}).json()
    assert ids_of(page["records"], "person") == [str(late.pk)]


def test_a_first_sync_with_too_many_holes_starts_the_feed_before_the_window(
    org_a: Organisation, promoter: User, settings: Any
) -> None:
    """More holes than a cursor keeps: the feed starts before the window (what changed in it
    comes twice, nothing is missed)."""
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    top = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for step in range(feed.MAX_GAPS + 1):
        AuditEntry.objects.create(
            id=top + 2 * (step + 1),
            action="casework.person_update",
            object_type="casework.person",
            object_id=str(person.pk),
        )
    position = feed.start_position(timezone.now())
    # Not after the holes (it would be top + 2 * (MAX_GAPS + 1)), and watching none.
    assert position.last < top + 2
    assert position.gaps == []


def test_a_commit_that_lands_behind_the_cursor_is_not_skipped(
    org_a: Organisation, promoter: User
) -> None:
    """An id handed out earlier but committed later (PostgreSQL): the hole is watched."""
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    late = PersonFactory.create(organisation=org_a, registered_by=promoter)
    device, _token = register(promoter)
    top = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # Id top+2 committed; top+1 still "in flight".
    AuditEntry.objects.create(
        id=top + 2,
        action="casework.person_update",
        object_type="casework.person",
        object_id=str(person.pk),
    )
    now = timezone.now()
    page = feed.read(feed.FeedPosition(last=top), limit=100, now=now)
    assert ("person", str(person.pk)) in page.changes
    assert page.position.last == top + 2
    assert [(a, b) for a, b, _seen in page.position.gaps] == [(top + 1, top + 1)]
    # Now the late one commits, below the position already reached: the next read has it.
    AuditEntry.objects.create(
        id=top + 1,
        action="casework.person_update",
        object_type="casework.person",
        object_id=str(late.pk),
    )
    page = feed.read(page.position, limit=100, now=now + datetime.timedelta(seconds=1))
    assert page.changes == [("person", str(late.pk))]
    assert page.position.gaps == []
    # Encoded and decoded, a position with holes survives the round trip.
    cursor = feed.Cursor(
        device_id=str(device.pk), phase="feed", feed=feed.FeedPosition(last=5, gaps=[(3, 4, 100)])
    )
    assert feed.decode(feed.encode(cursor), device_id=str(device.pk)).feed.gaps == [(3, 4, 100)]


def test_a_hole_that_never_fills_is_dropped_after_the_window(
    org_a: Organisation, promoter: User
) -> None:
    top = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    AuditEntry.objects.create(id=top + 3, action="x.y", object_type="", object_id="")
    now = timezone.now()
    page = feed.read(feed.FeedPosition(last=top), limit=100, now=now)
    assert [(a, b) for a, b, _seen in page.position.gaps] == [(top + 1, top + 2)]
    later = now + datetime.timedelta(hours=1)
    assert feed.read(page.position, limit=100, now=later).position.gaps == []


def test_the_feed_skips_other_organisations_entries_but_not_their_steps_on_referrals(
    org_a: Organisation, org_b: Organisation, promoter: User, users_b: dict[str, User]
) -> None:
    # given 30 people registered in another organisation after a position in the feed
    ours = PersonFactory.create(organisation=org_a, registered_by=promoter, consents_to_share=True)
    referral = referral_actions.referral_create(
        actor=promoter, person=ours, service_at_location=health_service(org_b), reason="vaccination"
    )
    top = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    in_panama(org_b)
    other = users_b[Role.HEALTH_PROMOTER]
    for number in range(30):
        people_actions.person_register(
            actor=other, organisation=org_b, consent_record=True, given_name=f"B{number}",
            sex="female", community="host", age_group="18-29", confirm_new=True,
        )  # fmt: skip
    # and one change of ours and one step of the receiving side on our referral
    people_actions.person_update(actor=promoter, person=ours, notes="Nueva nota")
    AuditEntry.objects.create(
        action="casework.referral_receive",
        object_type="casework.referral",
        object_id=str(referral.pk),
        organisation=org_b,
    )
    # when the feed is read for our organisation, 5 entries a page
    page = feed.read(
        feed.FeedPosition(last=top), limit=5, now=timezone.now(), organisation_id=org_a.pk
    )
    # then one page has both, without paging through the other organisation's entries
    assert page.changes == [("person", str(ours.pk)), ("referral", str(referral.pk))]
    assert page.more is False
    # and without an organisation every entry counts (5 of the other's first)
    everything = feed.read(feed.FeedPosition(last=top), limit=5, now=timezone.now())
    assert everything.more is True and ("person", str(ours.pk)) not in everything.changes


def test_pull_needs_a_device(promoter: User) -> None:
    answer = Client().get("/api/sync/pull")
    assert answer.status_code == 401 and answer.json()["code"] == "device_unknown"
    assert Person.objects.count() == 0


def test_a_token_reads_its_device_worker_and_memberships_in_one_query(
    org_a: Organisation,
    org_b: Organisation,
    promoter: User,
    django_assert_num_queries: Any,
) -> None:
    """What every sync request reads first: the device with its token, worker and
    organisation, and the worker's memberships that count, in the ORM's order."""
    closed = OrganisationFactory.create(is_active=False)
    later = OrganisationFactory.create()
    MembershipFactory.create(user=promoter, organisation=org_b, role=Role.HEALTH_PROMOTER)
    MembershipFactory.create(user=promoter, organisation=closed, role=Role.HEALTH_PROMOTER)
    MembershipFactory.create(
        user=promoter, organisation=later, role=Role.HEALTH_PROMOTER, is_active=False
    )
    registered, token = register(promoter)
    expected = [
        (membership.pk, membership.organisation.name, membership.role)
        for membership in User.objects.get(pk=promoter.pk).active_memberships()
    ]
    assert [name for _pk, name, _role in expected] == [org_a.name, org_b.name]
    with django_assert_num_queries(1):
        device = queries.device_for_token(token=token)
        assert device is not None
        assert (device.pk, device.user.pk, device.organisation.pk) == (
            registered.pk,
            promoter.pk,
            org_a.pk,
        )
        assert device.api_token.token_hash == registered.api_token.token_hash
        assert device.api_token.field_device is device
        found = [
            (membership.pk, membership.organisation.name, membership.role)
            for membership in device.user.active_memberships()
        ]
        assert all(m.user is device.user for m in device.user.active_memberships())
        assert queries.device_may_sync(device=device)
    assert found == expected
    assert device.last_seen_at == registered.last_seen_at
    assert device.created_at == registered.created_at
    assert queries.device_for_token(token=token + "x") is None
    assert queries.device_for_token(token="") is None


def test_a_worker_without_field_work_there_any_more_is_read_with_no_memberships(
    org_a: Organisation, promoter: User
) -> None:
    _device, token = register(promoter)
    promoter.memberships.update(is_active=False)
    device = queries.device_for_token(token=token)
    assert device is not None and device.user.active_memberships() == []
    assert not queries.device_may_sync(device=device)


def test_pages_of_people_referrals_and_tasks_are_the_orm_scope_of_every_field_role(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    """The first sync reads its pages of people, referrals and tasks in plain SQL: the same
    records, in the same order, as ``scope_people``, ``scope_referrals`` and
    ``scope_follow_ups`` for a role seeing its own registrations, its team's or the whole
    organisation's; never the erased or merged, never another organisation's, never a task
    cancelled or done too long ago."""
    in_panama(org_a)
    volunteer, supervisor = users_a[Role.COMMUNITY_VOLUNTEER], users_a[Role.SUPERVISOR]
    team = TeamFactory.create(organisation=org_a, supervisor=supervisor)
    team.members.add(volunteer)
    now = timezone.now()
    service = health_service(org_b)
    field_users = [user for user in users_a.values() if queries.field_membership(user)]
    people = [
        PersonFactory.create(organisation=org_a, registered_by=user)
        for user in users_a.values()
        for _copy in range(2)
    ]
    statuses = [
        (FollowUpStatus.OPEN, None),
        (FollowUpStatus.DONE, now - datetime.timedelta(days=2)),
        (FollowUpStatus.DONE, now - datetime.timedelta(days=40)),
        (FollowUpStatus.CANCELLED, None),
    ]
    # Each field worker referred everyone and has a task about everyone: what they receive
    # is narrowed by whom they see.
    for number, person in enumerate(people):
        for user in field_users:
            ReferralFactory.create(person=person, referred_by=user, at=service)
            status, completed_at = statuses[number % len(statuses)]
            FollowUpFactory.create(
                person=person,
                organisation=org_a,
                assigned_to=user,
                status=status,
                completed_at=completed_at,
            )
    stranger = PersonFactory.create(organisation=org_b, registered_by=volunteer)
    FollowUpFactory.create(person=stranger, organisation=org_b, assigned_to=volunteer)
    Person.objects.filter(pk=people[0].pk).update(erased_at=timezone.now())
    Person.objects.filter(pk=people[2].pk).update(merged_into=people[3])
    sizes_seen: dict[str, set[int]] = {"person": set(), "referral": set(), "follow_up": set()}
    for user in field_users:
        role = user.active_membership().role  # type: ignore[union-attr]
        registered, _token = register(user)
        device = Device.objects.select_related("user", "organisation").get(pk=registered.pk)
        for kind, orm_scope, scope, page in (
            (
                "person",
                queries.scope_people(device=device),
                queries.scope_people_sql(device=device),
                records.person_page,
            ),
            (
                "referral",
                queries.scope_referrals(device=device),
                queries.scope_referrals_sql(device=device),
                records.referral_page,
            ),
            (
                "follow_up",
                queries.scope_follow_ups(device=device, now=now),
                queries.scope_follow_ups_sql(device=device, now=now),
                records.follow_up_page,
            ),
        ):
            expected = records.read(kind, orm_scope.order_by("pk"))
            found = [] if scope is None else page(scope, after=None, limit=500)
            assert found == expected, (role, kind)
            if scope is not None and len(expected) >= 4:
                after = expected[1]["id"]
                assert page(scope, after=after, limit=2) == expected[2:4], (role, kind)
            sizes_seen[kind].add(len(expected))
    # Own registrations, the team's and the whole organisation's: three sizes of scope.
    assert all(len(sizes) >= 3 for sizes in sizes_seen.values()), sizes_seen


def _fingerprint_read_by_the_orm(device: Device) -> str:
    """How the reference lists' fingerprint was read before it was plain SQL."""
    organisation = device.organisation
    topics = list(
        queries.scope_topics()
        .order_by("pk")
        .values_list("pk", "slug", "name", "translations", "is_active", "position")
    )
    services = queries.scope_services(organisation=organisation).aggregate(
        count=Count("pk"),
        services=Max("service__updated_at"),
        locations=Max("location__updated_at"),
    )
    areas = queries.scope_areas(organisation=organisation).count()
    text = json.dumps([topics, services, areas], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def test_the_reference_fingerprint_reads_as_the_orm_and_moves_with_each_list(
    org_a: Organisation, org_b: Organisation, promoter: User
) -> None:
    registered, _token = register(promoter)
    device = Device.objects.select_related("organisation").get(pk=registered.pk)
    seen = set()

    def fingerprint() -> str:
        found = protocol.reference_fingerprint(device)
        assert found == _fingerprint_read_by_the_orm(device)
        seen.add(found)
        return found

    fingerprint()
    topic = TopicFactory.create(
        use=TopicUse.ORIENTATION, translations={"en": {"name": "Vaccines"}}, position=3
    )
    TopicFactory.create(use=TopicUse.TRAINING)  # not on the phone: no change
    fingerprint()
    topic.is_active = False
    topic.save()
    fingerprint()
    sal = health_service(org_b)
    fingerprint()
    sal.service.name = "Centro de salud de Chorrera"
    sal.service.save()
    fingerprint()
    sal.location.save()
    fingerprint()
    AdminArea.objects.create(
        pcode="PA9999", country_id="PA", level=1, name="Nueva", latitude=9.0, longitude=-79.5
    )
    assert len(seen) == 6
    fingerprint()
    assert len(seen) == 7
    # An organisation without a country: no services or areas, the same fingerprint both ways.
    Organisation.objects.filter(pk=org_a.pk).update(country=None)
    device.organisation.refresh_from_db()
    fingerprint()
