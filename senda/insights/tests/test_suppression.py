"""Small-number suppression against adversarial tables. Every test checks by brute force that
no hidden figure can be worked out from the published ones: a linear-algebra test (is the
hidden figure's unit vector in the row space of the constraints on the hidden figures?) and,
for small tables, an enumeration of every non-negative integer table that agrees with what
is published."""

from __future__ import annotations

import random
from collections.abc import Iterator
from fractions import Fraction

import pytest

from senda.insights.suppression import Figure, Key, suppress_counts

K = 5  # the default threshold


# ---------------------------------------------------------------------------------------------
# Building tables and checking them


def table_1d(cells: dict[str, int]) -> dict[Key, Figure]:
    """Counts of people: contributors equal the value."""
    figures: dict[Key, Figure] = {(key,): Figure(value, value) for key, value in cells.items()}
    figures[("",)] = Figure(sum(cells.values()), sum(cells.values()))
    return figures


def table_2d(grid: list[list[int]]) -> dict[Key, Figure]:
    figures: dict[Key, Figure] = {}
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            figures[(f"r{r}", f"c{c}")] = Figure(value, value)
        figures[(f"r{r}", "")] = Figure(sum(row), sum(row))
    for c in range(len(grid[0])):
        column = sum(row[c] for row in grid)
        figures[("", f"c{c}")] = Figure(column, column)
    total = sum(map(sum, grid))
    figures[("", "")] = Figure(total, total)
    return figures


