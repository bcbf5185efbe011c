"""The console in a real headless Chromium against a live server: what a buyer or an auditor does.

Each test saves screenshots to test-artifacts/console/ and runs axe-core (WCAG 2.1 A/AA) on the pages
it visits. Runs on SQLite and on PostgreSQL, like the rest of the suite.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Live, assert_accessible, screenshot
from tests.console.world import GTIN, JEA, JEA_CATEGORY, JEA_NAMESAKE, LONG_NAME_ZH
from verification.decision import verify_saved_eligibility
from verification.jwk import parse_public_jwk

pytestmark = pytest.mark.slow


def test_search_by_licence_and_open_the_certificate(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/")  # the root leads to the console
    page.get_by_label("Licence number, GTIN or holder identifier").fill("CEC-2026-HJ2536-00042")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 certificate found")).to_be_visible()
    result = page.get_by_role("row", name="CEC-2026-HJ2536-00042")
    expect(result).to_contain_text("China Environmental Labelling")  # the programme's name, not its slug
    expect(result.get_by_role("cell", name="cn-cel", exact=True)).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "search", live.settings)

    page.get_by_role("link", name="CEC-2026-HJ2536-00042").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate CEC-2026-HJ2536-00042")
    checks = page.get_by_role("region", name="Checks")
    expect(checks).to_contain_text("Signature valid")
    expect(checks).to_contain_text("Signed with a valid key")
    expect(checks).to_contain_text("In the public log")
    equivalents = page.get_by_role("region", name="Recognised as equivalent")
    expect(equivalents.get_by_role("row", name=f"{JEA}:{JEA_CATEGORY}")).to_be_visible()
    expect(
        equivalents.get_by_role("link", name="China-Japan eco-label mutual recognition (computers)")
    ).to_have_attribute("href", f"/console/agreements/{live.world.agreement_id}")
    assert_accessible(page)
    screenshot(page, "certificate", live.settings)


def test_search_by_gtin_shows_every_status_in_words(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/console/?q=CEC-2026-HJ2536-00044&field=licence")
    expect(page.get_by_role("cell", name="Suspended")).to_be_visible()
    page.goto(f"{live.url}/console/?q={GTIN}&field=gtin&lang=zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="找到 1 份证书")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "search-zh", live.settings)


def test_eligibility_check_on_an_uploaded_csv(page: Page, live: Live, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "ref,certificate_id,programme,licence_number,gtin,model\n"
        "desk-1,,cn-cel,CEC-2026-HJ2536-00042,,\n"
        f"desk-2,,,,{GTIN},LF-D200\n"
        "desk-3,,cn-cel,CEC-2026-HJ2536-00044,,\n"
        "desk-4,,cn-cel,NO-SUCH-LICENCE,,\n",
        encoding="utf-8",
    )
    page.goto(f"{live.url}/console/eligibility")
    page.get_by_role("group", name="China Environmental Labelling").get_by_label(
        "Any category of this programme"
    ).check()
    page.get_by_label("Upload a CSV file").set_input_files(catalogue)
    assert_accessible(page)
    screenshot(page, "eligibility-form", live.settings)
    page.get_by_role("button", name="Check catalogue").click()

    expect(page.get_by_role("heading", name="2 of 4 items are eligible")).to_be_visible()
    rows = page.locator("#results-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("CERTIFICATE_SUSPENDED")
    expect(rows.nth(3)).to_contain_text("UNKNOWN_LICENCE")
    expect(rows.nth(2)).not_to_contain_text("accepted directly")  # said only of a line that is eligible
    expect(rows.nth(0)).to_contain_text("accepted directly")
    assert_accessible(page)
    screenshot(page, "eligibility", live.settings)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download signed decision (JSON)").click()
    saved = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    registry_key = parse_public_jwk(httpx.get(f"{live.url}/.well-known/ecolabel-registry").json()["jwks"]["keys"][0])
    decision = verify_saved_eligibility(saved, registry_key)  # the archived evidence checks out offline
    assert (decision.item_count, decision.eligible_count) == (4, 2)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download results (CSV)").click()
    table = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    assert [(row["ref"], row["eligible"]) for row in table] == [
        ("desk-1", "yes"),
        ("desk-2", "yes"),
        ("desk-3", "no"),
        ("desk-4", "no"),
    ]


def test_supply_chain_graph_for_a_signed_in_organisation(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/console/supply")
    assert_accessible(page)
    page.get_by_label("Organisation API token").fill(live.world.buyer.token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Green Office Procurement Ltd.").click()

    graph = page.get_by_role("group", name="Upstream supply chain of Green Office Procurement Ltd.")
    expect(graph).to_be_visible()
    nodes = graph.locator("a.node")
    expect(nodes).to_have_count(5)
    expect(graph.locator(f'a.node-certified[data-organisation="{live.world.certified.id}"]')).to_contain_text(
        "Certified"
    )
    expect(graph.locator(f'a.node-not_certified[data-organisation="{live.world.uncertified.id}"]')).to_contain_text(
        "Not certified"
    )
    expect(graph.locator(f'a.node-unknown[data-organisation="{live.world.unknown.id}"]')).to_contain_text("Unknown")
    # The supplier that has not confirmed is marked, and nothing upstream of it is drawn.
    expect(graph.locator(f'a.node-withheld[data-organisation="{live.world.pending.id}"]')).to_contain_text(
        "Not confirmed"
    )
    expect(graph.locator(".edge")).to_have_count(4)
    audit = page.get_by_role("complementary", name="Audit figures")
    # tier 1: one of three certified; the unconfirmed one is unknown and counted apart
    expect(audit.get_by_role("row", name="1 3 1 1 1 1 33%")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "supply-chain", live.settings)

    with page.expect_download() as download_info:
        audit.get_by_role("link", name="Links (CSV)").click()
    assert "link_id" in Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()[0]

    page.goto(page.url + "?lang=zh")
    expect(page.get_by_role("group", name="绿色办公采购有限公司 的上游供应链")).to_be_visible()
    screenshot(page, "supply-chain-zh", live.settings)


def test_agreements_map_and_log_receipt_check(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/console/agreements")
    expect(page.get_by_role("img", name="Who recognises whom")).to_be_visible()
    expect(page.locator(".map-arrow.in-force")).to_have_count(1)  # mutual: one arrow, a head at each end
    assert_accessible(page)
    screenshot(page, "agreements", live.settings)
    page.get_by_role("link", name="China-Japan eco-label mutual recognition (computers)").click()
    expect(page.get_by_role("table", name="A certificate in the left-hand category counts as one")).to_contain_text(
        JEA_CATEGORY
    )
    assert_accessible(page)
    screenshot(page, "agreement", live.settings)

    page.goto(f"{live.url}/console/log")
    page.get_by_label("Receipt (JSON)").fill(json.dumps(live.world.receipt))
    page.get_by_label("Document (paste)").fill(live.world.credential)
    page.get_by_role("button", name="Check receipt").click()
    expect(page.get_by_role("status")).to_contain_text("Receipt checks out")
    assert_accessible(page)
    screenshot(page, "log", live.settings)
    altered = live.world.credential[:-2] + ("AA" if not live.world.credential.endswith("AA") else "BB")
    page.get_by_label("Document (paste)").fill(altered)  # the signature's last bytes changed
    with page.expect_navigation():  # the old result is still on the page until the new one arrives
        page.get_by_role("button", name="Check receipt").click()
    expect(page.get_by_role("status")).to_contain_text("Receipt does not check out")
    expect(page.get_by_role("status")).to_contain_text("LEAF_MISMATCH")


def test_search_and_eligibility_work_without_javascript(browser: Browser, live: Live) -> None:
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/console/")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")  # from Accept-Language
        page.get_by_label("许可证号、GTIN 或持证方标识").fill(live.world.certified_lei)
        page.get_by_role("button", name="查询").click()
        expect(page.get_by_role("heading", name="找到 3 份证书")).to_be_visible()

        page.goto(f"{live.url}/console/eligibility")
        page.get_by_label("CPV 编码").fill("30213000")
        page.get_by_label("或粘贴 CSV 文本").fill(f"ref,gtin,model\nA,{GTIN},LF-D1\n")
        page.get_by_role("button", name="开始核验").click()
        expect(page.get_by_role("heading", name="1 项中有 1 项符合要求")).to_be_visible()
        screenshot(page, "eligibility-zh-nojs", live.settings)
    finally:
        context.close()


WIDTHS = (1280, 390)
LANGUAGES = ("en", "zh")


def _opened(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB", accept_downloads=True)
    return context.new_page()


def _fits_the_viewport(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wider = page.evaluate(
        """() => [...document.querySelectorAll("main *")]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 6).map((e) => `${e.tagName}.${e.className}: ${(e.textContent || "").trim().slice(0, 30)}`)"""
    )
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide in a {widths[1]} px window: {wider}"


def _words_unbroken(page: Page, selector: str) -> None:
    """Each word of each cell sits on one line: a word split across lines has two client rectangles."""
    broken = page.evaluate(
        """(selector) => {
          const out = [];
          for (const cell of document.querySelectorAll(selector)) {
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              for (const match of node.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                if (lines.size > 1) out.push(match[0]);
              }
            }
          }
          return out;
        }""",
        selector,
    )
    assert not broken, f"words broken across lines in {selector}: {broken}"


def _svg_text_outside(page: Page, container: str, shape: str) -> list[str]:
    """Texts of `container` elements whose box is not inside the element's `shape` (rect or circle)."""
    return list(
        page.evaluate(
            """([container, shape]) => {
              const out = [];
              for (const group of document.querySelectorAll(container)) {
                const outline = group.querySelector(shape).getBBox();
                for (const text of group.querySelectorAll("text")) {
                  const b = text.getBBox();
                  if (b.width === 0) continue;
                  const inside = b.x >= outline.x - 0.5 && b.x + b.width <= outline.x + outline.width + 0.5
                    && b.y >= outline.y - 0.5 && b.y + b.height <= outline.y + outline.height + 0.5;
                  if (!inside) out.push(text.textContent);
                }
              }
              return out;
            }""",
            [container, shape],
        )
    )


