"""The console's pages through the ASGI app (no browser): languages, safety, sign-in and who sees what."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient

from ecolabel_registry.console import chain_graph, recognition_map, text_fit
from tests.console.world import World
from tests.supply.world import Supply
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey


def _csrf(client: TestClient) -> str:
    client.get("/console/")
    token = client.cookies.get("console_csrf")
    assert token
    return token


def _sign_in(client: TestClient, token: str) -> None:
    response = client.post(
        "/console/supply/sign-in", data={"csrf": _csrf(client), "token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_console_is_left_out_of_the_api_contract(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path == "/" or path.startswith("/console")]
    root = client.get("/", follow_redirects=False)
    assert (root.status_code, root.headers["location"]) == (307, "/console/")


def test_language_follows_the_query_then_the_cookie_then_the_browser(client: TestClient) -> None:
    chinese = client.get("/console/", headers={"Accept-Language": "fr-FR, zh-CN;q=0.8, en;q=0.5"})
    assert '<html lang="zh-Hans">' in chinese.text
    assert "查询证书" in chinese.text
    english = client.get("/console/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in english.text
    assert "console_lang=en" in english.headers["set-cookie"]
    remembered = client.get("/console/log", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in remembered.text


def test_pages_carry_security_headers_and_strict_cookies(client: TestClient) -> None:
    response = client.get("/console/eligibility")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"].lower()
    assert "console_csrf=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/console" in cookie


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    _csrf(client)
    refused = client.post("/console/eligibility", data={"pasted": "ref,gtin\nA,4006381333931\n"})
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    wrong = client.post("/console/supply/sign-in", data={"csrf": "x" * 43, "token": "elr_x"})
    assert wrong.status_code == 403


def test_unknown_pages_and_ids_are_html_not_problem_documents(client: TestClient) -> None:
    for path in ("/console/no-such-page", "/console/certificates/" + "0" * 64, "/console/certificates/not-an-id"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path


def test_catalogue_problems_are_shown_beside_the_form_in_the_readers_language(client: TestClient) -> None:
    csrf = _csrf(client)
    response = client.post(
        "/console/eligibility?lang=zh", data={"csrf": csrf, "cpv": "30213000", "pasted": "ref,colour\nA,green\n"}
    )
    assert response.status_code == 422
    assert "列名未知或缺失" in response.text
    assert "colour" in response.text
    response = client.post("/console/eligibility?lang=en", data={"csrf": csrf, "pasted": "ref,gtin\nA,4006381333931\n"})
    assert response.status_code == 422
    assert "Say what the tender accepts: tick at least one label" in response.text
    assert "Value error" not in response.text
    response = client.post("/console/eligibility?lang=zh", data={"csrf": csrf, "pasted": "ref,gtin\nA,4006381333931\n"})
    assert "请说明招标接受的标志" in response.text


def test_favicon_and_the_way_back_from_a_refusal(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    # A supply-chain page refused to someone not signed in leads back to the supply chains, not to search.
    for path, href, text in (
        ("/console/supply/" + "0" * 32, "/console/supply", "Back to Supply chains"),
        ("/console/no-such-page", "/console/", "Back to Certificates"),
    ):
        page = client.get(path)
        assert page.status_code in (403, 404), path
        assert f'<a href="{href}">{text}</a>' in page.text, page.text


def test_text_from_signed_documents_is_escaped(client: TestClient, seeded: World) -> None:
    payload = seeded.cec.credential_payload("XSS-1")
    payload["credentialSubject"]["holder"]["name"] = "<script>alert(1)</script>"
    payload["credentialSubject"]["category"] = {"code": "HJ 2536", "criteriaVersion": "2024"}
    created = client.post("/v1/certificates", json={"credential": seeded.cec.sign(payload, "vc+jwt")})
    assert created.status_code == 201, created.text
    page = client.get(f"/console/certificates/{created.json()['certificate']['id']}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_sign_in_refuses_the_operator_token_and_bad_tokens(
    client: TestClient, admin_headers: dict[str, str], seeded: World
) -> None:
    csrf = _csrf(client)
    operator = admin_headers["Authorization"].removeprefix("Bearer ")
    refused = client.post("/console/supply/sign-in", data={"csrf": csrf, "token": operator})
    assert refused.status_code == 403
    assert "admin token is not accepted" in refused.text
    assert "console_token" not in client.cookies
    bad = client.post("/console/supply/sign-in", data={"csrf": csrf, "token": seeded.buyer.token[:-3] + "abc"})
    assert bad.status_code == 401
    assert operator not in refused.text + bad.text  # no secret is ever echoed into a page


def test_a_signed_in_organisation_sees_its_chain_and_not_others(client: TestClient, seeded: World) -> None:
    _sign_in(client, seeded.buyer.token)
    cookie = next(c for c in client.cookies.jar if c.name == "console_token")
    assert cookie.path == "/console"
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert seeded.buyer.token not in client.get("/console/supply").text
    chain = client.get(f"/console/supply/{seeded.buyer.id}")
    assert chain.status_code == 200
    assert 'class="chain-graph"' in chain.text
    other = client.get(f"/console/supply/{seeded.uncertified.id}")
    assert other.status_code == 403
    assert '<a href="/console/supply">Back to Supply chains</a>' in other.text  # not to certificate search
    svg = client.get(f"/console/supply/{seeded.buyer.id}/export", params={"format": "svg"})
    assert (svg.status_code, svg.headers["content-type"]) == (200, "image/svg+xml")


def test_an_auditor_reads_the_chains_it_was_granted(
    client: TestClient, admin_headers: dict[str, str], seeded: World
) -> None:
    supply = Supply(client, admin_headers)
    auditor = supply.organisation("Audit & Co.", scopes=["supply:read"])
    supply.grant(seeded.buyer, auditor)
    _sign_in(client, auditor.token)
    home = client.get("/console/supply")
    assert "Green Office Procurement Ltd." in home.text
    assert client.get(f"/console/supply/{seeded.buyer.id}").status_code == 200


def test_a_revoked_token_ends_the_console_session(
    client: TestClient, admin_headers: dict[str, str], seeded: World
) -> None:
    _sign_in(client, seeded.buyer.token)
    token_id = seeded.buyer.token.split("_")[1]
    revoked = client.post(
        f"/v1/organisations/{seeded.buyer.id}/tokens/{token_id}/revocation",
        json={"type": "OrganisationTokenRevocation", "token": token_id},
        headers=admin_headers,
    )
    assert revoked.status_code == 200, revoked.text
    page = client.get("/console/supply")
    assert "Your session ended" in page.text
    assert re.search(r"console_token=\"?\"?;", page.headers["set-cookie"])  # the cookie is cleared


def test_an_agreement_page_shows_whose_recognition_is_suspended_and_what_waits_for_approval(
    client: TestClient, seeded: World
) -> None:
    agreement_id = seeded.agreement_id
    suspension = seeded.jea.event(agreement_id, 1, agreement_id, "suspended", "2025-01-01T00:00:00Z")
    assert client.post(f"/v1/agreements/{agreement_id}/events", json={"event": suspension}).status_code == 201
    previous = hashlib.sha256(suspension.encode("ascii")).hexdigest()
    lifting = seeded.cec.event(agreement_id, 2, previous, "reinstated", "2025-02-01T00:00:00Z")
    assert client.post(f"/v1/agreements/{agreement_id}/events", json={"event": lifting}).status_code == 202

    english = client.get(f"/console/agreements/{agreement_id}?lang=en").text
    assert "Recognition suspended by jp-ecomark" in english
    assert "Waiting for approval" in english
    assert "approved by cn-cel; <strong>waiting for jp-ecomark</strong>" in re.sub(r"\s+", " ", english)
    chinese = client.get(f"/console/agreements/{agreement_id}?lang=zh").text
    assert "jp-ecomark 已暂停其承认" in chinese
    assert "待 jp-ecomark 批准" in chinese


def test_a_key_retired_after_logging_reads_as_valid_then_not_as_a_contradiction(
    client: TestClient, seeded: World
) -> None:
    old = seeded.cec.kid
    seeded.cec.keys["cec-next"] = generate_private_key()
    added = seeded.cec.key_event(
        "add", key=PublicKey.from_private_key(seeded.cec.keys["cec-next"], kid="cec-next").to_jwk()
    )
    path = f"/v1/programmes/{seeded.cec.programme_id}/key-events"
    assert client.post(path, json={"event": added}).status_code == 201
    assert client.post(path, json={"event": seeded.cec.key_event("retire", kid=old)}).status_code == 201
    english = client.get(f"/console/certificates/{seeded.certified_id}?lang=en").text
    assert "Signed with a valid key" in english
    assert f"Key {old} was valid when the certificate was logged; it has been retired since" in english
    assert f"Key {old} is retired" not in english
    chinese = client.get(f"/console/certificates/{seeded.certified_id}?lang=zh").text
    assert f"记录该证书时，密钥 {old} 有效；此后状态变为“已停用”" in chinese  # noqa: RUF001  (Chinese punctuation)


def test_graph_labels_are_measured_so_wide_characters_wrap_sooner() -> None:
    latin, chinese = (
        "Eastern Plastics and Precision Moulding Co., Ltd.",
        "东方塑料制品集团股份有限公司华南精密注塑生产基地",
    )
    for name in (latin, chinese):
        lines = chain_graph.name_lines(name)
        assert len(lines) == chain_graph.NAME_LINES
        assert lines[-1].endswith("…")
        assert all(
            text_fit.text_width(line, chain_graph.FONT_PX, bold=True) <= chain_graph.TEXT_WIDTH for line in lines
        )
    # Twelve Chinese characters take more room than twelve Latin letters: a character count cannot fit both.
    assert text_fit.text_width("中" * 12, 13) > text_fit.text_width("abcdefghijkl", 13) * 1.5
    assert chain_graph.name_lines("Lüfeng Electronics Co., Ltd.") == ["Lüfeng Electronics Co.,", "Ltd."]
    assert [line for line, _ in recognition_map.Node("nordic-swan", 100, 100).label_lines] == ["nordic-swan"]
    long_slug = recognition_map.Node("svanen-nordic-ecolabelling", 100, 100).label_lines
    assert len(long_slug) == 2
    assert long_slug[0][0] == "svanen-"  # broken after a hyphen, not inside a word
    assert all(
        text_fit.text_width(line, recognition_map.LABEL_PX, bold=True) <= recognition_map.LABEL_WIDTH
        for line, _ in long_slug
    )
