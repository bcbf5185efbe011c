"""Supply chains: organisations, facilities, products, supply links, auditor access, chain queries and exports.

Supply-chain data is commercially sensitive. Every endpoint here needs a Bearer token: an organisation's
API token (issued by the operator) or the operator's admin token. An organisation's chain is readable by
the organisation, the auditors it has granted access and the operator; see `ecolabel_registry.supply.auth`.
Every write logs the exact request body as a private `supply_chain` leaf and answers with its receipt.
"""

from __future__ import annotations

from fastapi import APIRouter

from ecolabel_registry.api.supply import chain, documents, links, organisations, parties

# One router in the order the routes were always declared, so the OpenAPI document lists them as before.
router = APIRouter()
for part in (organisations, parties, links, chain, documents):
    router.include_router(part.router)
