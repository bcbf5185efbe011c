"""docs/FORMATS.md cannot drift from the code: every worked example in it is regenerated here and must
match byte for byte, every generated example must be in it, and each example also verifies."""

from __future__ import annotations

import base64
import hashlib
import json

from tests.docs import examples_documents, examples_log, examples_registry, examples_status_map
from tests.docs.formats import DOCUMENT, generated, in_document
from tests.docs.keys import (
    OTHER_PROGRAMME_KEY,
    OTHER_PROGRAMME_KID,
    PROGRAMME_KEY,
    PROGRAMME_KID,
    REGISTRY,
    REGISTRY_KEY,
    ROOT_KEY,
    ROOT_KID,
    SECOND_ROOT_KEY,
    SECOND_ROOT_KID,
)
from verification.cosignature import verify_cosignatures
from verification.decision import verify_saved_eligibility
from verification.jwk import PublicKey
from verification.jws import read_protected_header, verify_compact
from verification.leaf import parse_leaf_input
from verification.policy import Policy
from verification.receipt import Receipt, verify_receipt
from verification.status_map import MapProof, verify_absence
from verification.status_proof import StatusProof, verify_status_proof
from verification.tiles import decode_entry_bundle, encode_entry_bundle
from verification.tlog_proof import TlogProof, verify_tlog_proof


def test_every_example_in_the_document_is_what_the_code_produces() -> None:
    document = in_document(DOCUMENT.read_text(encoding="utf-8"))
    expected = generated()
    assert sorted(set(expected) - set(document)) == [], "examples missing from docs/FORMATS.md"
    assert sorted(set(document) - set(expected)) == [], "examples in docs/FORMATS.md that nothing generates"
    stale = sorted(name for name in expected if document[name] != expected[name])
    assert stale == [], f"regenerate with `python -m tests.docs.formats` and review: {stale}"


def test_the_log_examples_verify() -> None:
    leaves = examples_log.leaves()
    for leaf, document in leaves:
        assert parse_leaf_input(leaf.encode()) == leaf
        assert hashlib.sha256(document).digest() == leaf.document_sha256
    bundle = encode_entry_bundle([leaf.encode() for leaf, _ in leaves])
    assert decode_entry_bundle(bundle, 3) == [leaf.encode() for leaf, _ in leaves]
    policy = Policy.parse(examples_log.policy())
    assert set(policy.verify(examples_log.cosigned_note()).cosigned_by) == {"gen", "jas-anz"}
    _, answer, conflict = examples_log.witness_exchange()
    assert verify_cosignatures(examples_log.log_note() + answer, [policy.witnesses["gen"].key])
    assert conflict == "3\n"
    certificate = leaves[1][1]
    receipt = Receipt.from_dict(json.loads(json.dumps(examples_log.receipt().to_dict())))
    assert verify_receipt(receipt, certificate, REGISTRY.verifier()).tree_size == 3
    proof = TlogProof.parse(examples_log.tlog_proof().to_text())
    assert verify_tlog_proof(proof, certificate, policy)[0].tree_size == 3


def test_the_document_examples_verify() -> None:
    keys = {
        kid: PublicKey.from_private_key(private, kid=kid)
        for kid, private in (
            (PROGRAMME_KID, PROGRAMME_KEY),
            (OTHER_PROGRAMME_KID, OTHER_PROGRAMME_KEY),
            (ROOT_KID, ROOT_KEY),
            (SECOND_ROOT_KID, SECOND_ROOT_KEY),
        )
    }
    registry = PublicKey.from_private_key(REGISTRY_KEY)
    keys[registry.kid] = registry
    for token, typ in (
        (examples_documents.certificate(), "vc+jwt"),
        (examples_documents.status_event(), "ecolabel-status-event+jwt"),
        (examples_documents.key_event(), "ecolabel-key-event+jwt"),
        (examples_documents.key_event_approval(), "ecolabel-key-event-approval+jwt"),
        (examples_documents.programme_recovery(), "ecolabel-programme-recovery+jwt"),
        (examples_documents.category(), "ecolabel-category+jwt"),
        (examples_documents.agreement(), "ecolabel-agreement+jwt"),
        (examples_documents.agreement_signature(), "ecolabel-agreement-signature+jwt"),
        (examples_documents.agreement_event(), "ecolabel-agreement-event+jwt"),
        (examples_documents.agreement_renewal(), "ecolabel-agreement-event+jwt"),
        (examples_documents.agreement_event_approval(), "ecolabel-agreement-event-approval+jwt"),
    ):
        verified = verify_compact(token, keys[read_protected_header(token)["kid"]], expected_typ=typ)
        assert json.loads(verified.payload)  # the payload is the RFC 8785 form of the example


def test_the_decision_example_is_what_the_registry_signs_and_verifies_offline() -> None:
    token = examples_registry.decision()
    saved = {"decision": token, "results": examples_registry.results()}
    key = PublicKey.from_private_key(REGISTRY_KEY)
    decision = verify_saved_eligibility(saved, key)
    assert decision.item_count == 2
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims == examples_registry.claims()


def test_the_status_map_examples_verify() -> None:
    proof = StatusProof.from_json(json.loads(json.dumps(examples_status_map.status_proof().to_json())))
    result = verify_status_proof(proof, Policy.no_witnesses(REGISTRY.verifier()))
    assert result.checkpoint.tree_size == 5
    assert result.head == examples_status_map.head()
    absence = MapProof.from_json(json.loads(examples_status_map.examples()["status-map-absence"]))
    verify_absence(examples_status_map.map_root().root, examples_status_map.unknown_id(), absence)
