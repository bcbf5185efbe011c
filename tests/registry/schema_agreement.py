"""Payloads drawn from the published JSON Schemas, the checks JSON Schema cannot express, and mutations.

`payloads(name)` draws schema-valid payloads with schemathesis's generator (the payload schema wrapped as
the body of one OpenAPI 3.1 operation). `BEYOND_SCHEMA` holds one predicate per check that docs/INTEROP.md
§7 lists as beyond JSON Schema; each answers whether a payload fails that check, given what the test's
registry holds (`World`); `tests.registry.payload_mutations` breaks valid payloads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import schemathesis
from hypothesis import strategies as st
from stdnum import ean
from stdnum.cn import uscc
from stdnum.iso7064 import mod_97_10

from ecolabel_registry.api.schemas import payload_schema
from verification.identifiers import IdentifierScheme, validate_identifier
from verification.versions import VersionRange

INTEROP = Path(__file__).resolve().parents[2] / "docs" / "INTEROP.md"
TIMESTAMP_MEMBERS = ("validFrom", "validUntil")


def documented_checks() -> list[str]:
    """The names in docs/INTEROP.md §7's table of checks beyond JSON Schema."""
    section = INTEROP.read_text(encoding="utf-8").split("## 7.", 1)[1]
    return re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE)


@cache
def oracle(name: str) -> jsonschema_rs.Validator:
    """The published schema, read as the standard says: ECMA-262 patterns, formats asserted."""
    return jsonschema_rs.Draft202012Validator(payload_schema(name), validate_formats=True)


def _as_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in schema.items() if key not in ("$defs", "$id", "$schema")}
    moved = json.loads(
        json.dumps({"body": body, "defs": schema.get("$defs", {})}).replace('"#/$defs/', '"#/components/schemas/')
    )
    operation = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": moved["body"]}}},
        "responses": {"200": {"description": "accepted"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "payload", "version": "1"},
        "paths": {"/payload": {"post": operation}},
        "components": {"schemas": moved["defs"]},
    }


def payloads(name: str) -> st.SearchStrategy[dict[str, Any]]:
    operation = schemathesis.openapi.from_dict(_as_openapi(payload_schema(name)))["/payload"]["POST"]
    return operation.as_strategy().map(lambda case: case.body)


@dataclass
class World:
    """What the registry under test holds, as far as the checks beyond the schema depend on it."""

    programme_id: str
    host: str
    category: dict[str, str]
    current: dict[str, str] = field(default_factory=dict)  # licence number -> its current certificate

    @property
    def issuers(self) -> set[str]:
        return {f"urn:ecolabel:programme:{self.programme_id}", f"did:web:{self.host}:programmes:{self.programme_id}"}


def _issuer_id(payload: dict[str, Any]) -> Any:
    issuer = payload.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _instant(value: Any) -> datetime | None:
    """The instant a schema-valid timestamp names, None where it has none (a day past the month's end)."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _subject(payload: dict[str, Any]) -> dict[str, Any]:
    subject = payload.get("credentialSubject")
    return subject if isinstance(subject, dict) else {}


def _registered_issuer(payload: dict[str, Any], world: World | None) -> bool:
    assert world is not None, "a check of the registry's state"
    return _issuer_id(payload) not in world.issuers


def _defined_category(payload: dict[str, Any], world: World | None) -> bool:
    assert world is not None, "a check of the registry's state"
    return _subject(payload).get("category") != world.category


def _one_current_licence(payload: dict[str, Any], world: World | None) -> bool:
    assert world is not None, "a check of the registry's state"
    current = world.current.get(_subject(payload).get("licenceNumber", ""))
    return payload.get("supersedes") != current


def _status_list_slot(payload: dict[str, Any], world: World | None) -> bool:
    assert world is not None, "a check of the registry's state"
    # The test's registry holds no slot yet; any entry must name its list of this programme and purpose.
    entries = payload.get("credentialStatus")
    if entries is None:
        return False
    for entry in entries if isinstance(entries, list) else [entries]:
        expected = rf"https://{re.escape(world.host)}/v1/programmes/{world.programme_id}/status-lists/"
        if not re.fullmatch(
            expected + re.escape(entry["statusPurpose"]) + "/(0|[1-9][0-9]{0,3})", entry["statusListCredential"]
        ):
            return True
    return False


def _later(first: Any, then: Any, *, strictly: bool = True) -> bool:
    """False when both are instants and `then` is not after `first` (not before it, if not `strictly`)."""
    start, end = _instant(first), _instant(then)
    if start is None or end is None:
        return True
    return end > start if strictly else end >= start


def _ordered_times(payload: dict[str, Any], world: World | None) -> bool:
    criteria = payload.get("criteria") if isinstance(payload.get("criteria"), dict) else {}
    pairs = [
        (payload, "validFrom", "validUntil"),  # a credential
        (payload, "effectiveFrom", "effectiveUntil"),  # an agreement
        (payload, "effectiveAt", "effectiveUntil"),  # an agreement's renewal
        (criteria, "validFrom", "validUntil"),  # a category's criteria document
    ]
    if any(item.get(end) is not None and not _later(item.get(start), item.get(end)) for item, start, end in pairs):
        return True
    if criteria.get("transitionEnd") is not None:
        bound = criteria.get("validUntil") or criteria.get("validFrom")
        return not _later(bound, criteria["transitionEnd"], strictly=False)
    return False


TIMESTAMPS = frozenset(
    {"validFrom", "validUntil", "transitionEnd", "effectiveAt", "effectiveFrom", "effectiveUntil", "compromisedSince"}
)


def _timestamps(value: Any) -> Iterator[Any]:
    """Every timestamp member's value, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TIMESTAMPS:
                yield item
            yield from _timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item)


