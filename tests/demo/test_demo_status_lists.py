"""The demo world's status lists, bit by bit, against its histories replayed from the log alone.

Every credential the demo loads claims a slot in its programme's lists. This test reads the log's
documents (not the registry's tables), replays each certificate's status chain with `status_as_of` at
two checkpoints, and compares every one of the 131,072 bits of every list the registry serves for that
checkpoint, after checking the list's signature with the key the programme's DID document publishes.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.app import create_app
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.settings import Settings
from verification.documents import logged_payload
from verification.jwk import PublicKey
from verification.jws import verify_compact
from verification.leaf import from_microseconds
from verification.payloads import CertificateStatusEvent, EcoLabelCertificate
from verification.status import Change, Lifecycle, status_as_of
from verification.status_list import LIST_SIZE, StatusPurpose, bit_for, decode_list, encode_list, status_entries

pytestmark = pytest.mark.slow
ListKey = tuple[str, StatusPurpose, int]


def _replayed_bits(entries: list[log_repository.NewEntry], size: int, base_url: str) -> dict[ListKey, set[int]]:
    """Which bits each list must have at the checkpoint of `size`, from the logged documents alone."""
    credentials: dict[str, EcoLabelCertificate] = {}
    changes: dict[str, list[Change]] = defaultdict(list)
    for entry in entries[:size]:
        if entry.kind == "certificate":
            credentials[entry.document_sha256.hex()] = logged_payload(entry.document, EcoLabelCertificate)
        elif entry.kind == "certificate_event":
            event = logged_payload(entry.document, CertificateStatusEvent)
            changes[event.certificate].append(Change.of(event, entry.integrated_us))
    at = from_microseconds(entries[size - 1].integrated_us)
    bits: dict[ListKey, set[int]] = defaultdict(set)
    for certificate, credential in credentials.items():
        lifecycle = Lifecycle(credential.valid_from, credential.valid_until, tuple(changes[certificate]))
        status = status_as_of(lifecycle, at=at).status
        for slot in status_entries(credential, base_url=base_url):
            listed = bits.setdefault((slot.programme_id, slot.purpose, slot.number), set())  # compared even if empty
            if bit_for(slot.purpose, status):
                listed.add(slot.index)
    return bits


def _served(client: TestClient, key: ListKey, size: int, keys: dict[str, PublicKey]) -> bytes:
    programme, purpose, number = key
    token = client.get(
        f"/v1/programmes/{programme}/status-lists/{purpose.value}/{number}", params={"tree_size": size}
    ).text
    kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))["kid"]
    if kid not in keys:
        document = client.get(f"/programmes/{programme}/did.json").json()
        method = next(m for m in document["verificationMethod"] if m["id"] == kid)
        raw = base64.urlsafe_b64decode(method["publicKeyJwk"]["x"] + "=")
        keys[kid] = PublicKey(kid=kid, raw=raw)
    payload: dict[str, Any] = json.loads(verify_compact(token, keys[kid]).payload)
    return decode_list(payload["credentialSubject"]["encodedList"])


def test_every_bit_of_every_list_agrees_with_the_replayed_histories(
    settings: Settings, context: RegistryContext, world: World, tmp_path: Path
) -> None:
    load(context, world, tmp_path / "demo-keys")
    with context.engine.connect() as connection:
        size = log_repository.read_head(connection).tree_size
        entries = log_repository.fetch_entries(connection, 0, size)
    base_url = context.did_names.base_url
    keys: dict[str, PublicKey] = {}
    set_counts: dict[StatusPurpose, int] = defaultdict(int)
    with TestClient(create_app(settings)) as client:
        for checkpoint in (size // 2, size):
            expected = _replayed_bits(entries, checkpoint, base_url)
            assert expected, "the demo credentials claim status-list slots"
            for key, indexes in expected.items():
                served = _served(client, key, checkpoint, keys)
                assert len(served) * 8 == LIST_SIZE
                if served != decode_list(encode_list(indexes)):
                    actual = {i for i in range(LIST_SIZE) if served[i // 8] & (0x80 >> (i % 8))}
                    pytest.fail(
                        f"{key} at {checkpoint}: only served {sorted(actual - indexes)[:10]}, "
                        f"only replayed {sorted(indexes - actual)[:10]}"
                    )
                if checkpoint == size:
                    set_counts[key[1]] += len(indexes)
    # The comparison means something only if the world holds suspended and withdrawn licences.
    assert set_counts[StatusPurpose.SUSPENSION] > 0
    assert set_counts[StatusPurpose.REVOCATION] > 0
