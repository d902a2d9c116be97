"""Small-number suppression: the one rule every aggregate shown without access to people, and
every export, applies.

Primary suppression hides any figure (cell, margin or total) whose unweighted number of
contributors is between 1 and ``threshold - 1`` (0 stays 0). Secondary suppression then hides
more figures so that no hidden one can be worked out from what is published:

- A 1-D table with its total is one equation (the cells add up to the total): when exactly one
  of its members is hidden, the smallest non-zero cell is hidden too (the total when none is).
- A 2-D table with row and column margins and a grand total is a set of equations, one per row
  and per column, plus one for the row margins and one for the column margins (each adds up to
  the grand total). Seen as a bipartite graph (rows and the margin row on one side, columns
  and the margin column on the other; each figure is the edge between its row and column), a
  hidden figure is uniquely determined by the published ones exactly when it is a bridge of
  the graph of hidden figures: if it lies on a cycle, adding and subtracting along the cycle
  gives another table with the same published figures. So: while a row or column has exactly
  one hidden figure, hide its smallest non-zero cell (its margin when there is none; a hidden
  margin then propagates to the margins' line); then, while a hidden figure is still a
  bridge, hide the smallest non-zero figure joining the two sides the bridge separates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings

Key = tuple[str, ...]
TOTAL = ""


def threshold() -> int:
    """Counts with fewer contributors than this (and more than none) are hidden
    (``SENDA_SMALL_NUMBER_THRESHOLD``, 5 by default)."""
    return max(0, int(settings.SENDA_SMALL_NUMBER_THRESHOLD))


def is_small(contributors: int | None, limit: int) -> bool:
    """Whether a figure with ``contributors`` must be hidden on its own."""
    return contributors is not None and 0 < contributors < limit


@dataclass(frozen=True)
class Figure:
    value: float
    contributors: int


def suppress_counts(figures: dict[Key, Figure], *, dimensions: int, limit: int) -> set[Key]:
    """The keys to hide in a count table. ``figures`` holds every cell, margin and total by
    key (``""`` marks a total position; missing cells are zero). Returns primary and secondary
    suppressions together."""
    hidden = {key for key, figure in figures.items() if is_small(figure.contributors, limit)}
    if not hidden or dimensions == 0:
        return hidden
    if dimensions == 1:
        return _secondary_1d(figures, hidden)
    if dimensions == 2:
        return _secondary_2d(figures, hidden)
    raise ValueError("Suppression handles tables of at most two dimensions.")


def _value(figures: dict[Key, Figure], key: Key) -> float:
    figure = figures.get(key)
    return figure.value if figure is not None else 0.0


def _secondary_1d(figures: dict[Key, Figure], hidden: set[Key]) -> set[Key]:
    total: Key = (TOTAL,)
    cells = sorted(key for key in figures if key != total)
    members = [*cells, total]
    while sum(1 for key in members if key in hidden) == 1:
        candidates = [key for key in cells if key not in hidden and _value(figures, key) != 0]
        if candidates:
            hidden.add(min(candidates, key=lambda key: (_value(figures, key), key)))
        elif total not in hidden:
            hidden.add(total)
        else:  # pragma: no cover - one hidden member and it is the total: nothing else to hide
            break
    return hidden


# Nodes of the 2-D graph: ("r", row value) and ("c", column value); TOTAL is the margin line.
Node = tuple[str, str]


def _secondary_2d(figures: dict[Key, Figure], hidden: set[Key]) -> set[Key]:
    rows = sorted({key[0] for key in figures} | {TOTAL})
    columns = sorted({key[1] for key in figures} | {TOTAL})
    # Every position exists (a combination without data is a published zero).
    positions: list[Key] = [(row, column) for row in rows for column in columns]

    def preference(key: Key) -> tuple[int, float, Key]:
        value = _value(figures, key)
        is_margin = TOTAL in key
        # Smallest non-zero inner cell first, then a non-zero margin, then zeros.
        return (0 if value != 0 and not is_margin else 1 if value != 0 else 2, value, key)

    while True:
        if _fix_lonely_lines(rows, columns, hidden, preference):
            continue
        bridge = _first_bridge(positions, hidden)
        if bridge is None:
            return hidden
        side_a, side_b = _sides(positions, hidden, bridge)
        candidates = [
            key
            for key in positions
            if key not in hidden
            and (
                (("r", key[0]) in side_a and ("c", key[1]) in side_b)
                or (("r", key[0]) in side_b and ("c", key[1]) in side_a)
            )
        ]
        if not candidates:  # pragma: no cover - a complete bipartite grid always has one
            return hidden
        hidden.add(min(candidates, key=preference))


def _fix_lonely_lines(
    rows: list[str],
    columns: list[str],
    hidden: set[Key],
    preference: Callable[[Key], tuple[int, float, Key]],
) -> bool:
    """Hide a complement in the first line that has exactly one hidden figure."""
    lines: list[list[Key]] = [[(row, column) for column in columns] for row in rows]
    lines += [[(row, column) for row in rows] for column in columns]
    for line in lines:
        if sum(1 for key in line if key in hidden) == 1:
            published = [key for key in line if key not in hidden]
            hidden.add(min(published, key=preference))
            return True
    return False


def _edges(key: Key) -> tuple[Node, Node]:
    return ("r", key[0]), ("c", key[1])


def _adjacency(edges: Iterable[Key]) -> dict[Node, list[tuple[Node, Key]]]:
    adjacency: dict[Node, list[tuple[Node, Key]]] = {}
    for key in edges:
        row, column = _edges(key)
        adjacency.setdefault(row, []).append((column, key))
        adjacency.setdefault(column, []).append((row, key))
    return adjacency


def _first_bridge(positions: list[Key], hidden: set[Key]) -> Key | None:
    """A hidden figure that lies on no cycle of hidden figures (Tarjan's bridges), if any."""
    adjacency = _adjacency(key for key in positions if key in hidden)
    order: dict[Node, int] = {}
    low: dict[Node, int] = {}
    bridges: list[Key] = []
    counter = 0
    for start in sorted(adjacency):
        if start in order:
            continue
        # Iterative depth-first search: (node, edge used to reach it, neighbour iterator).
        order[start] = low[start] = counter
        counter += 1
        stack: list[tuple[Node, Key | None, int]] = [(start, None, 0)]
        while stack:
            node, via, index = stack[-1]
            neighbours = adjacency[node]
            if index < len(neighbours):
                stack[-1] = (node, via, index + 1)
                neighbour, edge = neighbours[index]
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, edge, 0))
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent] and via is not None:
                        bridges.append(via)
    return min(bridges) if bridges else None


def _sides(positions: list[Key], hidden: set[Key], bridge: Key) -> tuple[set[Node], set[Node]]:
    """The nodes on each side of ``bridge`` in the graph of hidden figures."""
    adjacency = _adjacency(key for key in positions if key in hidden and key != bridge)
    row, column = _edges(bridge)

    def reach(start: Node) -> set[Node]:
        seen = {start}
        todo = [start]
        while todo:
            node = todo.pop()
            for neighbour, _key in adjacency.get(node, []):
                if neighbour not in seen:
                    seen.add(neighbour)
                    todo.append(neighbour)
        return seen

    return reach(row), reach(column)
