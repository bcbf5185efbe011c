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
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Live, assert_accessible, screenshot
from tests.console.world import GTIN, JEA, JEA_CATEGORY
from verification.decision import verify_saved_eligibility
from verification.jwk import parse_public_jwk


def test_search_by_licence_and_open_the_certificate(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/")  # the root leads to the console
    page.get_by_label("Licence number, GTIN or holder identifier").fill("CEC-2026-HJ2536-00042")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 certificates found")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "search", live.settings)

    page.get_by_role("link", name="CEC-2026-HJ2536-00042").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate CEC-2026-HJ2536-00042")
    checks = page.get_by_role("region", name="Checks")
    expect(checks).to_contain_text("Signature valid")
    expect(checks).to_contain_text("Signing key vouches for it")
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
