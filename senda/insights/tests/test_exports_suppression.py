"""Suppression in a "who does what where" row, checked adversarially: for any tallies, no count
of people under the threshold is published, and no hidden figure can be worked out from the
figures published beside it (a rank test on the row's equations: a hidden figure is known
exactly when its column is not a combination of the other unknowns' columns)."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from senda.casework.models import Community, Sex
from senda.insights.exports import (
    ADULTS,
    CHILDREN,
    PEOPLE_COLUMNS,
    ActivityKind,
    ActivityRow,
    _suppressed_people,
)

LIMIT = 5
SEXES = (Sex.FEMALE, Sex.MALE, Sex.OTHER)
BANDS = (CHILDREN, ADULTS)
COMMUNITIES = (Community.MIGRANT, Community.HOST)
SHORT = {Sex.FEMALE: "f", Sex.MALE: "m", Sex.OTHER: "other"}

# The figures of a row and the equations between them (each: figure = sum of parts). Figures
# that are not exported ("other" sex, sex by community...) are unknowns like the hidden ones.
Equation = tuple[str, list[str]]


def equations() -> list[Equation]:
    result: list[Equation] = [
        ("total", [SHORT[sex] for sex in SEXES]),
        ("total", list(BANDS)),
        ("total", ["migrants", "host"]),
    ]
    for sex in SEXES:
        result.append((SHORT[sex], [f"{SHORT[sex]}_{band}" for band in BANDS]))
    for band in BANDS:
        result.append((band, [f"{SHORT[sex]}_{band}" for sex in SEXES]))
    # the cells of sex, age and community, each a sum of nothing published: ties the
    # community split to the same people as the sex and age split
    for sex in SEXES:
        for band in BANDS:
            result.append(
                (f"{SHORT[sex]}_{band}", [f"{SHORT[sex]}_{band}_{c}" for c in COMMUNITIES])
            )
    for community, column in ((Community.MIGRANT, "migrants"), (Community.HOST, "host")):
        result.append(
            (column, [f"{SHORT[sex]}_{band}_{community}" for sex in SEXES for band in BANDS])
        )
    return result


def rank(rows: list[list[Fraction]]) -> int:
    matrix = [row[:] for row in rows if any(row)]
    if not matrix:
        return 0
    columns = len(matrix[0])
    found = 0
    for column in range(columns):
        pivot = next((r for r in range(found, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[found], matrix[pivot] = matrix[pivot], matrix[found]
        for r in range(len(matrix)):
            if r != found and matrix[r][column] != 0:
                factor = matrix[r][column] / matrix[found][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[found], strict=True)]
        found += 1
    return found


def determined(hidden: str, unknowns: list[str]) -> bool:
    """Whether the row's equations fix ``hidden`` given every published figure."""
    index = {name: position for position, name in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for whole, parts in equations():
        row = [Fraction(0)] * len(unknowns)
        for name, sign in [(whole, 1), *((part, -1) for part in parts)]:
            if name in index:
                row[index[name]] += sign
        rows.append(row)
    without = [[value for i, value in enumerate(row) if i != index[hidden]] for row in rows]
    return rank(rows) == rank(without) + 1


counts = st.integers(min_value=0, max_value=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=12, max_size=12))
def test_no_small_number_published_and_none_recoverable(values: list[int]) -> None:
    groups: dict[tuple[str, str, str], int] = defaultdict(int)
    position = 0
    for sex in SEXES:
        for band in BANDS:
            for community in COMMUNITIES:
                groups[(sex, band, community)] = values[position]
                position += 1
    row = ActivityRow("org", "PA08", ActivityKind.OUTREACH, "2026-03", 1, groups)
    published, any_hidden = _suppressed_people(row, LIMIT)
    # then: no published count is small
    for column in PEOPLE_COLUMNS:
        value = published[column]
        assert value is None or value == 0 or value >= LIMIT, (column, value)
    hidden = [column for column in PEOPLE_COLUMNS if published[column] is None]
    assert any_hidden == bool(hidden)
    # then: every hidden figure stays unknown given what is published
    names = {name for whole, parts in equations() for name in [whole, *parts]}
    unknowns = sorted(name for name in names if name not in PEOPLE_COLUMNS or name in hidden)
    for column in hidden:
        assert not determined(column, unknowns), (column, dict(groups), published)


def test_a_row_without_small_numbers_is_published_whole() -> None:
    groups: dict[tuple[str, str, str], int] = defaultdict(int)
    groups[(Sex.FEMALE, ADULTS, Community.MIGRANT)] = 9
    groups[(Sex.MALE, CHILDREN, Community.HOST)] = 6
    row = ActivityRow("org", "PA08", ActivityKind.OUTREACH, "2026-03", 2, groups)
    published, any_hidden = _suppressed_people(row, LIMIT)
    assert not any_hidden
    assert published["total"] == 15 and published["f_adults"] == 9 and published["m"] == 6
    assert published["migrants"] == 9 and published["host"] == 6


def test_vaccination_rows_split_by_age_only() -> None:
    groups: dict[tuple[str, str, str], int] = defaultdict(int)
    groups[("", CHILDREN, "")] = 12
    groups[("", ADULTS, "")] = 2
    row = ActivityRow("org", "PA08", ActivityKind.VACCINATION, "2026-03", 1, groups)
    published, any_hidden = _suppressed_people(row, LIMIT)
    # 2 adults hidden, and the children with them (else 14 - 12 = 2); sex never recorded
    assert any_hidden and published["adults"] is None and published["children"] is None
    assert published["total"] == 14 and published["f"] is None