def test_the_certificate_page_fits_a_phone_and_says_what_people_need(browser: Browser, live: Live) -> None:
    for width in WIDTHS:
        page = _opened(browser, width)
        try:
            for lang in LANGUAGES:
                page.goto(f"{live.url}/console/certificates/{live.world.other_id}?lang={lang}")
                _fits_the_viewport(page)
                products = page.locator("table.data").first
                box, window = products.bounding_box(), page.viewport_size
                assert box is not None
                assert window is not None
                scroller = page.locator(".table-scroll").first.bounding_box()
                assert scroller is not None
                assert scroller["x"] + scroller["width"] <= window["width"]  # the table scrolls inside the page
                details = page.get_by_role("region", name="Details" if lang == "en" else "详细信息")
                timeline = page.locator("ol.timeline")
                checks = page.get_by_role("region", name="Checks" if lang == "en" else "核验")
                if lang == "en":
                    expect(details).to_contain_text("Valid through2028-12-31")  # the API's end is 2029-01-01
                    expect(timeline).to_contain_text("Renewed")
                    expect(timeline).to_contain_text("valid through 2028-12-31")
                    expect(checks).to_contain_text("Signed with a valid key")
                else:
                    expect(details).to_contain_text("2028-12-31")
                    expect(timeline).to_contain_text("已续期")
                expect(timeline).not_to_contain_text("renewed ")  # never the bare status code
                expect(details).not_to_contain_text("2029-01-01")
                assert_accessible(page)
                screenshot(page, f"certificate-{width}-{lang}", live.settings)
        finally:
            page.context.close()


