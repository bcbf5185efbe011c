"""did:web DID documents of the registry and of each programme (DID Core 1.0, did:web §3.2).

A programme's document lists one `JsonWebKey` verification method (W3C Controlled Identifiers 1.0
§2.2.3) per key that can still verify what it signed: active and retired keys, never a revoked one
(a verifier without the log cannot tell what a revoked key signed before its compromise). Signing
keys are its `assertionMethod` (they sign credentials), active root keys its `capabilityInvocation`
(they sign key events). Each method links to the log entry that added its key, and the document to
the full key history.

The registry's own key (the key of its checkpoints and decisions) also appears in every programme's
document, as `#registry-<thumbprint>` with the registry as controller and in `assertionMethod`: it
signs the programme's Bitstring Status List credentials, whose issuer a standard verifier requires to
equal the credential's (docs/INTEROP.md). The registry never accepts a certificate signed by it.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from sqlalchemy import Connection, select

from ecolabel_registry.errors import NotFound
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.programmes import keys, repository
from verification.did import DidWeb
from verification.jwk import PublicKey
from verification.keys import KeyStatus

CONTEXT: Final = ["https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"]
METHOD_TYPE: Final = "JsonWebKey"
REGISTRY_METHOD_PREFIX: Final = "registry-"


def _public_jwk(key: PublicKey) -> dict[str, str]:
    jwk = key.to_jwk()
    return {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}


def _method(method_id: str, controller: str, key: PublicKey) -> dict[str, Any]:
    return {"id": method_id, "type": METHOD_TYPE, "controller": controller, "publicKeyJwk": _public_jwk(key)}


def registry_method_fragment(registry_key: PublicKey) -> str:
    return REGISTRY_METHOD_PREFIX + registry_key.thumbprint()


def registry_document(names: DidWeb, registry_key: PublicKey) -> dict[str, Any]:
    """The registry's DID document: its key (checkpoints, decisions, status lists) and its services."""
    method_id = f"{names.registry}#{registry_key.thumbprint()}"
    return {
        "@context": CONTEXT,
        "id": names.registry,
        "verificationMethod": [_method(method_id, names.registry, registry_key)],
        "assertionMethod": [method_id],
        "service": [
            {
                "id": f"{names.registry}#registry",
                "type": "EcolabelRegistry",
                "serviceEndpoint": f"{names.base_url}/.well-known/ecolabel-registry",
            },
            {"id": f"{names.registry}#log", "type": "TransparencyLog", "serviceEndpoint": f"{names.base_url}/log/"},
        ],
    }


def programme_document(
    connection: Connection, names: DidWeb, programme_id: str, registry_key: PublicKey
) -> dict[str, Any]:
    """The programme's DID document, built from its keys as the log left them."""
    row = repository.get(connection, programme_id)
    if row is None:
        raise NotFound(f"no programme {programme_id!r}")
    did = names.programme(programme_id)
    added_at = _added_leaves(connection, programme_id)
    methods: list[dict[str, Any]] = []
    assertion: list[str] = []
    invocation: list[str] = []
    for record in keys.of_programme(connection, programme_id):
        if record.status is KeyStatus.REVOKED:
            continue
        method_id = names.verification_method(did, record.kid)
        method = _method(method_id, did, PublicKey(kid=record.kid, raw=record.public_key))
        method["addedInLog"] = f"{names.base_url}/v1/log/entries?start={added_at[record.kid]}&limit=1"
        methods.append(method)
        if record.signing:
            assertion.append(method_id)
        if record.root and record.status is KeyStatus.ACTIVE:
            invocation.append(method_id)
    registry_method = f"{did}#{registry_method_fragment(registry_key)}"
    methods.append(_method(registry_method, names.registry, registry_key))
    assertion.append(registry_method)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": did,
        "alsoKnownAs": [f"urn:ecolabel:programme:{programme_id}", *_aliases(connection, row.registered_leaf_index)],
        "verificationMethod": methods,
        "assertionMethod": assertion,
        "capabilityInvocation": invocation,
        "service": [
            {
                "id": f"{did}#key-history",
                "type": "EcolabelKeyHistory",
                "serviceEndpoint": f"{names.base_url}/v1/programmes/{programme_id}/keys",
            },
            {
                "id": f"{did}#registry",
                "type": "EcolabelRegistry",
                "serviceEndpoint": f"{names.base_url}/v1/programmes/{programme_id}",
            },
        ],
    }
    return document


def _added_leaves(connection: Connection, programme_id: str) -> dict[str, int]:
    table = keys.keys_table
    rows = connection.execute(
        select(table.c.kid, table.c.added_leaf_index).where(table.c.programme_id == programme_id)
    ).all()
    return {row.kid: row.added_leaf_index for row in rows}


def _aliases(connection: Connection, registration_leaf: int) -> list[str]:
    """The DIDs the logged registration declared as the programme's own (`also_known_as`)."""
    entries = log_repository.entries_table
    document = connection.execute(
        select(entries.c.document).where(entries.c.leaf_index == registration_leaf)
    ).scalar_one()
    declared = orjson.loads(bytes(document)).get("also_known_as", [])
    return [alias for alias in declared if isinstance(alias, str)]
