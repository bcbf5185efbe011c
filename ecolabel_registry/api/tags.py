"""The groups of the HTTP API, in the README's order: generated SDKs make one module per tag.

Each router names its tag (`APIRouter(tags=[...])`); a test fails when an operation carries a tag that is
not listed here, or none, or more than one.
"""

from __future__ import annotations

from typing import Any

OPENAPI_TAGS: list[dict[str, Any]] = [
    {
        "name": "registry",
        "description": "The registry itself: liveness, its identity (log origin, checkpoint verifier key, "
        "JWKS) for offline verifiers, and metrics for its operator.",
    },
    {
        "name": "programmes",
        "description": "Eco-label programmes (certification bodies), their key history and their signed "
        "category definitions with CPV, China procurement and HS codes.",
    },
    {
        "name": "certificates",
        "description": "Signed certificates (W3C Verifiable Credentials as compact JWS), single and in batches, "
        "their lookup with status history, and signed status events.",
    },
    {"name": "schemas", "description": "JSON Schemas of the signed payload profiles."},
    {
        "name": "transparency log",
        "description": "The append-only RFC 9162 log behind every receipt: checkpoints, entries, inclusion and "
        "consistency proofs.",
    },
    {
        "name": "log tiles",
        "description": "The same log as C2SP tlog-tiles: the witnessed checkpoint as a signed note, hash tiles, "
        "entry bundles and document bundles, immutable and cacheable, for mirrors and static hosting.",
    },
    {
        "name": "agreements",
        "description": "Mutual-recognition agreements, in force once every party has signed, and their events.",
    },
    {
        "name": "equivalence",
        "description": "Whether a certificate or programme category is accepted for a requirement on a date, "
        "and through which agreement.",
    },
    {
        "name": "trqp",
        "description": "The same recognition question in the Trust over IP Trust Registry Query Protocol v2.",
    },
    {
        "name": "procurement",
        "description": "Checks for buyers: one certificate, or a whole catalogue, answered with a decision "
        "the registry signs.",
    },
    {"name": "watchlists", "description": "Subscriptions to certificate changes, delivered as signed webhooks."},
    {
        "name": "supply chain",
        "description": "Organisations, facilities, products and supply links; chain, audit and impact queries "
        "for organisations, the auditors they grant access to, and the operator.",
    },
    {
        "name": "open data",
        "description": "Statistics for open-data portals and researchers: certificate counts by programme, "
        "category, country and status, agreements, the recognition matrix and cross-border reach, each "
        "naming the checkpoint it was computed at.",
    },
]
