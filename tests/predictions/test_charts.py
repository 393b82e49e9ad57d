"""predictions.charts: our own SVG of the odds history, and its table."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

from predictions import charts

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _series():
    return [
        ("Nomadland", [(T0, 0.5), (T0 + timedelta(days=1), 0.6), (T0 + timedelta(days=2), 0.4)]),
        ("The Father", [(T0 + timedelta(days=1), 0.25)]),
        ("Minari", [(T0, 0.1), (T0 + timedelta(hours=30), 0.15)]),
    ]


def _paths(root):
    return root.findall(f".//{SVG}path")


def test_the_chart_is_valid_svg_with_a_title_a_description_and_one_path_per_series():
    svg = charts.odds_history_svg(_series(), title="Best Picture: Combined odds over time", end=T0 + timedelta(days=3))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    assert root.get("width") is None and root.get("height") is None  # scales with its container
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Best Picture: Combined odds over time"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "3 contenders" in desc.text and "Nomadland 40%" in desc.text and "Minari 15%" in desc.text
    assert [p.find(f"{SVG}title").text for p in _paths(root)] == ["Nomadland", "The Father", "Minari"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"0%", "50%", "100%", "Date (UTC)", "Chance"} <= set(texts)
    legend = root.find(f"{SVG}g[@class='chart-legend']")
    entries = [t.text for t in legend.iter(f"{SVG}text")]
    assert entries == ["Nomadland", "40%", "The Father", "25%", "Minari", "15%"]
    # each legend line has the style of its series
    styles = [(p.get("stroke"), p.get("stroke-dasharray")) for p in _paths(root)]
    assert [(ln.get("stroke"), ln.get("stroke-dasharray")) for ln in legend.iter(f"{SVG}line")] == styles


def test_lines_are_steps_that_hold_until_the_next_change_and_run_to_the_end():
    svg = charts.odds_history_svg(_series(), start=T0, end=T0 + timedelta(days=2))
    nomadland = _paths(ET.fromstring(svg))[0].get("d")
    commands = re.findall(r"[MHV][^MHV]*", nomadland)
    assert [c[0] for c in commands] == ["M", "H", "V", "H", "V", "H"]
    # y: 0% at the bottom (256), 100% at the top (16); x runs from the left edge to the right edge
    assert commands[0].split()[1] == "136"  # 50%
    assert commands[2] == "V112 "  # 60%
    assert commands[4] == "V160 "  # 40%
    assert float(commands[3][1:]) == float(commands[5][1:])  # the last change is at the end itself


def test_series_differ_in_dash_pattern_as_well_as_colour():
    series = [(f"Contender {i}", [(T0, 0.05 * i)]) for i in range(16)]
    paths = _paths(ET.fromstring(charts.odds_history_svg(series, end=T0 + timedelta(days=1))))
    assert len(paths) == 16
    styles = {(p.get("stroke"), p.get("stroke-dasharray")) for p in paths}
    assert len(styles) == 16
    # within the first eight, no two share a dash pattern, so colour is never the only difference
    assert len({p.get("stroke-dasharray") for p in paths[:8]}) == 8


def test_every_text_is_escaped():
    hostile = "<script>alert(\"x\")</script> & 'co'"
    svg = charts.odds_history_svg(
        [(hostile, [(T0, 0.5)])], title="<b>Title</b>", id_prefix='x" onload="alert(1)', end=T0 + timedelta(days=1)
    )
    assert "<script>" not in svg and "<b>" not in svg and 'onload="' not in svg
    assert "&lt;script&gt;" in svg
    root = ET.fromstring(svg)  # still well-formed
    assert _paths(root)[0].find(f"{SVG}title").text == hostile
    assert root.find(f"{SVG}title").text == "<b>Title</b>"


def test_long_labels_are_shortened_in_the_legend_but_whole_on_the_line():
    label = "A very long contender name that would not fit in its legend column"
    root = ET.fromstring(charts.odds_history_svg([(label, [(T0, 0.5)])], end=T0 + timedelta(days=1)))
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("A very")]
    assert legend and legend[0].endswith("…") and len(legend[0]) <= charts.LABEL_MAX
    assert _paths(root)[0].find(f"{SVG}title").text == label


def test_no_history_is_an_explicit_svg_that_says_so():
    for series in ([], [("Nomadland", [])]):
        svg = charts.odds_history_svg(series, title="Best Picture")
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        assert root.find(f"{SVG}desc").text == "No history yet"
        assert "No history yet" in [t.text for t in root.iter(f"{SVG}text")]
        assert _paths(root) == []


def test_a_single_instant_still_draws_a_line():
    root = ET.fromstring(charts.odds_history_svg([("Nomadland", [(T0, 1.0)])]))
    d = _paths(root)[0].get("d")
    start, end = re.fullmatch(r"M([\d.]+) 16 H([\d.]+)", d).groups()
    assert float(end) > float(start)


def test_changes_minutes_apart_do_not_repeat_tick_labels():
    series = [("Nomadland", [(T0, 0.5), (T0 + timedelta(seconds=20), 0.6)])]
    root = ET.fromstring(charts.odds_history_svg(series))
    grid = root.find(f"{SVG}g[@class='chart-grid']")
    ticks = [t.text for t in grid.iter(f"{SVG}text") if not t.text.endswith("%")]
    assert ticks == ["1 Dec 09:00"]


def test_thin_keeps_long_series_short_and_their_ends():
    points = [(T0 + timedelta(minutes=i), (i % 100) / 100) for i in range(5000)]
    thinned = charts.thin(points, max_points=100)
    assert len(thinned) <= 101
    assert thinned[0] == points[0] and thinned[-1] == points[-1]
    assert [m for m, _ in thinned] == sorted(m for m, _ in thinned)
    assert charts.thin(points[:50], max_points=100) == points[:50]
    root = ET.fromstring(charts.odds_history_svg([("Busy", points)]))
    assert len(re.findall("H", _paths(root)[0].get("d"))) <= charts.MAX_POINTS + 2


def test_daily_table_gives_the_value_at_the_end_of_each_day_newest_first():
    end = T0 + timedelta(days=2, hours=1)  # 3 December, 10:00
    labels, rows = charts.daily_table(_series(), end=end)
    assert labels == ["Nomadland", "The Father", "Minari"]
    assert rows == [
        (date(2026, 12, 3), [0.4, 0.25, 0.15]),
        (date(2026, 12, 2), [0.6, 0.25, 0.15]),  # Minari's 15% came at 15:00 on the 2nd
        (date(2026, 12, 1), [0.5, None, 0.1]),  # The Father had no odds yet
    ]
    assert charts.daily_table(_series(), end=end, max_days=1)[1] == rows[:1]
    assert charts.daily_table(_series(), end=T0 - timedelta(days=1)) == (labels, [])
