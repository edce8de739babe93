"""The SVG charts: bars in proportion to their values, capped at the full scale, and
every label escaped."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from creditbank.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314  (the charts made here, not untrusted input)


def widths(svg: str) -> list[float]:
    root = parse(svg)
    return [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]


def test_bars_are_in_proportion_and_capped_at_the_scale() -> None:
    svg = str(charts.hbars("t", [("a", 30, 120, "30"), ("b", 500, 100, "500"), ("c", 0, 0, "0")]))
    track, a, _, b, _, c = widths(svg)
    assert a == round(track / 4, 1)
    assert b == track  # past the target: a full bar, not longer
    assert c == 0


def test_labels_are_escaped_and_the_chart_is_titled() -> None:
    svg = str(charts.hbars("<b>title</b>", [("<script>x</script>", 1, 2, "&")]))
    parse(svg)  # well-formed
    assert "<script>" not in svg
    assert re.search(r"<title>&lt;b&gt;title&lt;/b&gt;</title>", svg)
    assert 'role="img"' in svg


def test_columns_scale_to_the_largest() -> None:
    svg = str(charts.columns("m", [("01", 0), ("02", 5), ("03", 10)]))
    heights = [float(r.get("height", "0")) for r in parse(svg).iter(f"{SVG}rect")]
    assert heights[0] == 0
    assert heights[2] == 2 * heights[1]


def test_yuan() -> None:
    assert charts.yuan(15000000000) == "150,000,000.00"