def test_supply_chain_labels_fit_their_boxes_and_headers_keep_their_words(browser: Browser, live: Live) -> None:
    for width in WIDTHS:
        page = _opened(browser, width)
        try:
            page.goto(f"{live.url}/console/supply")
            page.get_by_label("Organisation API token").fill(live.world.buyer.token)
            page.get_by_role("button", name="Sign in").click()
            for lang in LANGUAGES:
                page.goto(f"{live.url}/console/supply/{live.world.buyer.id}?lang={lang}")
                graph = page.locator("svg.chain-graph")
                expect(graph).to_be_visible()
                assert _svg_text_outside(page, "svg.chain-graph a.node", "rect") == []
                long_box = graph.locator(f'a.node[data-organisation="{live.world.uncertified.id}"]')
                expected = LONG_NAME_ZH if lang == "zh" else "Eastern Plastics and Precision Moulding Co., Ltd."
                expect(long_box.locator("title")).to_contain_text(expected)  # the whole name, on hover
                assert long_box.locator("text.node-name").count() == 2  # wrapped, not cut after a few letters
                _words_unbroken(page, ".audit table thead th")
                _fits_the_viewport(page)
                gaps = page.locator(".audit")
                if lang == "en":
                    expect(gaps).to_contain_text("1 organisation without an identifier")
                    expect(gaps).to_contain_text("1 link not confirmed by the supplier")
                screenshot(page, f"supply-chain-{width}-{lang}", live.settings)
            # A chain this organisation may not read: the way back leads to the supply chains.
            page.goto(f"{live.url}/console/supply/{live.world.uncertified.id}?lang=en")
            expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
            expect(page.get_by_role("link", name="Back to Supply chains")).to_have_attribute("href", "/console/supply")
        finally:
            page.context.close()


