"""The SVG charts, parsed as XML: what is drawn for each value, how suppressed values look,
and what makes them accessible images that scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from senda.insights.charts import (
    ChartValue,
    MapPlace,
    area_map_svg,
    bar_chart_svg,
    format_value,
    time_series_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own code's output)


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def texts(root: ET.Element, name: str) -> list[str]:
    return [el.text or "" for el in with_class(root, name)]


MONTHS = [
    ChartValue("2026-01", "ene 2026", 12),
    ChartValue("2026-02", "feb 2026", None, suppressed=True),
    ChartValue("2026-03", "mar 2026", 40),
    ChartValue("2026-04", "abr 2026", 0),
]


def assert_accessible_image(root: ET.Element, chart_id: str, title: str) -> None:
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root[0].tag == f"{SVG}title" and root[0].text == title
    assert root[0].get("id") == f"{chart_id}-title"
    assert root[1].tag == f"{SVG}desc" and root[1].get("id") == f"{chart_id}-desc"
    # Scales with its container: a viewBox and no fixed size.
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") is None and root.get("height") is None


def test_columns_one_bar_per_shown_value_and_a_hatched_mark_for_the_suppressed_one() -> None:
    svg = time_series_svg(MONTHS, chart_id="c1", title="People reached", description="By month")
    root = parse(svg)
    assert_accessible_image(root, "c1", "People reached")

    bars = with_class(root, "bar")
    assert [bar.get("data-key") for bar in bars] == ["2026-01", "2026-03", "2026-04"]
    heights = {bar.get("data-key"): float(bar.get("height", "")) for bar in bars}
    assert heights["2026-03"] > heights["2026-01"] > heights["2026-04"] == 0
    # The axis is round and covers the largest value.
    assert texts(root, "tick")[-1] == "40"

    suppressed = with_class(root, "suppressed")
    assert [mark.get("data-key") for mark in suppressed] == ["2026-02"]
    assert suppressed[0].get("fill") == "url(#c1-hatch)"
    assert root.find(f".//{SVG}pattern[@id='c1-hatch']") is not None
    assert "<5" in texts(root, "suppressed-label")
    # The figure behind a suppressed value is never written anywhere.
    assert texts(root, "value") == ["12", "<5", "40", "0"]
    assert texts(root, "period") == ["ene 2026", "feb 2026", "mar 2026", "abr 2026"]


def test_line_breaks_at_a_suppressed_period_instead_of_bridging_it() -> None:
    values = [
        ChartValue("w1", "S1", 10),
        ChartValue("w2", "S2", 20),
        ChartValue("w3", "S3", None, suppressed=True),
        ChartValue("w4", "S4", 30),
        ChartValue("w5", "S5", 25),
    ]
    root = parse(time_series_svg(values, chart_id="l", title="t", description="d", style="line"))
    assert [p.get("data-key") for p in with_class(root, "point")] == ["w1", "w2", "w4", "w5"]
    lines = with_class(root, "line")
    assert len(lines) == 2
    assert [len(line.get("points", "").split()) for line in lines] == [2, 2]
    assert [m.get("data-key") for m in with_class(root, "suppressed")] == ["w3"]


def test_many_weeks_thin_the_period_labels_and_turn_suppressed_labels_vertical() -> None:
    weeks = [
        ChartValue(f"w{i}", f"S{i}", None if i % 7 == 0 else i, suppressed=i % 7 == 0)
        for i in range(1, 53)
    ]
    root = parse(time_series_svg(weeks, chart_id="w", title="t", description="d"))
    assert len(with_class(root, "bar")) == 45
    assert len(with_class(root, "suppressed")) == 7
    assert 1 < len(texts(root, "period")) <= 8
    # No value labels on columns this narrow (the table has them), but "<5" stays, vertical.
    assert texts(root, "value") == ["<5"] * 7
    assert all("rotate(-90" in el.get("transform", "") for el in with_class(root, "value"))


def test_horizontal_bars_keep_order_label_suppression_and_proportion() -> None:
    values = [
        ChartValue("HN-01", "Atlántida", 80),
        ChartValue("HN-02", "Choluteca", 20),
        ChartValue("HN-03", "Colón", None, suppressed=True),
    ]
    root = parse(
        bar_chart_svg(values, chart_id="b", title="By area", description="Reached by area")
    )
    assert_accessible_image(root, "b", "By area")
    rows = with_class(root, "row")
    assert [row.get("data-key") for row in rows] == ["HN-01", "HN-02", "HN-03"]
    assert texts(root, "label") == ["Atlántida", "Choluteca", "Colón"]
    widths = [float(bar.get("width", "")) for bar in with_class(root, "bar")]
    assert widths[0] == pytest.approx(4 * widths[1])
    assert texts(root, "value") == ["80", "20", "<5"]
    assert len(with_class(rows[2], "suppressed")) == 1
    assert with_class(rows[2], "bar") == []


def test_long_labels_are_shortened_and_escaped() -> None:
    label = "A very long <organisation> & partner name that would not fit on a phone screen"
    svg = bar_chart_svg([ChartValue("x", label, 3)], chart_id="e", title="<t>", description="&")
    root = parse(svg)
    (shown,) = texts(root, "label")
    assert shown.endswith("…") and len(shown) <= 54
    assert shown.startswith("A very long <organisation> & partner")
    assert root[0].text == "<t>"


def test_percent_values_are_labelled_as_shares() -> None:
    with translation.override("en"):
        root = parse(
            bar_chart_svg(
                [ChartValue("a", "A", 62.5)],
                chart_id="p",
                title="t",
                description="d",
                unit="percent",
            )
        )
    assert texts(root, "value") == ["62.5%"]


def test_map_places_symbols_by_centroid_sized_by_value() -> None:
    places = [
        MapPlace("GT-01", "Guatemala", 14.64, -90.51, 100),
        MapPlace("HN-08", "Francisco Morazán", 14.07, -87.19, 25),
        MapPlace("SV-06", "San Salvador", 13.69, -89.19, None, suppressed=True),
        MapPlace("NI-05", "Estelí", 13.09, -86.35, 0),
    ]
    root = parse(area_map_svg(places, chart_id="m", title="Map", description="By area"))
    assert_accessible_image(root, "m", "Map")
    groups = {g.get("data-key", ""): g for g in with_class(root, "place")}
    assert set(groups) == {"GT-01", "HN-08", "SV-06", "NI-05"}

    def centre(key: str) -> tuple[float, float]:
        (circle,) = [el for el in groups[key] if el.tag == f"{SVG}circle"]
        return float(circle.get("cx", "")), float(circle.get("cy", ""))

    def radius(key: str) -> float:
        (circle,) = [el for el in groups[key] if el.tag == f"{SVG}circle"]
        return float(circle.get("r", ""))

    # West is left, north is up, everything inside the box.
    assert centre("GT-01")[0] < centre("SV-06")[0] < centre("HN-08")[0] < centre("NI-05")[0]
    assert centre("GT-01")[1] < centre("NI-05")[1]
    for key in groups:
        x, y = centre(key)
        assert 0 < x < 400 and 0 < y < 300
    # Area proportional to the value: 4 times the value, twice the radius (beyond the minimum).
    assert radius("GT-01") > radius("HN-08") > radius("NI-05")
    assert (radius("GT-01") - 3) == pytest.approx(2 * (radius("HN-08") - 3))
    suppressed = with_class(groups["SV-06"], "suppressed")
    assert len(suppressed) == 1 and suppressed[0].get("fill") == "url(#m-hatch)"
    assert [el.text for el in with_class(groups["SV-06"], "value")] == ["<5"]
    assert [el.text for el in with_class(groups["GT-01"], "value")] == ["100"]
    assert [el.text for el in with_class(groups["HN-08"], "label")] == ["Francisco Morazán"]


def test_a_crowded_map_labels_only_its_largest_places() -> None:
    # A grid of areas far enough apart for every label to fit.
    places = [
        MapPlace(f"A{i:02d}", f"Area {i}", 10 + (i % 5) * 2, -95 + (i // 5) * 3, float(i))
        for i in range(1, 21)
    ]
    places.append(MapPlace("S", "Hidden", 14, -88, None, suppressed=True))
    root = parse(area_map_svg(places, chart_id="c", title="t", description="d", label_limit=5))
    assert len(with_class(root, "place")) == 21
    assert texts(root, "label") == [f"Area {i}" for i in range(20, 15, -1)]
    # Every circle keeps its name and figure as a tooltip; the hidden one never a number.
    tooltips = [el.text for el in root.iter(f"{SVG}title")][1:]
    assert "Area 1: 1" in tooltips and "Hidden: <5" in tooltips
    assert len(with_class(root, "suppressed")) == 1


def test_map_labels_never_run_into_each_other() -> None:
    # Neighbours a few kilometres apart: only the largest gets its name written.
    places = [MapPlace(f"N{i}", f"Neighbour {i}", 14 + i / 100, -87, float(i)) for i in range(1, 5)]
    places.append(MapPlace("F", "Far away", 10, -80, 1.0))
    root = parse(area_map_svg(places, chart_id="n", title="t", description="d"))
    assert texts(root, "label") == ["Neighbour 4", "Far away"]


def test_a_single_place_sits_in_the_middle() -> None:
    root = parse(
        area_map_svg([MapPlace("a", "A", 10, -80, 7)], chart_id="s", title="t", description="d")
    )
    (circle,) = with_class(root, "symbol")
    assert float(circle.get("cx", "")) == pytest.approx(200)


@pytest.mark.parametrize("draw", [time_series_svg, bar_chart_svg, area_map_svg])
def test_no_values_says_so(draw: object) -> None:
    with translation.override("en"):
        root = parse(draw([], chart_id="z", title="t", description="d"))  # type: ignore[operator]
    assert texts(root, "empty") == ["No figures for these filters."]


def test_format_value_groups_thousands_and_keeps_one_decimal() -> None:
    with translation.override("en"):
        assert format_value(12345) == "12,345"
        assert format_value(2.25, "days") == "2.2"
        assert format_value(3.0, "days") == "3"
        assert format_value(75.0, "percent") == "75%"
        assert format_value(66.66, "percent") == "66.7%"