def _instant_in_range(payload: dict[str, Any], world: World | None) -> bool:
    for value in _timestamps(payload):
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
        except OverflowError:
            return True
        except ValueError:
            pass  # not a date at all: the schema's format says so
    return False


def _check_digits(payload: dict[str, Any], world: World | None) -> bool:
    subject = _subject(payload)
    gtins = [str(p.get("gtin")) for p in subject.get("products", []) if p.get("gtin") is not None]
    glns = [site["gln"] for site in subject.get("productionSites", []) if site.get("gln") is not None]
    if not all(ean.is_valid(code) for code in [*gtins, *glns]):
        return True
    for identifier in subject.get("holder", {}).get("identifiers", []):
        try:
            if validate_identifier(IdentifierScheme(identifier["scheme"]), identifier["value"]) != identifier["value"]:
                return True
        except ValueError:
            return True
    return False


def _claims_agree(payload: dict[str, Any], world: World | None) -> bool:
    if "iss" in payload and payload["iss"] != _issuer_id(payload):
        return True
    if "jti" in payload and payload["jti"] != payload.get("id"):
        return True
    for claim, member in (("nbf", "validFrom"), ("exp", "validUntil")):
        moment = _instant(payload.get(member))
        if claim in payload and (moment is None or payload[claim] != moment.timestamp()):
            return True
    return False


def _integer_spelling(payload: dict[str, Any], world: World | None) -> bool:
    return any(isinstance(product.get("gtin"), float) for product in _subject(payload).get("products", []))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _json_text(payload: dict[str, Any], world: World | None) -> bool:
    size = len(json.dumps(payload, ensure_ascii=False).encode())
    return any("\x00" in text for text in _strings(payload)) or _depth(payload) > 32 or size > 1_048_576


def _never(payload: dict[str, Any], world: World | None) -> bool:
    return False


def _ordered_versions(payload: dict[str, Any], world: World | None) -> bool:
    for mapping in payload.get("scope", []) if payload.get("type") == "MutualRecognitionAgreement" else []:
        for side in ("from", "to"):
            versions = mapping[side].get("criteriaVersions", {})
            try:
                VersionRange(versions.get("min"), versions.get("max"))
            except ValueError:
                return True
    return False


def _agreement_parties(payload: dict[str, Any], world: World | None) -> bool:
    if payload.get("type") != "MutualRecognitionAgreement":
        return False
    parties = set(payload["parties"])
    if payload["issuer"].removeprefix("urn:ecolabel:programme:") not in parties:
        return True
    pairs = {(r["recognizer"], r["recognized"]) for r in payload.get("recognitions", [])}
    if any(a == b or not {a, b} <= parties for a, b in pairs):
        return True

    def recognises(recognizer: str, recognized: str) -> bool:
        if recognizer == recognized or not {recognizer, recognized} <= parties:
            return False
        return payload.get("mutual") is True or (recognizer, recognized) in pairs

    if not all(recognises(m["to"]["programme"], m["from"]["programme"]) for m in payload["scope"]):
        return True
    targets = {(m["to"]["programme"], m["to"]["category"]) for m in payload["scope"]}
    return not all(
        any(p == item["programme"] and item.get("category") in (None, c) for p, c in targets)
        for item in payload.get("supplementaryCriteria", [])
    )


def _recovery_threshold(payload: dict[str, Any], world: World | None) -> bool:
    return payload.get("type") == "ProgrammeRecovery" and payload["rootThreshold"] > len(payload["rootKeys"])


Check = Callable[[dict[str, Any], World | None], bool]
BEYOND_SCHEMA: dict[str, Check] = {
    "signature": _never,  # every payload is signed with the programme's current signing key
    "registered-issuer": _registered_issuer,
    "defined-category": _defined_category,
    "one-current-licence": _one_current_licence,
    "status-list-slot": _status_list_slot,
    "ordered-times": _ordered_times,
    "instant-in-range": _instant_in_range,
    "check-digits": _check_digits,
    "claims-agree": _claims_agree,
    "integer-spelling": _integer_spelling,
    "json-text": _json_text,
    "status-chain": _never,  # no status events are submitted here
    "ordered-versions": _ordered_versions,
    "agreement-parties": _agreement_parties,
    "recovery-threshold": _recovery_threshold,
}


