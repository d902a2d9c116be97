"""Each source and measure of the engine against hand-counted fixtures."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import OrganisationFactory
from senda.campaigns.models import PlacementEvent
from senda.campaigns.tests.factories import CampaignFactory, PlacementFactory
from senda.casework.models import (
    FollowUpStatus,
    Orientation,
    ParticipantRole,
    ParticipationStatus,
    ReferralReason,
    ReferralStatus,
    Sex,
    Topic,
    TrainingEvent,
    TrainingMode,
    TrainingParticipant,
)
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, ReferralFactory
from senda.directory.models import PublicationStatus
from senda.directory.tests.factories import ServiceFactory
from senda.inquiries.models import Outcome
from senda.inquiries.tests.factories import InquiryFactory
from senda.insights.engine import Filters, Table, indicator_table
from senda.insights.models import IndicatorUnit, Measure, Programme
from senda.insights.tests.indicator_factories import (
    IndicatorFactory,
    ProgrammeFactory,
    aware,
    daily_counts,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 6, 30)


@pytest.fixture
def programme(org_a: Organisation) -> Programme:
    return ProgrammeFactory.create(lead=org_a, partners=[org_a])


@pytest.fixture
def officer(users_a: dict[str, User]) -> User:
    return users_a[Role.PROGRAMME_OFFICER]


def table(user: User, programme: Programme, by: list[str] | None = None, **fields: Any) -> Table:
    filters = Filters(programme=programme, start=START, end=END)
    return indicator_table(
        user=user, indicator=IndicatorFactory.create(**fields), filters=filters, by=by or []
    )


def values(result: Table) -> dict[tuple[str, ...], float | None]:
    return {cell.key: cell.value for cell in result.cells}


def orientation(person: Any, topics: list[str], when: datetime.datetime) -> Orientation:
    record = Orientation.objects.create(
        organisation=person.organisation,
        person=person,
        occurred_at=when,
        channel="in_person",
        place_type="community",
        outcome="informed",
    )
    record.topics.set(Topic.objects.filter(use="orientation", slug__in=topics))
    return record


def test_orientations_by_topic_count_each_topic_and_the_total_once(
    programme: Programme, org_a: Organisation, officer: User
) -> None:
    ana, bea = PersonFactory.create_batch(2, organisation=org_a)
    orientation(ana, ["documents", "regular-migration"], aware(DAY))
    orientation(ana, ["documents"], aware(DAY + datetime.timedelta(days=40)))
    orientation(bea, ["vaccination"], aware(DAY))
    orientation(bea, ["vaccination"], aware(datetime.date(2025, 12, 1)))  # before the period

    counted = table(officer, programme, ["topic"], source="orientations", measure=Measure.COUNT)
    assert values(counted) == {("documents",): 2, ("regular-migration",): 1, ("vaccination",): 1}
    assert counted.total.value == 3  # three orientations, not four topic mentions
    assert counted.labels["topic"]["documents"] == "Documentos"

    people = table(officer, programme, ["topic"], source="orientations", measure=Measure.PEOPLE)
    assert values(people) == {("documents",): 1, ("regular-migration",): 1, ("vaccination",): 1}
    assert people.total.value == 2

    by_month_topic = table(
        officer, programme, ["month", "topic"], source="orientations", measure=Measure.PEOPLE
    )
    margins = {cell.key: cell.value for cell in by_month_topic.margins["month"]}
    assert margins == {("2026-03-01", ""): 2, ("2026-04-01", ""): 1}
    assert {c.key: c.value for c in by_month_topic.margins["topic"]}[("", "documents")] == 1
    assert by_month_topic.total.value == 2

    only_documents = table(
        officer,
        programme,
        source="orientations",
        measure=Measure.COUNT,
        filters={"topic": ["documents"]},
    )
    assert only_documents.total.value == 2


def _referral(person: Any, sent: datetime.datetime, **fields: Any) -> Any:
    return ReferralFactory.create(person=person, sent_at=sent, **fields)


def test_referrals_by_reason_and_status_share_attended_and_median_days(
    programme: Programme, org_a: Organisation, officer: User
) -> None:
    people = PersonFactory.create_batch(5, organisation=org_a)
    sent = aware(DAY, 9)
    # Attended after 1, 3, 4 and 10 days; one still sent.
    for person, days, reason in zip(
        people[:4],
        (1, 3, 4, 10),
        (
            ReferralReason.VACCINATION,
            ReferralReason.VACCINATION,
            ReferralReason.LEGAL,
            ReferralReason.LEGAL,
        ),
        strict=True,
    ):
        _referral(
            person,
            sent,
            reason=reason,
            status=ReferralStatus.ATTENDED,
            attended_at=sent + datetime.timedelta(days=days, hours=2),
        )
    _referral(people[4], sent, reason=ReferralReason.LEGAL)

    by_reason_status = table(
        officer, programme, ["reason", "status"], source="referrals", measure=Measure.COUNT
    )
    assert values(by_reason_status) == {
        ("legal", "attended"): 2,
        ("legal", "sent"): 1,
        ("vaccination", "attended"): 2,
    }
    assert by_reason_status.total.value == 5

    attended = table(
        officer,
        programme,
        ["reason"],
        source="referrals",
        measure=Measure.SHARE,
        unit=IndicatorUnit.PERCENT,
        numerator_filters={"attended": ["yes"]},
    )
    cells = {cell.key: cell for cell in attended.cells}
    assert cells[("legal",)].value == pytest.approx(66.7)
    assert (cells[("legal",)].numerator, cells[("legal",)].denominator) == (2, 3)
    assert cells[("vaccination",)].value == 100
    assert attended.total.value == 80
    assert (attended.total.numerator, attended.total.denominator) == (4, 5)

    median = table(
        officer,
        programme,
        ["reason"],
        source="referrals",
        measure=Measure.MEDIAN_DAYS,
        unit=IndicatorUnit.DAYS,
        duration="sent_to_attended",
    )
    assert values(median) == {("legal",): 7, ("vaccination",): 2}
    assert median.total.value == 3.5
    assert median.total.contributors == 4


def test_follow_ups_done_on_time(programme: Programme, org_a: Organisation, officer: User) -> None:
    due = DAY
    on_time = FollowUpFactory.create(
        person=PersonFactory.create(organisation=org_a),
        due_on=due,
        status=FollowUpStatus.DONE,
        completed_at=aware(due, 18),
    )
    FollowUpFactory.create(
        person=on_time.person,
        due_on=due,
        status=FollowUpStatus.DONE,
        completed_at=aware(due + datetime.timedelta(days=2)),
    )
    FollowUpFactory.create(person=on_time.person, due_on=due)
    FollowUpFactory.create(person=on_time.person, due_on=due, status=FollowUpStatus.CANCELLED)
    result = table(
        officer,
        programme,
        source="follow_ups",
        measure=Measure.SHARE,
        unit=IndicatorUnit.PERCENT,
        filters={"status": ["open", "done"]},
        numerator_filters={"done_on_time": ["yes"]},
    )
    assert (result.total.numerator, result.total.denominator) == (1, 3)
    assert result.total.value == pytest.approx(33.3)


def test_inquiries_answered_within_the_target_time_by_country_and_campaign(
    programme: Programme, org_a: Organisation, officer: User
) -> None:
    campaign = CampaignFactory.create(owner=org_a)
    placement = PlacementFactory.create(campaign=campaign)
    received = aware(DAY, 8)
    InquiryFactory.create(
        organisation=org_a,
        created_at=received,
        answered_at=received + datetime.timedelta(hours=20),
        via=placement.code,
    )
    InquiryFactory.create(
        organisation=org_a, created_at=received, answered_at=received + datetime.timedelta(hours=80)
    )
    InquiryFactory.create(organisation=org_a, created_at=received, country_id="GT", area_id=None)
    InquiryFactory.create(
        organisation=org_a, created_at=received, outcome=Outcome.DUPLICATE_OR_SPAM
    )
    share = table(
        officer,
        programme,
        ["country"],
        source="inquiries",
        measure=Measure.SHARE,
        unit=IndicatorUnit.PERCENT,
        filters={"genuine": ["yes"]},
        numerator_filters={"answered_in_time": ["yes"]},
    )
    cells = {cell.key: cell for cell in share.cells}
    assert (cells[("HN",)].numerator, cells[("HN",)].denominator) == (1, 2)
    assert (cells[("GT",)].numerator, cells[("GT",)].denominator) == (0, 1)
    assert share.total.denominator == 3
    by_campaign = table(officer, programme, ["campaign"], source="inquiries", measure=Measure.COUNT)
    assert values(by_campaign) == {(str(campaign.pk),): 1, ("unknown",): 3}
    assert by_campaign.labels["campaign"][str(campaign.pk)] == str(campaign)


def test_placement_counts_only_for_the_programmes_campaigns(
    org_a: Organisation, officer: User
) -> None:
    ours = CampaignFactory.create(owner=org_a)
    theirs = CampaignFactory.create(owner=org_a)
    programme = ProgrammeFactory.create(lead=org_a, partners=[org_a], with_campaigns=[ours])
    poster, radio = PlacementFactory.create_batch(2, campaign=ours)
    daily_counts(
        poster,
        {
            (DAY, PlacementEvent.VISIT): 30,
            (DAY + datetime.timedelta(days=1), PlacementEvent.VISIT): 12,
            (DAY, PlacementEvent.CHECKLIST): 9,
        },
    )
    daily_counts(radio, {(DAY, PlacementEvent.VISIT): 7, (DAY, PlacementEvent.INQUIRY): 2})
    daily_counts(PlacementFactory.create(campaign=theirs), {(DAY, PlacementEvent.VISIT): 500})
    visits = table(
        officer,
        programme,
        ["placement"],
        source="placement_counts",
        measure=Measure.SUM,
        filters={"event": ["visit"]},
    )
    assert values(visits) == {(str(poster.pk),): 42, (str(radio.pk),): 7}
    by_event = table(officer, programme, ["event"], source="placement_counts", measure=Measure.SUM)
    assert values(by_event) == {("checklist",): 9, ("inquiry",): 2, ("visit",): 49}


def test_services_verified_in_the_180_days_before_the_end(
    programme: Programme, org_a: Organisation, officer: User
) -> None:
    for days_before in (0, 100, 179):
        ServiceFactory.create(
            owner=org_a, published=True, assured_date=END - datetime.timedelta(days=days_before)
        )
    ServiceFactory.create(
        owner=org_a, published=True, assured_date=END - datetime.timedelta(days=180)
    )
    ServiceFactory.create(owner=org_a, assured_date=END, publication_status=PublicationStatus.DRAFT)
    ServiceFactory.create(owner=OrganisationFactory.create(), published=True, assured_date=END)
    result = table(officer, programme, source="services_verified", measure=Measure.COUNT)
    assert result.total.value == 3


def test_people_trained_by_topic_completed(
    programme: Programme, org_a: Organisation, officer: User
) -> None:
    event = TrainingEvent.objects.create(
        organisation=org_a,
        title="Taller",
        mode=TrainingMode.IN_PERSON,
        starts_on=DAY,
        ends_on=DAY,
    )
    event.topics.set(Topic.objects.filter(use="training", slug__in=["vaccination", "xenophobia"]))
    for index, status in enumerate(
        [ParticipationStatus.COMPLETED] * 3 + [ParticipationStatus.DID_NOT_COMPLETE]
    ):
        TrainingParticipant.objects.create(
            event=event, name=f"P{index}", role=ParticipantRole.PROMOTER, status=status
        )
    result = table(
        officer,
        programme,
        ["topic"],
        source="training",
        measure=Measure.COUNT,
        filters={"status": ["completed"]},
    )
    assert values(result) == {("vaccination",): 3, ("xenophobia",): 3}
    assert result.total.value == 3
    only_xenophobia = table(
        officer,
        programme,
        source="training",
        measure=Measure.COUNT,
        filters={"topic": ["xenophobia"], "status": ["completed"]},
    )
    assert only_xenophobia.total.value == 3


def test_dashboard_filters_on_people_and_those_a_source_cannot_apply(
    programme: Programme, org_a: Organisation, officer: User
) -> None:
    PersonFactory.create_batch(2, organisation=org_a, sex=Sex.FEMALE, registered_at=aware(DAY))
    PersonFactory.create(organisation=org_a, sex=Sex.MALE, registered_at=aware(DAY))
    filters = Filters(programme=programme, start=START, end=END, sexes=("female",))
    result = indicator_table(
        user=officer,
        indicator=IndicatorFactory.create(source="people", measure=Measure.PEOPLE),
        filters=filters,
    )
    assert result.total.value == 2
    visits = indicator_table(
        user=officer,
        indicator=IndicatorFactory.create(source="placement_counts", measure=Measure.SUM),
        filters=filters,
    )
    assert visits.unsupported_filters == ["sex"]


def test_totals_of_people_take_one_query_grouping_sets_on_postgresql(
    programme: Programme, org_a: Organisation, officer: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = PersonFactory.create(organisation=org_a)
    orientation(person, ["documents"], aware(DAY))
    orientation(person, ["documents"], aware(DAY + datetime.timedelta(days=40)))
    indicator = IndicatorFactory.create(source="orientations", measure=Measure.PEOPLE)
    filters = Filters(programme=programme, start=START, end=END)
    indicator_table(user=officer, indicator=indicator, filters=filters, by=["month"])
    with CaptureQueriesContext(connection) as captured:
        result = indicator_table(user=officer, indicator=indicator, filters=filters, by=["month"])
    assert result.total.value == 1  # one person in two months
    aggregate = [q["sql"] for q in captured.captured_queries if "COUNT(DISTINCT" in q["sql"]]
    assert len(aggregate) == 1
    if connection.vendor == "postgresql":
        assert "GROUPING SETS" in aggregate[0]
    else:
        assert "UNION ALL" in aggregate[0]
