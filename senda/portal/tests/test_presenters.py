from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import translation

from senda.directory.models import WeeklyOpening
from senda.portal.presenters import (
    ages_text,
    clock,
    is_open_at,
    language_label,
    tel_url,
    weekly_hours,
    whatsapp_url,
)

PANAMA = zoneinfo.ZoneInfo("America/Panama")
# A Wednesday, 10:30 in Panama.
WEDNESDAY_MORNING = datetime.datetime(2025, 3, 12, 10, 30, tzinfo=PANAMA)


def opening(weekday: int, opens: int, closes: int, **extra: object) -> WeeklyOpening:
    return WeeklyOpening(
        weekday=weekday,
        opens_minute=opens,
        closes_minute=closes,
        timezone="America/Panama",
        **extra,
    )


def test_open_now_follows_the_local_clock() -> None:
    mornings = [opening(2, 8 * 60, 12 * 60)]

    assert is_open_at(mornings, WEDNESDAY_MORNING) is True
    assert is_open_at(mornings, WEDNESDAY_MORNING.replace(hour=12)) is False
    # The same instant seen from UTC is still 10:30 in Panama.
    assert is_open_at(mornings, WEDNESDAY_MORNING.astimezone(datetime.UTC)) is True
    assert is_open_at([], WEDNESDAY_MORNING) is None


def test_open_now_respects_validity_dates() -> None:
    ended = opening(2, 0, 1440, valid_to=datetime.date(2025, 3, 11))
    starts = opening(2, 0, 1440, valid_from=datetime.date(2025, 3, 13))
    current = opening(2, 0, 1440, valid_from=datetime.date(2025, 3, 12))

    assert is_open_at([ended, starts], WEDNESDAY_MORNING) is False
    assert is_open_at([current], WEDNESDAY_MORNING) is True


def test_weekly_hours_lists_every_day_in_order() -> None:
    hours = weekly_hours([opening(0, 14 * 60, 18 * 60), opening(0, 480, 720), opening(6, 0, 1440)])

    assert [day.weekday for day in hours] == list(range(7))
    assert hours[0].intervals == ["08:00–12:00", "14:00–18:00"]
    assert hours[1].intervals == []
    assert hours[6].intervals == ["00:00–24:00"]
    assert clock(75) == "01:15"


@pytest.mark.parametrize(
    ("number", "extension", "expected"),
    [
        ("+507 523-6000", "", "tel:+5075236000"),
        ("(502) 2222 3333", "", "tel:50222223333"),
        ("+52 55 1234 5678", "ext. 12", "tel:+525512345678;ext=12"),
        ("+1 +2", "", "tel:+12"),
    ],
)
def test_tel_url(number: str, extension: str, expected: str) -> None:
    assert tel_url(number, extension) == expected


@pytest.mark.parametrize(
    ("number", "calling_code", "expected"),
    [
        ("+507 6000-1234", "+507", "https://wa.me/50760001234"),
        ("6000-1234", "+507", "https://wa.me/50760001234"),
        ("50760001234", "+507", "https://wa.me/50760001234"),
        ("6000-1234", "", "https://wa.me/60001234"),
    ],
)
def test_whatsapp_url(number: str, calling_code: str, expected: str) -> None:
    assert whatsapp_url(number, calling_code) == expected


def test_ages_text() -> None:
    with translation.override("en"):
        assert ages_text(15, 29) == "From 15 to 29 years old"
        assert ages_text(18, None) == "18 years old and over"
        assert ages_text(None, 17) == "Up to 17 years old"
        assert ages_text(None, None) == ""


def test_language_label_knows_common_codes_and_keeps_others() -> None:
    with translation.override("en"):
        assert language_label("en") == "English"
        assert language_label("ES") == "Spanish"
        assert language_label("mam", "Mam") == "Mam"
        assert language_label("xyz") == "xyz"
    with translation.override("es"):
        assert language_label("en") == "Inglés"
