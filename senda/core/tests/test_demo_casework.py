"""The field-work demo: the Panama project's figures, every referral and task state, the
information points elsewhere, idempotence, reset, and no personal value in clear text."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from senda.accounts.models import Membership, User
from senda.accounts.roles import Role
from senda.casework.models import (
    CentreAssignment,
    FollowUp,
    FollowUpStatus,
    OutreachActivity,
    Person,
    Referral,
    ReferralOutcome,
    ReferralReason,
    ReferralStatus,
    Team,
    TrainingEvent,
    VaccinationSession,
)
from senda.casework.queries.people import duplicate_pairs
from senda.core import demo
from senda.core.demo import casework
from senda.core.demo.directory_data import HEALTH_CENTRES

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(demo_output: str) -> None:
    """The demo, loaded once for the module (see conftest.py)."""


def _pa_referrals() -> list[Referral]:
    return list(Referral.objects.filter(organisation__slug="demo-pa"))


def test_panama_project_figures(loaded: None) -> None:
    promoters = Membership.objects.filter(
        organisation__slug="demo-pa", role=Role.HEALTH_PROMOTER
    ).count()
    volunteers = Membership.objects.filter(
        organisation__slug="demo-pa", role=Role.COMMUNITY_VOLUNTEER
    ).count()
    assert (promoters, volunteers) == (8, 14)
    assert Team.objects.filter(organisation__slug="demo-pa").count() == 2
    assert set(
        Team.objects.filter(organisation__slug="demo-pa").values_list(
            "supervisor__username", flat=True
        )
    ) == {"supervisora.pa"}
    centres = CentreAssignment.objects.filter(organisation__slug="demo-pa-salud")
    assert set(centres.values_list("location__external_identifier", flat=True)) == {
        centre.key for centre in HEALTH_CENTRES
    }
    assert centres.values("user").distinct().count() == 5

    registered, tallied = casework.reached_in_panama()
    assert 400 <= registered <= 500
    assert registered + tallied >= 7_000
    assert 50 <= OutreachActivity.objects.filter(organisation__slug="demo-pa").count() <= 80
    assert 8 <= VaccinationSession.objects.filter(organisation__slug="demo-pa").count() <= 12
    assert 4 <= TrainingEvent.objects.filter(organisation__slug="demo-pa").count() <= 6
    people = Person.objects.filter(organisation__slug="demo-pa")
    assert 0.7 <= people.filter(consents_to_contact=True).count() / registered <= 0.9
    assert people.filter(orientations__isnull=False).distinct().count() > registered * 0.8


def test_referrals_lifecycle_and_covid_cases(loaded: None) -> None:
    referrals = _pa_referrals()
    assert len(referrals) == 351
    assert {r.reason for r in referrals} <= {
        ReferralReason.VACCINATION,
        ReferralReason.MEDICAL_CARE,
        ReferralReason.PRENATAL_CARE,
        ReferralReason.SUSPECTED_COVID,
    }
    covid = [r for r in referrals if r.reason == ReferralReason.SUSPECTED_COVID]
    assert len(covid) == 15
    assert all(
        r.status == ReferralStatus.CLOSED and r.outcome == ReferralOutcome.TESTED_NEGATIVE
        for r in covid
    )
    statuses = {r.status for r in referrals}
    assert statuses == set(ReferralStatus.values)
    closed = [r for r in referrals if r.status == ReferralStatus.CLOSED]
    assert len(closed) > 351 * 0.8
    assert all(r.outcome for r in closed)
    assert all(r.decline_reason for r in referrals if r.status == ReferralStatus.DECLINED)
    now = timezone.now()
    assert any(r.status == ReferralStatus.SENT and r.receive_by < now for r in referrals)
    # Every centre received some, handled by its own focal point; the history is past.
    assert len({r.location_id for r in referrals}) == 5
    assert min(r.sent_at for r in referrals) < now - datetime.timedelta(days=150)


def test_follow_ups_in_every_state_and_the_other_countries(loaded: None) -> None:
    today = timezone.localdate()
    tasks = FollowUp.objects.filter(organisation__slug="demo-pa")
    open_tasks = tasks.filter(status=FollowUpStatus.OPEN)
    assert open_tasks.filter(due_on=today).exists()
    assert open_tasks.filter(due_on__lt=today).exists()
    assert open_tasks.filter(due_on__gt=today).exists()
    assert tasks.filter(status=FollowUpStatus.DONE).exclude(note="").exists()
    assert tasks.filter(status=FollowUpStatus.CANCELLED).exists()
    assert tasks.filter(rule__isnull=False).exists() and tasks.filter(rule__isnull=True).exists()
    for username in ("promotor.pa", "voluntaria.pa"):
        assert open_tasks.filter(assigned_to__username=username).exists(), username

    for slug in ("demo-gt", "demo-mx", "demo-hn", "demo-sv", "demo-ni", "demo-cr"):
        count = Person.objects.filter(organisation__slug=slug).count()
        assert 5 <= count <= 25, slug  # smaller activity than Panama's
        assert FollowUp.objects.filter(organisation__slug=slug).exists(), slug
    legal = Referral.objects.filter(reason=ReferralReason.LEGAL)
    assert legal.exists()
    assert legal.values("organisation").annotate(n=Count("id")).count() >= 3


def test_supervisor_sees_possible_duplicates(loaded: None) -> None:
    supervisor = User.objects.get(username="supervisora.pa")
    assert duplicate_pairs(user=supervisor)


def test_second_load_adds_nothing_and_reset_removes_the_field_work(loaded: None) -> None:
    def counts() -> dict[str, int]:
        return {
            "people": Person.objects.count(),
            "referrals": Referral.objects.count(),
            "tasks": FollowUp.objects.count(),
            "outreach": OutreachActivity.objects.count(),
            "users": User.objects.count(),
        }

    before = counts()
    world = demo.load_all()
    assert counts() == before
    assert "field work" not in world.loaded

    casework.reset()
    assert not Person.objects.filter(organisation__slug__startswith="demo-").exists()
    assert not Referral.objects.exists()
    assert not FollowUp.objects.exists()
    assert not OutreachActivity.objects.exists()
    assert not User.objects.filter(username__in=casework.field_worker_usernames()).exists()
    # The demo logins stay (accounts owns them); test_demo.py reloads everything after a reset.
    assert User.objects.filter(username="promotor.pa").exists()


def _text_columns() -> list[tuple[str, str]]:
    """Every column of every table (the test reads them with SQL, not the ORM)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = [row[0] for row in cursor.fetchall()]
            columns = []
            for table in tables:
                cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
                columns += [(table, row[1]) for row in cursor.fetchall()]
            return columns
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'json', 'jsonb')"
        )
        return list(cursor.fetchall())


def _database_holds(value: str, columns: list[tuple[str, str]]) -> bool:
    quote = connection.ops.quote_name
    cast = "" if connection.vendor == "sqlite" else "::text"
    with connection.cursor() as cursor:
        for table, column in columns:
            cursor.execute(
                f"SELECT 1 FROM {quote(table)} WHERE {quote(column)}{cast} LIKE %s LIMIT 1",  # noqa: S608
                [f"%{value}%"],
            )
            if cursor.fetchone():
                return True
    return False


def test_no_name_or_phone_in_clear_text(loaded: None) -> None:
    sample = list(Person.objects.filter(organisation__slug="demo-pa").exclude(phone="")[:20])
    assert sample
    values = {p.family_name for p in sample} | {p.phone for p in sample}
    values |= {f"{p.given_name} {p.family_name}" for p in sample}
    columns = _text_columns()
    assert [value for value in values if _database_holds(value, columns)] == []