def beyond_schema(payload: dict[str, Any], world: World | None, only: frozenset[str] | None = None) -> list[str]:
    """The checks beyond JSON Schema that `payload` fails, by name (among `only`, when given)."""
    return [name for name, fails in BEYOND_SCHEMA.items() if (only is None or name in only) and fails(payload, world)]


# Repairs: a payload drawn from the schema nearly always fails a check beyond it (a random GTIN has a
# wrong check digit one time in ten); these make most draws acceptable, so both sides of ⇔ are exercised.
def _with_check_digit(digits: str) -> str:
    return digits[:-1] + ean.calc_check_digit(digits[:-1])


def _identifier(scheme: str, value: str) -> str:
    if scheme in ("GLN",):
        return _with_check_digit(value)
    if scheme == "LEI":
        return value[:18] + mod_97_10.calc_check_digits(value[:18])
    if scheme == "USCC" and value[:1] in "123456789Y" and value[1:2] in "123456789":
        return value[:17] + uscc.calc_check_digit(value[:17])
    if scheme == "VAT":
        return "DE136695976"
    return value


def repaired(payload: dict[str, Any], world: World, draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    fixed = json.loads(json.dumps(payload).replace("\\u0000", "0"))
    issuer = draw(st.sampled_from(sorted(world.issuers)))
    fixed["issuer"] = {**fixed["issuer"], "id": issuer} if isinstance(fixed["issuer"], dict) else issuer
    subject = fixed["credentialSubject"]
    subject["category"] = dict(world.category)
    for name in ("credentialStatus", "supersedes", "iss", "nbf", "exp", "jti"):
        fixed.pop(name, None)
    start, end = (_instant(fixed[name]) for name in TIMESTAMP_MEMBERS)
    if start is not None and end is not None and end < start:
        fixed["validFrom"], fixed["validUntil"] = fixed["validUntil"], fixed["validFrom"]
    for product in subject["products"]:
        if isinstance(product.get("gtin"), str):
            product["gtin"] = _with_check_digit(product["gtin"])
        elif isinstance(product.get("gtin"), int | float):
            product["gtin"] = int(_with_check_digit(str(int(product["gtin"]))))
    for site in subject.get("productionSites", []):
        if site.get("gln") is not None:
            site["gln"] = _with_check_digit(site["gln"])
    for identifier in subject["holder"].get("identifiers", []):
        identifier["value"] = _identifier(identifier["scheme"], identifier["value"])
    # The JWT claims, when drawn, agree with the credential (VC-JOSE-COSE §3.1.2), so a mutation can break them.
    start, end = (_instant(fixed[name]) for name in TIMESTAMP_MEMBERS)
    if draw(st.booleans()):
        fixed["iss"] = issuer
    if start is not None and end is not None and draw(st.booleans()):
        fixed["nbf"], fixed["exp"] = (_numeric_date(moment) for moment in (start, end))
    return fixed


def repaired_kind(payload: dict[str, Any]) -> dict[str, Any]:
    """An agreement or a recovery drawn from its schema, made to pass the listed checks that its type makes
    (most draws would not), so that acceptance is exercised too; other kinds as drawn."""
    fixed = json.loads(json.dumps(payload))
    if fixed["type"] == "ProgrammeRecovery":
        fixed["rootThreshold"] = min(fixed["rootThreshold"], len(fixed["rootKeys"]))
    if fixed["type"] == "MutualRecognitionAgreement":
        first, second = fixed["parties"][:2]
        fixed["issuer"] = f"urn:ecolabel:programme:{first}"
        fixed["mutual"], fixed["recognitions"] = True, []
        for number, mapping in enumerate(fixed["scope"]):
            mapping["from"]["programme"], mapping["to"]["programme"] = (
                (first, second) if number % 2 else (second, first)
            )
            for side in ("from", "to"):
                mapping[side]["criteriaVersions"] = {}
        target = fixed["scope"][0]["to"]
        for item in fixed.get("supplementaryCriteria", []):
            item["programme"], item["category"] = target["programme"], target["category"]
    return fixed


def _numeric_date(moment: datetime) -> int | float:
    seconds = moment.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


def with_licence(payload: dict[str, Any], suffix: str) -> dict[str, Any]:
    """`payload` for another licence number, so that it does not meet the licence an earlier draw took."""
    subject = payload["credentialSubject"]
    licence = subject["licenceNumber"][: 63 - len(suffix)].rstrip(" ")
    return {**payload, "credentialSubject": {**subject, "licenceNumber": f"{licence}-{suffix}"}}