def constraints(figures: dict[Key, Figure], dimensions: int) -> list[tuple[list[Key], Key]]:
    """Each line: its cells add up to its total."""
    if dimensions == 1:
        return [([key for key in figures if key != ("",)], ("",))]
    rows = sorted({key[0] for key in figures} - {""})
    columns = sorted({key[1] for key in figures} - {""})
    lines: list[tuple[list[Key], Key]] = [([(r, c) for c in columns], (r, "")) for r in rows]
    lines += [([(r, c) for r in rows], ("", c)) for c in columns]
    lines.append(([(r, "") for r in rows], ("", "")))
    lines.append(([("", c) for c in columns], ("", "")))
    return lines


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank = 0
    columns = len(rows[0]) if rows else 0
    for column in range(columns):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][column] != 0:
                factor = rows[i][column] / rows[rank][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def linearly_determined(figures: dict[Key, Figure], hidden: set[Key], dimensions: int) -> list[Key]:
    """Hidden figures whose value follows from the published ones by the lines' equations."""
    unknowns = sorted(hidden)
    if not unknowns:
        return []
    matrix = []
    for cells, total in constraints(figures, dimensions):
        row = [Fraction(0)] * len(unknowns)
        for key in cells:
            if key in hidden:
                row[unknowns.index(key)] += 1
        if total in hidden:
            row[unknowns.index(total)] -= 1
        if any(row):
            matrix.append(row)
    if not matrix:
        return []
    base = _rank(matrix)
    determined = []
    for index, key in enumerate(unknowns):
        unit = [Fraction(1) if i == index else Fraction(0) for i in range(len(unknowns))]
        if _rank([*matrix, unit]) == base:
            determined.append(key)
    return determined


def enumerate_solutions(
    figures: dict[Key, Figure], hidden: set[Key], dimensions: int, bound: int
) -> Iterator[dict[Key, int]]:
    """Every non-negative integer value of the hidden figures (each at most ``bound``) that
    agrees with every published figure and every line's equation."""
    lines = constraints(figures, dimensions)
    unknowns = sorted(hidden)

    def value(key: Key, assigned: dict[Key, int]) -> int | None:
        if key in hidden:
            return assigned.get(key)
        figure = figures.get(key)
        return int(figure.value) if figure is not None else 0

    def consistent(assigned: dict[Key, int]) -> bool:
        for cells, total in lines:
            known_total = value(total, assigned)
            parts = [value(key, assigned) for key in cells]
            known = sum(part for part in parts if part is not None)
            if None not in parts and known_total is not None and known != known_total:
                return False
            if known_total is not None and known > known_total:
                return False
        return True

    def solve(assigned: dict[Key, int]) -> Iterator[dict[Key, int]]:
        if not consistent(assigned):
            return
        free = [key for key in unknowns if key not in assigned]
        if not free:
            yield dict(assigned)
            return
        # Propagate: a line with one unknown left fixes it.
        for cells, total in lines:
            members = [*cells, total]
            missing = [key for key in members if key in hidden and key not in assigned]
            if len(missing) == 1:
                key = missing[0]
                cell_sum = sum(value(k, assigned) or 0 for k in cells if k != key)
                known_total = value(total, assigned) or 0
                forced = cell_sum if key == total else known_total - cell_sum
                if forced < 0 or forced > bound:
                    return
                yield from solve({**assigned, key: forced})
                return
        key = free[0]
        for candidate in range(bound + 1):
            yield from solve({**assigned, key: candidate})

    yield from solve({})


def assert_protected(
    figures: dict[Key, Figure], hidden: set[Key], dimensions: int, *, enumerate_up_to: int = 8
) -> None:
    assert not linearly_determined(figures, hidden, dimensions)
    if len(hidden) > enumerate_up_to:
        return
    bound = int(max(figure.value for figure in figures.values())) + 2
    seen: dict[Key, set[int]] = {key: set() for key in hidden}
    for solution in enumerate_solutions(figures, hidden, dimensions, bound):
        for key, value in solution.items():
            seen[key].add(value)
        if all(len(values) > 1 for values in seen.values()):
            break
    recoverable = sorted(key for key, values in seen.items() if len(values) < 2)
    assert not recoverable, f"recoverable from the published figures: {recoverable}"


def assert_small_hidden(figures: dict[Key, Figure], hidden: set[Key]) -> None:
    for key, figure in figures.items():
        if 0 < figure.contributors < K:
            assert key in hidden, key


# ---------------------------------------------------------------------------------------------
# Adversarial tables


def test_nothing_small_nothing_hidden() -> None:
    figures = table_1d({"a": 5, "b": 0, "c": 12})
    assert suppress_counts(figures, dimensions=1, limit=K) == set()


def test_a_single_small_cell_beside_a_total_takes_the_smallest_other_cell_with_it() -> None:
    figures = table_1d({"a": 3, "b": 20, "c": 9, "d": 0})
    hidden = suppress_counts(figures, dimensions=1, limit=K)
    # Not the zero: hiding a zero hides nothing; the smallest non-zero cell is the complement.
    assert hidden == {("a",), ("c",)}
    assert_protected(figures, hidden, 1)


def test_a_small_cell_whose_neighbours_are_all_zero_hides_the_total() -> None:
    figures: dict[Key, Figure] = {
        ("a",): Figure(3, 3),
        ("b",): Figure(0, 0),
        ("",): Figure(3, 3),
    }
    hidden = suppress_counts(figures, dimensions=1, limit=K)
    assert hidden == {("a",), ("",)}
    assert_protected(figures, hidden, 1)


def test_a_total_of_one_contributor_is_hidden() -> None:
    assert suppress_counts({(): Figure(1, 1)}, dimensions=0, limit=K) == {()}
    assert suppress_counts({(): Figure(0, 0)}, dimensions=0, limit=K) == set()
    figures = table_1d({"a": 1, "b": 0})
    hidden = suppress_counts(figures, dimensions=1, limit=K)
    assert hidden == {("a",), ("",)}


def test_zero_stays_zero() -> None:
    figures = table_1d({"a": 0, "b": 0, "c": 40})
    assert suppress_counts(figures, dimensions=1, limit=K) == set()


def test_two_dimensions_the_obvious_complement_is_recoverable_from_the_other_margin() -> None:
    # Hiding (r0,c0) and its row neighbour (r0,c1) alone would leave each alone in its column:
    # column c0's margin gives (r0,c0) back. The complements must close a cycle.
    grid = [[2, 10, 10], [10, 10, 10], [10, 10, 10]]
    figures = table_2d(grid)
    hidden = suppress_counts(figures, dimensions=2, limit=K)
    assert_small_hidden(figures, hidden)
    assert ("r0", "c0") in hidden
    assert len(hidden) >= 4
    assert_protected(figures, hidden, 2)


def test_two_hidden_blocks_joined_by_one_cell_are_not_left_with_a_bridge() -> None:
    # Two blocks of small cells (every row and column with two or more hidden figures) joined
    # by one small cell: that cell is the difference of the blocks' known sums unless a
    # further cell ties the blocks into a cycle.
    grid = [
        [2, 3, 40, 40, 40],
        [4, 2, 3, 40, 40],
        [40, 40, 2, 3, 40],
        [40, 40, 4, 2, 40],
        [40, 40, 40, 40, 40],
    ]
    figures = table_2d(grid)
    hidden = suppress_counts(figures, dimensions=2, limit=K)
    assert_small_hidden(figures, hidden)
    assert_protected(figures, hidden, 2, enumerate_up_to=0)


def test_a_zero_row_is_never_a_complement_when_a_non_zero_cell_can_be() -> None:
    grid = [[0, 0, 0], [3, 20, 30], [20, 25, 40]]
    figures = table_2d(grid)
    hidden = suppress_counts(figures, dimensions=2, limit=K)
    assert_small_hidden(figures, hidden)
    assert not any(key[0] == "r0" for key in hidden)
    assert_protected(figures, hidden, 2)


def test_a_small_cell_alone_in_its_row_hides_the_row_margin_and_the_margin_propagates() -> None:
    grid = [[3, 0, 0], [20, 25, 40], [30, 22, 41]]
    figures = table_2d(grid)
    hidden = suppress_counts(figures, dimensions=2, limit=K)
    assert_small_hidden(figures, hidden)
    assert_protected(figures, hidden, 2)


def test_an_all_small_table() -> None:
    grid = [[2, 3], [4, 1]]
    figures = table_2d(grid)
    hidden = suppress_counts(figures, dimensions=2, limit=K)
    assert_small_hidden(figures, hidden)
    assert_protected(figures, hidden, 2)


def test_a_one_contributor_grand_total_in_two_dimensions() -> None:
    grid = [[1, 0], [0, 0]]
    figures = table_2d(grid)
    hidden = suppress_counts(figures, dimensions=2, limit=K)
    assert ("", "") in hidden and ("r0", "c0") in hidden
    assert_protected(figures, hidden, 2)


@pytest.mark.parametrize("seed", range(60))
def test_random_small_tables_leave_nothing_recoverable(seed: int) -> None:
    rng = random.Random(seed)
    if seed % 3 == 0:
        cells = {
            f"v{i}": rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15]) for i in range(rng.randint(2, 6))
        }
        figures = table_1d(cells)
        hidden = suppress_counts(figures, dimensions=1, limit=K)
        assert_small_hidden(figures, hidden)
        assert_protected(figures, hidden, 1)
        return
    rows, columns = rng.randint(2, 3), rng.randint(2, 3)
    grid = [[rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15]) for _ in range(columns)] for _ in range(rows)]
    figures = table_2d(grid)
    hidden = suppress_counts(figures, dimensions=2, limit=K)
    assert_small_hidden(figures, hidden)
    assert_protected(figures, hidden, 2, enumerate_up_to=7)
