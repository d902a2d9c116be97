"""Server-side SVG charts for the insights pages: a time series, horizontal bars by one
dimension and a map of symbols at admin-area centroids.

Pure functions from plain values to SVG text: no JavaScript, no library, nothing remote, so a
chart renders the same on a phone, in print and in a report. Each SVG is an image for
assistive technology (role="img" with a <title> and <desc>; the table beside it carries the
numbers), scales to its container through its viewBox (no fixed width), and draws a suppressed
value as a hatched mark with its "<5"-style label, never as a number or a length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colours (all on white): ink 16:1, brand 7.1:1, muted ink 7.4:1, so marks and text meet the
# 3:1 (graphics) and 4.5:1 (text) contrast minimums.
INK = "#1b1f23"
MUTED = "#4a5560"
BRAND = "#0b5c8c"
GRID = "#c9d1d9"
FONT = "system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif"

# Widths in viewBox units. Kept small so the text stays readable when the SVG shrinks to a
# 320 px phone screen (a 12-unit font is about 9.6 px there).
TIME_SERIES_WIDTH = 400
TIME_SERIES_HEIGHT = 220
BARS_WIDTH = 400
MAP_WIDTH = 400
MAP_HEIGHT = 300
BAR_ROW_HEIGHT = 36
LABEL_MAX_CHARACTERS = 54
MAP_LABEL_LIMIT = 12


@dataclass(frozen=True)
class ChartValue:
    """One value of a series: ``key`` as the dimension names it, ``label`` as people read it;
    ``value`` is None when there is no figure (suppressed or no data)."""

    key: str
    label: str
    value: float | None
    suppressed: bool = False


@dataclass(frozen=True)
class MapPlace:
    """One area on the map: its centroid and its value."""

    key: str
    label: str
    latitude: float
    longitude: float
    value: float | None
    suppressed: bool = False


ValueFormat = Callable[[float], str]


def format_value(value: float, unit: str = "count") -> str:
    """A figure as people read it in the active language: counts whole, shares with a percent
    sign, days with one decimal when they need it."""
    rounded = round(float(value), 1)
    if rounded.is_integer():
        number = number_format(int(rounded), force_grouping=True)
    else:
        number = number_format(rounded, decimal_pos=1, force_grouping=True)
    if unit == "percent":
        return _("%(number)s%%") % {"number": number}
    return number


def time_series_svg(
    values: Sequence[ChartValue],
    *,
    chart_id: str,
    title: str,
    description: str,
    style: str = "columns",
    unit: str = "count",
    suppressed_text: str = "<5",
    value_format: ValueFormat | None = None,
) -> SafeString:
    """Columns (or a line, ``style="line"``) of one value per period, in the order given."""
    show = value_format or (lambda number: format_value(number, unit))
    width, height = TIME_SERIES_WIDTH, TIME_SERIES_HEIGHT
    left, right, top, bottom = 48, 8, 22, 40
    plot_width, plot_height = width - left - right, height - top - bottom
    baseline = top + plot_height
    parts = [_open(chart_id, width, height, title, description)]
    if not values:
        parts.append(_empty(width, height))
        return _close(parts)
    numbers = [v.value for v in values if v.value is not None and not v.suppressed]
    scale_top, ticks = _scale(max(numbers, default=0))
    parts.append('<g class="axis">')
    for tick in ticks:
        y = baseline - plot_height * tick / scale_top
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text class="tick" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="{MUTED}">{escape(show(tick))}</text>'
        )
    parts.append("</g>")

    slot = plot_width / len(values)
    narrow = slot < 26
    # Value labels only where they fit side by side (the table has every figure anyway).
    widest = max((_text_width(show(n), 11) for n in numbers), default=0)
    value_labels = slot >= widest + 4
    label_every = max(1, math.ceil(len(values) / max(1, plot_width // 52)))
    points: list[tuple[float, float] | None] = []
    parts.append('<g class="series">')
    for index, item in enumerate(values):
        centre = left + slot * (index + 0.5)
        if item.suppressed:
            points.append(None)
            parts.append(
                _suppressed_column(chart_id, item, centre, baseline, slot, narrow, suppressed_text)
            )
            continue
        if item.value is None:
            points.append(None)
            continue
        y = baseline - plot_height * item.value / scale_top
        points.append((centre, y))
        if style == "line":
            parts.append(
                f'<circle class="point" data-key={quoteattr(item.key)} cx="{centre:.1f}" '
                f'cy="{y:.1f}" r="3.5" fill="{BRAND}"><title>{escape(item.label)}: '
                f"{escape(show(item.value))}</title></circle>"
            )
        else:
            column_width = max(1.0, slot * 0.7)
            parts.append(
                f'<rect class="bar" data-key={quoteattr(item.key)} '
                f'x="{centre - column_width / 2:.1f}" y="{y:.1f}" width="{column_width:.1f}" '
                f'height="{baseline - y:.1f}" fill="{BRAND}"><title>{escape(item.label)}: '
                f"{escape(show(item.value))}</title></rect>"
            )
        if value_labels:
            parts.append(
                f'<text class="value" x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="11" fill="{INK}">{escape(show(item.value))}</text>'
            )
    if style == "line":
        parts.extend(_line_segments(points))
    parts.append("</g>")
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{baseline}" y2="{baseline}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    parts.append('<g class="periods">')
    for index, item in enumerate(values):
        if index % label_every:
            continue
        centre = left + slot * (index + 0.5)
        parts.append(
            f'<text class="period" x="{centre:.1f}" y="{baseline + 16}" text-anchor="middle" '
            f'font-size="11" fill="{INK}">{escape(_shorten(item.label, 12))}</text>'
        )
    parts.append("</g>")
    return _close(parts)


def bar_chart_svg(
    values: Sequence[ChartValue],
    *,
    chart_id: str,
    title: str,
    description: str,
    unit: str = "count",
    suppressed_text: str = "<5",
    value_format: ValueFormat | None = None,
) -> SafeString:
    """Horizontal bars, one per value in the order given, each label on its own line above
    its bar so long names stay whole on a narrow screen."""
    show = value_format or (lambda number: format_value(number, unit))
    width = BARS_WIDTH
    left, value_room, top = 4, 64, 4
    plot_width = width - left - value_room
    height = top + BAR_ROW_HEIGHT * max(1, len(values)) + 4
    parts = [_open(chart_id, width, height, title, description)]
    if not values:
        parts.append(_empty(width, height))
        return _close(parts)
    numbers = [v.value for v in values if v.value is not None and not v.suppressed]
    largest = max(numbers, default=0) or 1
    for index, item in enumerate(values):
        row_top = top + BAR_ROW_HEIGHT * index
        bar_top = row_top + 16
        parts.append(f'<g class="row" data-key={quoteattr(item.key)}>')
        parts.append(
            f'<text class="label" x="{left}" y="{row_top + 12}" font-size="12" '
            f'fill="{INK}">{escape(_shorten(item.label, LABEL_MAX_CHARACTERS))}</text>'
        )
        if item.suppressed:
            parts.append(
                f'<rect class="suppressed" x="{left}" y="{bar_top}" width="22" height="14" '
                f'fill="url(#{chart_id}-hatch)" stroke="{MUTED}" stroke-width="1"/>'
                f'<text class="value suppressed-label" x="{left + 28}" y="{bar_top + 11}" '
                f'font-size="12" fill="{INK}">{escape(suppressed_text)}</text>'
            )
        elif item.value is not None:
            bar_width = plot_width * max(item.value, 0) / largest
            parts.append(
                f'<rect class="bar" x="{left}" y="{bar_top}" width="{bar_width:.1f}" '
                f'height="14" fill="{BRAND}"/>'
                f'<text class="value" x="{left + bar_width + 4:.1f}" y="{bar_top + 11}" '
                f'font-size="12" fill="{INK}">{escape(show(item.value))}</text>'
            )
        parts.append("</g>")
    return _close(parts)


def area_map_svg(
    places: Sequence[MapPlace],
    *,
    chart_id: str,
    title: str,
    description: str,
    unit: str = "count",
    suppressed_text: str = "<5",
    value_format: ValueFormat | None = None,
    label_limit: int = MAP_LABEL_LIMIT,
) -> SafeString:
    """Circles at each area's centroid, their area proportional to the value, labelled with
    the area's name and figure. There are no boundary shapes: the caller says so. With more
    than ``label_limit`` areas only the largest are labelled (names would pile up); every
    circle still carries its name and figure as a tooltip, and the table has them all."""
    show = value_format or (lambda number: format_value(number, unit))
    width, height, padding = MAP_WIDTH, MAP_HEIGHT, 36
    parts = [_open(chart_id, width, height, title, description)]
    if not places:
        parts.append(_empty(width, height))
        return _close(parts)
    positions = _project(places, width, height, padding)
    numbers = [p.value for p in places if p.value is not None and not p.suppressed]
    largest = max(numbers, default=0) or 1
    # Many areas share the same box: smaller circles, so neighbours do not cover each other.
    crowding = min(1.0, math.sqrt(MAP_LABEL_LIMIT / len(places)))
    smallest_radius, largest_radius = 3.0, max(10.0, 26.0 * crowding)
    parts.append(
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="none" '
        f'stroke="{GRID}"/>'
    )

    def radius(place: MapPlace) -> float:
        if place.suppressed or place.value is None:
            return 6.0
        share = math.sqrt(max(place.value, 0) / largest)
        return smallest_radius + (largest_radius - smallest_radius) * share

    # Largest first, so a small circle drawn over a big neighbour stays visible.
    order = sorted(range(len(places)), key=lambda i: -radius(places[i]))
    labelled = _placed_labels(places, positions, order, radius, label_limit)
    parts.append('<g class="places">')
    for index in order:
        place = places[index]
        x, y = positions[index]
        size = radius(place)
        parts.append(f'<g class="place" data-key={quoteattr(place.key)}>')
        if place.suppressed:
            figure = suppressed_text
        elif place.value is not None:
            figure = show(place.value)
        else:
            figure = "–"
        parts.append(f"<title>{escape(place.label)}: {escape(figure)}</title>")
        if place.suppressed:
            parts.append(
                f'<circle class="suppressed" cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" '
                f'fill="url(#{chart_id}-hatch)" stroke="{MUTED}" stroke-width="1"/>'
            )
        elif place.value is not None:
            parts.append(
                f'<circle class="symbol" cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" '
                f'fill="{BRAND}" fill-opacity="0.55" stroke="{BRAND}" stroke-width="1.5"/>'
            )
        if index in labelled:
            parts.append(
                f'<text class="label" x="{x:.1f}" y="{y + size + 12:.1f}" '
                f'text-anchor="middle" font-size="11" fill="{INK}">'
                f"{escape(_shorten(place.label, 24))}</text>"
                f'<text class="value" x="{x:.1f}" y="{y + size + 24:.1f}" '
                f'text-anchor="middle" font-size="11" font-weight="600" fill="{INK}">'
                f"{escape(figure)}</text>"
            )
        parts.append("</g>")
    parts.append("</g>")
    return _close(parts)


def _placed_labels(
    places: Sequence[MapPlace],
    positions: list[tuple[float, float]],
    order: list[int],
    radius: Callable[[MapPlace], float],
    limit: int,
) -> set[int]:
    """The places whose name and figure are written under their circle: the largest first,
    at most ``limit``, skipping any whose label would run into one already placed."""
    taken: list[tuple[float, float, float, float]] = []
    labelled: set[int] = set()
    for index in order:
        if len(labelled) >= limit:
            break
        x, y = positions[index]
        half = _text_width(_shorten(places[index].label, 24), 11) / 2
        top = y + radius(places[index]) + 2
        box = (x - half, top, x + half, top + 24)
        if any(
            box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]
            for other in taken
        ):
            continue
        taken.append(box)
        labelled.add(index)
    return labelled


def _text_width(text: str, font_size: float) -> float:
    """A rough width of ``text`` in a sans-serif font (about 0.56 em a character)."""
    return len(text) * font_size * 0.56


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id={quoteattr(chart_id)} '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="2"/></pattern></defs>'
    )


def _close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    # Safe: every piece of text above went through escape() or quoteattr().
    return mark_safe("".join(parts))


def _empty(width: int, height: int) -> str:
    return (
        f'<text class="empty" x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
        f'font-size="13" fill="{MUTED}">{escape(_("No figures for these filters."))}</text>'
    )


def _suppressed_column(
    chart_id: str,
    item: ChartValue,
    centre: float,
    baseline: float,
    slot: float,
    narrow: bool,
    suppressed_text: str,
) -> str:
    marker = min(12.0, max(4.0, slot * 0.7))
    mark = (
        f'<rect class="suppressed" data-key={quoteattr(item.key)} x="{centre - marker / 2:.1f}" '
        f'y="{baseline - marker:.1f}" width="{marker:.1f}" height="{marker:.1f}" '
        f'fill="url(#{chart_id}-hatch)" stroke="{MUTED}" stroke-width="1"/>'
    )
    text_y = baseline - marker - 4
    if narrow:
        # Vertical, so labels of neighbouring weeks do not run into each other.
        return mark + (
            f'<text class="value suppressed-label" x="{centre + 3:.1f}" y="{text_y:.1f}" '
            f'font-size="10" fill="{INK}" transform="rotate(-90 {centre + 3:.1f} {text_y:.1f})"'
            f">{escape(suppressed_text)}</text>"
        )
    return mark + (
        f'<text class="value suppressed-label" x="{centre:.1f}" y="{text_y:.1f}" '
        f'text-anchor="middle" font-size="11" fill="{INK}">{escape(suppressed_text)}</text>'
    )


def _line_segments(points: list[tuple[float, float] | None]) -> list[str]:
    """The line breaks at every missing or suppressed period rather than bridging it, so no
    slope hints at a hidden value."""
    segments: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            segments.append([])
        else:
            segments[-1].append(point)
    return [
        f'<polyline class="line" fill="none" stroke="{BRAND}" stroke-width="2" '
        f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in segment)}"/>'
        for segment in segments
        if len(segment) > 1
    ]


def _scale(largest: float) -> tuple[float, list[float]]:
    """A round top for the axis and its ticks (steps of 1, 2 or 5 times a power of ten)."""
    if largest <= 0:
        return 1.0, [0.0, 1.0]
    rough_step = largest / 4
    magnitude = 10 ** math.floor(math.log10(rough_step))
    step = next(
        multiple * magnitude for multiple in (1, 2, 5, 10) if multiple * magnitude >= rough_step
    )
    if largest >= 4 and step < 1:
        step = 1.0
    count = math.ceil(largest / step - 1e-9)
    return step * count, [step * i for i in range(count + 1)]


def _project(
    places: Sequence[MapPlace], width: int, height: int, padding: int
) -> list[tuple[float, float]]:
    """Equirectangular projection of the centroids, shrunk by the cosine of the middle
    latitude (Central America is close enough to the equator for this to look right), fitted
    into the box with the same scale on both axes."""
    middle_latitude = sum(p.latitude for p in places) / len(places)
    shrink = math.cos(math.radians(middle_latitude))
    xs = [p.longitude * shrink for p in places]
    ys = [-p.latitude for p in places]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    box_width, box_height = width - 2 * padding, height - 2 * padding - 24
    if span_x == 0 and span_y == 0:
        return [(width / 2, height / 2 - 12) for _ in places]
    scale = min(
        box_width / span_x if span_x else math.inf, box_height / span_y if span_y else math.inf
    )
    offset_x = padding + (box_width - span_x * scale) / 2
    offset_y = padding + (box_height - span_y * scale) / 2
    return [
        (offset_x + (x - min(xs)) * scale, offset_y + (y - min(ys)) * scale)
        for x, y in zip(xs, ys, strict=True)
    ]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
