"""Green supply chains: organisations, facilities, products and supply links, with audits.

Modules, in the direction of dependency:
- `schemas` (request bodies), `outputs` (records), `answers` (chain, audit, impact responses);
- `repository`, `link_repository`, `graph` — every query, in Core;
- `auth` — principals, tokens, scopes and who may read whose chain;
- `parties`, `access`, `links` — the writes, each logged, and reading the records back;
- `certification`, `chain`, `risk`, `audit`, `impact` — the queries;
- `exports`, `svg`, `bundle` — JSON, CSV, DOT, SVG and the signed evidence bundle.

What is logged. Every write logs the exact request body as received (not a re-serialization) as a
`supply_chain` leaf: the public log shows only its SHA-256 commitment, and the receipt proves the bytes
to whoever holds them. Bodies name their own `type` and subject, so the logged bytes say by themselves
what was declared. Those allowed to read a document get its exact bytes and its receipt from
`GET /v1/supply-documents/{leaf_index}` and `.../receipt`, and can check one against the other offline.

Dates. Link periods are half-open: `valid_from` inclusive, `valid_to` exclusive (see `timeline`).
"""
