from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections
from django.test import RequestFactory
from django.utils import timezone

from senda.campaigns.actions import placement_record_event
from senda.campaigns.attribution import CODE_LENGTH, new_code, placement_code
from senda.campaigns.models import PlacementDailyCount
from senda.campaigns.tests.factories import PlacementFactory


def test_placement_code_reads_get_then_post_and_refuses_bad_shapes() -> None:
    factory = RequestFactory()
    assert placement_code(factory.get("/", {"via": "ab12cd3"})) == "ab12cd3"
    assert placement_code(factory.get("/", {"via": " AB12CD3 "})) == "ab12cd3"
    assert placement_code(factory.post("/", {"via": "ab12cd3"})) == "ab12cd3"
    for bad in ("", "short", "ab12cd34", "ab12cd!", "abcdefi", "<script>", "x" * 500):
        assert placement_code(factory.get("/", {"via": bad})) == ""
    assert placement_code(factory.get("/")) == ""


def test_new_codes_have_the_shape_placement_code_accepts() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    factory = RequestFactory()
    assert all(placement_code(factory.get("/", {"via": c})) == c for c in codes)
    assert all(len(c) == CODE_LENGTH for c in codes)


def test_two_events_on_the_same_day_add_up_in_one_row(db: None) -> None:
    placement = PlacementFactory.create()
    placement_record_event(code=placement.code, event="visit")
    placement_record_event(code=placement.code, event="visit")
    placement_record_event(code=placement.code, event="checklist")
    rows = {
        (row.event, row.day): row.count
        for row in PlacementDailyCount.objects.filter(placement=placement)
    }
    today = timezone.localdate()
    assert rows == {("visit", today): 2, ("checklist", today): 1}


def test_unknown_empty_or_inactive_codes_count_nothing(db: None) -> None:
    placement = PlacementFactory.create(is_active=False)
    for code in ("", "zzzzzzz", "not a code", placement.code):
        placement_record_event(code=code, event="inquiry")
    assert not PlacementDailyCount.objects.exists()


def test_an_unknown_event_is_a_programming_error(db: None) -> None:
    placement = PlacementFactory.create()
    with pytest.raises(ValueError):
        placement_record_event(code=placement.code, event="purchase")


def test_a_new_day_starts_a_new_row(db: None) -> None:
    placement = PlacementFactory.create()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    PlacementDailyCount.objects.create(placement=placement, day=yesterday, event="visit", count=5)
    placement_record_event(code=placement.code, event="visit")
    counts = dict(
        PlacementDailyCount.objects.filter(placement=placement).values_list("day", "count")
    )
    assert counts == {yesterday: 5, timezone.localdate(): 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_visits_of_a_day_both_count() -> None:
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        # Shared-cache memory databases lock whole tables and ignore the busy timeout, unlike
        # the WAL file Senda runs on; PostgreSQL runs this race on every change.
        pytest.skip("in-memory SQLite cannot run concurrent writers")
    placement = PlacementFactory.create()
    workers = 4
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def visit() -> None:
        try:
            barrier.wait()
            placement_record_event(code=placement.code, event="visit")
        except BaseException as error:  # reported below: a thread cannot fail the test itself
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visit) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert PlacementDailyCount.objects.get(placement=placement, event="visit").count == workers