def test_agreement_map_labels_are_whole_and_inside_their_circles(browser: Browser, live: Live) -> None:
    for width in WIDTHS:
        page = _opened(browser, width)
        try:
            for lang in LANGUAGES:
                page.goto(f"{live.url}/console/agreements?lang={lang}")
                assert _svg_text_outside(page, ".map-node", "circle") == []
                labels = page.evaluate(
                    "() => [...document.querySelectorAll('.map-node')].map("
                    "(g) => [...g.querySelectorAll('text')].map((t) => t.textContent).join(''))"
                )
                assert sorted(labels) == ["cn-cel", JEA]
                _fits_the_viewport(page)
        finally:
            page.context.close()


def test_eligibility_form_boxes_groups_and_an_empty_submission(browser: Browser, live: Live) -> None:
    for width in WIDTHS:
        page = _opened(browser, width)
        try:
            for lang in LANGUAGES:
                page.goto(f"{live.url}/console/eligibility?lang={lang}")
                sizes = {
                    (round(b["width"]), round(b["height"]))
                    for b in (box.bounding_box() for box in page.locator("input[type=checkbox]").all())
                    if b is not None
                }
                assert len(sizes) == 1, sizes  # every box the same size, however long its label
                name = "Japan Eco Mark" if lang == "en" else "日本生态标志"
                for slug in (JEA, JEA_NAMESAKE):
                    group = page.get_by_role("group", name=f"{name} ({slug})", exact=True)
                    expect(group).to_have_count(1)
                expect(page.locator(f'input[value="{JEA_NAMESAKE}"]')).to_have_count(1)
                _fits_the_viewport(page)
                page.get_by_role("button", name="Check catalogue" if lang == "en" else "开始核验").click()
                alert = page.get_by_role("alert")
                expect(alert).to_contain_text("Say what the tender accepts" if lang == "en" else "请说明招标接受的标志")
                expect(alert).not_to_contain_text("Value error")
                screenshot(page, f"eligibility-empty-{width}-{lang}", live.settings)
        finally:
            page.context.close()
