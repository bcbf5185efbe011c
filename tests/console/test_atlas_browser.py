"""The recognition atlas in headless Chromium, at desktop (1280 px) and phone (390 px) widths, in English
and Chinese: the charts are drawn, each has its table with the same figures, nothing overflows the page,
and every chart downloads as SVG, PNG and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Live, assert_accessible, screenshot
from tests.console.world import CEC, JEA

pytestmark = pytest.mark.slow

HEADINGS = {
    "en": ("Recognition atlas", "Active certificates over time", "Recognition matrix", "Agreement network"),
    "zh": ("互认图谱", "有效证书数量变化", "互认矩阵", "协议网络"),
}
DOWNLOADS = {
    "en": ("Download chart (SVG)", "Download chart (PNG)", "Download table (CSV)"),
    "zh": ("下载图表（SVG）", "下载图表（PNG）", "下载数据表（CSV）"),  # noqa: RUF001  (Chinese punctuation)
}


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_atlas_draws_every_chart_with_its_table_at_each_width(sized: Page, live: Live, lang: str) -> None:
    page, width = sized, sized.viewport_size["width"] if sized.viewport_size else 0
    page.goto(f"{live.url}/console/atlas?lang={lang}")
    title, *sections = HEADINGS[lang]
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    for name, heading in zip(("series", "matrix", "network"), sections, strict=True):
        section = page.get_by_role("region", name=heading)
        expect(section).to_be_visible()
        chart = page.locator(f"#chart-{name}")
        expect(chart).to_have_attribute("data-rendered", "true")
        expect(chart.locator("canvas").first).to_be_visible()
        box = chart.bounding_box()
        assert box is not None
        assert 0.7 * width < box["width"] <= width, (name, box, width)  # fills the column, never wider
        svg, png, table = DOWNLOADS[lang]
        expect(section.get_by_role("button", name=svg)).to_be_visible()
        expect(section.get_by_role("button", name=png)).to_be_visible()
        expect(section.get_by_role("link", name=table)).to_be_visible()
    # The page itself never scrolls sideways: wide tables scroll inside their own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The tables carry the figures the charts draw: one category of each programme counts as the other's.
    matrix = page.locator("#table-matrix")
    expect(matrix.locator("tbody tr")).to_have_count(2)
    cells = [row.locator("th, td").all_inner_texts() for row in matrix.locator("tbody tr").all()]
    assert cells == [[CEC, "0", "1"], [JEA, "1", "0"]]
    network = page.locator("#table-network tbody tr")
    expect(network).to_have_count(2)
    expect(network.first).to_contain_text(JEA if network.first.locator("th").inner_text() == CEC else CEC)
    series = page.locator("#table-series")
    month = {"en": "Month", "zh": "月份"}[lang]
    assert series.locator("thead th").all_inner_texts() == [month, CEC]  # only CEC holds certificates
    expect(series.locator("tbody tr")).to_have_count(36)
    # This month: two active licences (the third is suspended), as the statistics API counts them.
    expect(series.locator("tbody tr").last.locator("td")).to_have_text("2")
    assert_accessible(page)
    screenshot(page, f"atlas-{lang}-{width}", live.settings)


def test_each_chart_downloads_as_svg_png_and_csv(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/console/atlas")
    expect(page.locator("#chart-network")).to_have_attribute("data-rendered", "true")
    section = page.get_by_role("region", name="Agreement network")
    with page.expect_download() as svg:
        section.get_by_role("button", name="Download chart (SVG)").click()
    drawing = Path(svg.value.path()).read_text(encoding="utf-8")
    assert drawing.lstrip().startswith("<svg")
    assert CEC in drawing
    assert JEA in drawing
    with page.expect_download() as png:
        section.get_by_role("button", name="Download chart (PNG)").click()
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as table:
        page.get_by_role("region", name="Recognition matrix").get_by_role("link", name="Download table (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(table.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["programme", CEC, JEA]
    assert rows[1:] == [[CEC, "0", "1"], [JEA, "1", "0"]]
