"""Table models, one module per domain, every one exported here (alembic and the repositories import them
from here). These are storage, not payloads: signed documents are kept as the exact bytes received.

Every table is created by an alembic migration (`migrations/versions`); `tests/registry/test_migrations.py`
runs `alembic check` so that these classes and the migrations cannot drift apart.
"""

from __future__ import annotations

from ecolabel_registry.db.models.agreements import AgreementEventRow, AgreementParty, AgreementRow
from ecolabel_registry.db.models.certificates import (
    Certificate,
    CertificateEvent,
    CertificateHolderId,
    CertificateProduct,
)
from ecolabel_registry.db.models.log import LogCheckpoint, LogCosignature, LogEntry, LogNode, LogState
from ecolabel_registry.db.models.operations import (
    IntegrityCheck,
    StatisticsDaily,
    StatisticsMonthly,
    StatisticsState,
    StatisticsYearly,
)
from ecolabel_registry.db.models.programmes import (
    Category,
    CategoryCode,
    KeyEventRow,
    Programme,
    ProgrammeKey,
    ProposalApproval,
    ProposedEvent,
)
from ecolabel_registry.db.models.status import StatusListEntry, StatusMapNode, StatusMapState
from ecolabel_registry.db.models.supply import (
    AuditorGrant,
    Facility,
    Organisation,
    OrganisationIdentifier,
    OrganisationToken,
    SupplyDocument,
    SupplyLink,
    SupplyLinkEvent,
    SupplyProduct,
)
from ecolabel_registry.db.models.webhooks import (
    DeliveryAttempt,
    OutboxDelivery,
    Subscriber,
    Subscription,
    WebhookCursor,
)

__all__ = [
    "AgreementEventRow",
    "AgreementParty",
    "AgreementRow",
    "AuditorGrant",
    "Category",
    "CategoryCode",
    "Certificate",
    "CertificateEvent",
    "CertificateHolderId",
    "CertificateProduct",
    "DeliveryAttempt",
    "Facility",
    "IntegrityCheck",
    "KeyEventRow",
    "LogCheckpoint",
    "LogCosignature",
    "LogEntry",
    "LogNode",
    "LogState",
    "Organisation",
    "OrganisationIdentifier",
    "OrganisationToken",
    "OutboxDelivery",
    "Programme",
    "ProgrammeKey",
    "ProposalApproval",
    "ProposedEvent",
    "StatisticsDaily",
    "StatisticsMonthly",
    "StatisticsState",
    "StatisticsYearly",
    "StatusListEntry",
    "StatusMapNode",
    "StatusMapState",
    "Subscriber",
    "Subscription",
    "SupplyDocument",
    "SupplyLink",
    "SupplyLinkEvent",
    "SupplyProduct",
    "WebhookCursor",
]
